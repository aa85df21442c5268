"""README.md and docs/: a README that fits on a screen, links and pictures that lead somewhere, lowercase headings."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "tests" / "benchmarks" / "results.md"]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)|<img [^>]*src=\"([^\"]+)\"")


def _outside_code(text: str) -> list[str]:
    """The lines of `text` outside fenced code blocks, inline code left out."""
    lines, fenced = [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(re.sub(r"`[^`]*`", "", line))
    return lines


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as hyphens."""
    text = heading.strip().lower()
    text = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = page.read_text(encoding="utf-8")
    lines, fenced = [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"#+ (.*)", line)):
            lines.append(_anchor(match.group(1)))
    return set(lines)


def test_the_readme_fits_on_a_screen_or_so():
    assert len(README.read_text(encoding="utf-8").splitlines()) < 250


def test_the_readme_links_every_page_of_docs():
    text = README.read_text(encoding="utf-8")
    for page in (ROOT / "docs").glob("*.md"):
        assert f"(docs/{page.name}" in text, f"README does not link docs/{page.name}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_link_and_picture_leads_somewhere(page):
    for line in _outside_code(page.read_text(encoding="utf-8")):
        for match in LINK.finditer(line):
            target = match.group(1) or match.group(2)
            if re.match(r"[a-z]+:", target):
                continue  # an address on the web, not ours to check
            path, _, fragment = target.partition("#")
            resolved = (page.parent / unquote(path)).resolve() if path else page
            assert resolved.exists(), f"{page.name}: {target} leads nowhere"
            if fragment and resolved.suffix == ".md":
                assert fragment in _anchors(resolved), f"{page.name}: {target}: no such heading"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_headings_are_lowercase_as_the_project_writes_them(page):
    for line in _outside_code(page.read_text(encoding="utf-8")):
        if match := re.match(r"#+ (.*)", line):
            first = next((c for c in match.group(1) if c.isalpha()), "")
            assert not first.isupper(), f"{page.name}: heading {line!r} starts with a capital"
