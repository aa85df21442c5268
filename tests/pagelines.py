"""A PDF's lines as a reader sees them on the page, from `pdftotext -bbox-layout`, for measuring typesetting.

Each line keeps its page, its box in points (from the page's top left) and its words. The body of a
page is what lies between the running head and the folio, which sit in the page's margins.
"""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

XHTML = "{http://www.w3.org/1999/xhtml}"
HYPHENS = ("\u2010", "-", "\u00ad")  # the hyphen Pyphen sets, a hyphen the author typed, a soft hyphen


@dataclass(frozen=True)
class Line:
    """One line of text: 1-based page number, box (x0, y0, x1, y1), its words and where each starts and ends."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    words: tuple[str, ...]
    spans: tuple[tuple[float, float], ...]  # (x0, x1) of each word

    @property
    def spaces(self) -> list[float]:
        """The gap between each word and the next, in points."""
        return [after[0] - before[1] for before, after in zip(self.spans, self.spans[1:], strict=False)]

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def hyphenated(self) -> bool:
        """Whether the line ends inside a word, with a hyphen."""
        return self.words[-1].endswith(HYPHENS) and len(self.words[-1]) > 1


@dataclass(frozen=True)
class Page:
    """One page: its number, size and lines top to bottom."""

    number: int
    width: float
    height: float
    lines: tuple[Line, ...]


def read_pages(path: Path | bytes) -> list[Page]:
    """Every page of the PDF at `path` (or PDF bytes) with its lines, top to bottom."""
    data = path if isinstance(path, bytes) else Path(path).read_bytes()
    html = subprocess.run(["pdftotext", "-bbox-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout
    root = ElementTree.fromstring(html)
    pages = []
    for number, page in enumerate(root.iter(f"{XHTML}page"), start=1):
        lines = []
        for line in page.iter(f"{XHTML}line"):
            words = list(line.iter(f"{XHTML}word"))
            lines.append(Line(number, *(float(line.get(key)) for key in ("xMin", "yMin", "xMax", "yMax")),
                              tuple(word.text or "" for word in words),
                              tuple((float(word.get("xMin")), float(word.get("xMax"))) for word in words)))
        lines.sort(key=lambda line: (round(line.y0, 1), line.x0))
        pages.append(Page(number, float(page.get("width")), float(page.get("height")), tuple(lines)))
    return pages


def body_lines(page: Page, top: float, bottom: float) -> list[Line]:
    """The lines between the running head and the folio: `top` and `bottom` are the page margins in points."""
    return [line for line in page.lines if line.y1 > top and line.y0 < page.height - bottom]


def head_line(page: Page, top: float) -> str:
    """The running head: the text in the top margin ("" if none)."""
    return " ".join(line.text for line in page.lines if line.y1 <= top)


def runs_of_text(pages: list[Page], top: float, bottom: float) -> list[list[Line]]:
    """The body's lines cut into runs of one type size that follow each other, across pages too.

    Within a run, each line is set right below the one before (or at the top of the next page), so a
    hyphen at a line's end continues on the next line of its run. Footnotes, headings and code, set
    in other sizes, form runs of their own.
    """
    runs: list[list[Line]] = []
    previous: Line | None = None
    for page in pages:
        for line in body_lines(page, top, bottom):
            if previous is not None and _follows(previous, line):
                runs[-1].append(line)
            else:
                runs.append([line])
            previous = line
    return runs


def _follows(before: Line, line: Line) -> bool:
    if abs(before.height - line.height) > 0.5:
        return False
    if line.page == before.page:
        return 0 < line.y0 - before.y0 < 1.6 * line.height
    return line.page == before.page + 1


def hyphenated_last_words(runs: list[list[Line]]) -> list[str]:
    """Paragraphs whose last word is split: a hyphenated line followed by a line of that word's end alone."""
    found = []
    for run in runs:
        for before, line in zip(run, run[1:], strict=False):
            # Two lines of one paragraph; a single word after a hyphen can only be the paragraph's last.
            if before.hyphenated and len([word for word in line.words if not word.isdigit()]) == 1:
                found.append(f"p{line.page}: {before.words[-1]} / {line.text}")
    return found


def hyphen_ladders(runs: list[list[Line]], longest: int = 2) -> list[str]:
    """Places where more than `longest` lines in a row end with a hyphen."""
    found = []
    for run in runs:
        count = 0
        for index, line in enumerate(run):
            count = count + 1 if line.hyphenated else 0
            if count == longest + 1:
                ends = [other.words[-1] for other in run[index - longest:index + 1]]
                found.append(f"p{line.page}: " + " / ".join(ends))
    return found
