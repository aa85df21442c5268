"""A bullet of its own at every list depth to six, the same in the EPUB, the web page and the PDF.

Read back as a reader meets them: the marker Chromium computes for each item of the unpacked EPUB and
of the web page, and the first word of each line in pdftotext's reading of the PDF.
"""

from __future__ import annotations

import subprocess
import zipfile

import pytest
from conftest import run_chapbook

from pipeline.check import browser

SOURCE = """---
title: markers
lang: en
---

# lists

- level one
    - level two
        - level three
            - level four
                - level five
                    - level six

1. numbered one
    - bullet two
        1. numbered three
            - bullet four
"""
# Each item's depth (its ul and ol ancestors) and the marker Chromium computes for it, in document order.
_MARKERS_JS = """() => Array.from(document.querySelectorAll('ul > li')).map(li => {
  let depth = 0;
  for (let node = li.parentElement; node; node = node.parentElement)
    if (node.tagName.toLowerCase() === 'ul' || node.tagName.toLowerCase() === 'ol') depth++;
  return [depth, li.textContent.trim().split('\\n')[0], getComputedStyle(li).listStyleType];
})"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("markers")
    (folder / "markers.md").write_text(SOURCE, encoding="utf-8")
    result = run_chapbook("build", str(folder / "markers.md"), "-o", str(folder / "out"),
                          "-f", "epub", "-f", "html", "-f", "pdf", "-q")
    assert result.returncode == 0, result.stderr
    unpacked = folder / "unpacked"
    with zipfile.ZipFile(folder / "out" / "markers.epub") as archive:
        archive.extractall(unpacked)
    page = next(path for path in unpacked.rglob("*.xhtml") if "level six" in path.read_text(encoding="utf-8"))
    web_page = next(path for path in (folder / "out" / "web").glob("*.html") if path.name != "index.html")
    return {"epub": (page, unpacked), "web": (web_page, web_page.parent), "pdf": folder / "out" / "markers.pdf"}


@pytest.fixture(scope="module")
def chromium():
    if browser.missing():
        pytest.skip(f"install it: {browser.missing()}")
    with browser.open_browser() as running:
        yield running


def _marker(css_value: str) -> str:
    """The glyph of a computed string marker: `"•\u2002"` -> `•`."""
    return css_value.strip('"').strip()


def _computed(chromium, page, root) -> list[tuple[int, str, str]]:
    with chromium.open(page, 800, root=root) as view:
        return [(depth, text, _marker(style)) for depth, text, style in view.evaluate(_MARKERS_JS)]



@pytest.mark.parametrize("edition", ["epub", "web"])
def test_each_depth_to_six_shows_a_marker_of_its_own(built, chromium, edition):
    items = _computed(chromium, *built[edition])
    by_depth = {depth: marker for depth, text, marker in items if text.startswith("level")}
    assert sorted(by_depth) == [1, 2, 3, 4, 5, 6]
    assert len(set(by_depth.values())) == 6, by_depth
    assert all(len(marker) == 1 and marker != "*" for marker in by_depth.values()), by_depth
    # A bullet list's depth counts the numbered lists around it too.
    mixed = {text: (depth, marker) for depth, text, marker in items if text.startswith("bullet")}
    assert mixed["bullet two"] == (2, by_depth[2]) and mixed["bullet four"] == (4, by_depth[4]), mixed


def test_the_pdf_prints_the_markers_the_epub_and_the_web_page_show(built, chromium):
    shown = {edition: [marker for _depth, text, marker in _computed(chromium, *built[edition])
                       if text.startswith("level")] for edition in ("epub", "web")}
    printed = subprocess.run(["pdftotext", "-layout", str(built["pdf"]), "-"], capture_output=True, text=True,
                             check=True).stdout
    lines = [line.split() for line in printed.splitlines() if "level" in line]
    in_pdf = [words[words.index("level") - 1] for words in lines if "level" in words][:6]
    assert shown["epub"] == shown["web"] == in_pdf, (shown, in_pdf)
