"""Lists keep the spacing the author wrote, at every depth, read back from the built EPUB, web page, PDF and text.

The source has the essay's shape: a tight list whose fourth level pandoc reads as loose, only because its
first item goes on in a second paragraph; and a list whose one-paragraph items the author set apart with
blank lines, which stays loose.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from pipeline.ast import walk_blocks
from tests.conftest import document_from_text, run_chapbook
from tests.pagelines import read_pages

SOURCE = """---
title: spacing
lang: en
---

a tight list:

- first at depth one
- second at depth one
    - first at depth two
        - first at depth three
            - is 40 bytes copyrightable?

                try using the smb1 mario sprite and see where that gets you

            - finetuning can cause blatant memorization
            - characters are copyrightable too
- third at depth one

a loose list:

- alpha set apart

- beta set apart

- gamma set apart
"""
X = "{http://www.w3.org/1999/xhtml}"


def _lists(blocks) -> list[list[list[str]]]:
    """Each list in document order, as its items' block types."""
    return [[[block["t"] for block in item] for item in (block["c"] if block["t"] == "BulletList" else block["c"][1])]
            for block in walk_blocks(blocks) if block["t"] in ("BulletList", "OrderedList")]


def test_a_list_loose_only_by_a_second_paragraph_is_set_tight_and_a_spaced_list_stays_loose(tmp_path):
    import pypandoc

    from pipeline.reader import READER_FORMAT

    raw = pypandoc.convert_text(SOURCE.split("---\n", 2)[2], "json", format=READER_FORMAT)
    read = _lists(json.loads(raw)["blocks"])
    assert read[3] == [["Para", "Para"], ["Para"], ["Para"]]  # what pandoc says of the fourth level
    lists = _lists(document_from_text(tmp_path, SOURCE).blocks)
    assert lists[3] == [["Plain", "Para"], ["Plain"], ["Plain"]]
    assert lists[:3] == read[:3] and all(item[0] == "Plain" for depth in lists[:3] for item in depth)
    assert lists[4] == read[4] == [["Para"], ["Para"], ["Para"]]  # blank lines between one-paragraph items


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The source built by the real command line as EPUB, web site, PDF and plain text."""
    folder = tmp_path_factory.mktemp("spacing")
    source = folder / "spacing.md"
    source.write_text(SOURCE, encoding="utf-8")
    out = folder / "out"
    result = run_chapbook("build", "-f", "epub", "-f", "web", "-f", "pdf", "-f", "txt", "--force", "-q",
                          "-o", str(out), str(source), env={"CHAPBOOK_CACHE_DIR": str(folder / "cache")})
    assert result.returncode == 0, result.stderr
    unpacked = folder / "epub"
    with zipfile.ZipFile(out / "spacing.epub") as archive:
        archive.extractall(unpacked)
    page = next(path for path in unpacked.rglob("*.xhtml") if "copyrightable" in path.read_text(encoding="utf-8"))
    web = next(path for path in (out / "web").rglob("*.html") if "copyrightable" in path.read_text(encoding="utf-8"))
    return {"epub": page, "epub root": unpacked, "web": web, "web root": out / "web", "pdf": out / "spacing.pdf",
            "text": out / "spacing.txt"}


def test_the_epubs_tight_items_hold_bare_text_at_every_depth(built):
    body = ET.parse(built["epub"]).getroot()
    items = {("".join(item.itertext()).split("\n")[0].strip()): item for item in body.iter(f"{X}li")}
    for text in ("first at depth one", "first at depth three", "is 40 bytes copyrightable?",
                 "finetuning can cause blatant memorization"):
        assert items[text].text.strip() == text, text  # not wrapped in a paragraph
    going_on = items["is 40 bytes copyrightable?"].find(f"{X}p")
    assert going_on.get("class") == "continued" and going_on.text.startswith("try using")
    assert all(items[f"{name} set apart"].find(f"{X}p") is not None for name in ("alpha", "beta", "gamma"))


# The space between each list item and the next (in CSS pixels), with the number of lists around it; an item
# that ends with a nested list is left out (the nested list's own margin follows it).
_GAPS_JS = """within => Array.from(document.querySelectorAll(within + ' li + li'), item => {
  let depth = 0;
  for (let node = item.parentElement; node; node = node.parentElement)
    if (node.localName === 'ul' || node.localName === 'ol') depth++;
  const before = item.previousElementSibling, last = before.lastElementChild;
  const nested = last && (last.localName === 'ul' || last.localName === 'ol');
  return [depth, nested, before.textContent.trim().slice(0, 20),
          item.getBoundingClientRect().top - before.getBoundingClientRect().bottom];
})"""


@pytest.mark.parametrize("edition", ["epub", "web"])
def test_items_at_depth_four_are_as_close_as_at_depth_one_in_a_browser(built, edition):
    from pipeline.check import browser

    if browser.missing():
        pytest.skip(f"install it: {browser.missing()}")
    with browser.open_browser() as running, running.open(built[edition], 768, "light", 1024,
                                                          root=built[f"{edition} root"]) as view:
        gaps = view.evaluate(_GAPS_JS, "main" if edition == "web" else "body")
    tight = {text: gap for depth, nested, text, gap in gaps if not nested and "set apart" not in text}
    loose = [gap for _depth, _nested, text, gap in gaps if "set apart" in text]
    assert {depth for depth, *_rest in gaps} >= {1, 4}
    first = tight["first at depth one"]
    assert first > 0 and loose and min(loose) > first + 1  # the author's blank lines still show
    for text in ("is 40 bytes copyrigh", "finetuning can cause"):
        assert abs(tight[text] - first) < 0.5, (text, tight)


def test_items_at_depth_four_are_as_close_as_at_depth_one_in_the_pdf(built):
    lines = [line for page in read_pages(built["pdf"]) for line in page.lines]

    def pitch(before: str, after: str) -> float:
        """From one line's top to the next's (pdftotext's line boxes overlap a little, their tops do not)."""
        above = next(line for line in lines if before in line.text)
        below = next(line for line in lines if after in line.text)
        return below.y0 - above.y0

    depth_one = pitch("first at depth one", "second at depth one")
    assert depth_one == pytest.approx(pitch("finetuning can cause", "characters are"), abs=0.3)
    assert depth_one == pytest.approx(pitch("try using the smb1", "finetuning can cause"), abs=0.3)
    assert depth_one == pytest.approx(pitch("is 40 bytes", "try using the smb1"), abs=0.3)
    assert pitch("alpha set apart", "beta set apart") > depth_one + 0.5  # the author's blank lines


def test_the_text_edition_leaves_no_blank_line_between_tight_items(built):
    text = built["text"].read_text(encoding="utf-8")
    deep = text[text.index("first at depth one"):text.index("a loose list:")]
    after_blank_lines = re.findall(r"\n[ \t]*\n[ \t]*(\S+)", deep)
    # A blank line only before the item's second paragraph, as in the source; none between items.
    assert after_blank_lines == ["try"], after_blank_lines
    loose = text[text.index("a loose list:"):]
    assert len(re.findall(r"\n[ \t]*\n[ \t]*\S+ \w+ set apart", loose)) == 3
