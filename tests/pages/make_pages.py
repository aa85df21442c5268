"""The pictures of the PDF and the booklet (docs/editions.md, docs/printing.md; the spread also in README.md),
drawn again from a fresh build of the essay.

`.venv/bin/python tests/pages/make_pages.py` builds source/essay.md (`-f pdf -f booklet`, into a
temporary folder) and renders, with poppler's pdftoppm:
- pdf-contents.png: the first page of the contents, at 100 dpi;
- pdf-spread.png: the spread that holds the essay's deepest list, left and right page side by side
  across a grey gutter, at 100 dpi;
- booklet-sheet.png: the side of a booklet sheet that carries the spread's left page, at 60 dpi.
It prints which pages it drew, for their captions.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
PAGES = Path(__file__).resolve().parent
DEEPEST_LIST = "is 40 bytes copyrightable?"  # in the essay's deepest list (its fourth level)
GUTTER, GUTTER_COLOUR = 4, (136, 136, 136)


def page_texts(pdf: Path) -> list[str]:
    """The text of each page of `pdf` (pdftotext), in order."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]


def rendered(pdf: Path, page: int, dpi: int, folder: Path) -> Image.Image:
    """Page `page` (from 1) of `pdf` as an RGB image at `dpi`."""
    stem = folder / f"{pdf.stem}-{page}"
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(stem)], check=True)
    return Image.open(f"{stem}.png").convert("RGB")


def side_by_side(left: Image.Image, right: Image.Image) -> Image.Image:
    """Two pages of a spread across a gutter line."""
    spread = Image.new("RGB", (left.width + GUTTER + right.width, max(left.height, right.height)), GUTTER_COLOUR)
    spread.paste(left, (0, 0))
    spread.paste(right, (left.width + GUTTER, 0))
    return spread


def main() -> None:
    """Build the essay, find the pages, write the three images and say which pages they show."""
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        environment = dict(os.environ, SOURCE_DATE_EPOCH=os.environ.get("SOURCE_DATE_EPOCH", "1700000000"))
        subprocess.run([sys.executable, "-m", "pipeline", "build", "-q", "-f", "pdf", "-f", "booklet", "-o",
                        str(folder), "source/essay.md"], cwd=ROOT, env=environment, check=True)
        pdf, booklet = folder / "essay.pdf", folder / "essay-booklet.pdf"
        texts = page_texts(pdf)
        contents = next(number for number, text in enumerate(texts, 1) if text.lstrip().startswith("contents"))
        deepest = next(number for number, text in enumerate(texts, 1) if DEEPEST_LIST in text)
        left = deepest if deepest % 2 == 0 else deepest - 1
        rendered(pdf, contents, 100, folder).save(PAGES / "pdf-contents.png", optimize=True)
        spread = side_by_side(rendered(pdf, left, 100, folder), rendered(pdf, left + 1, 100, folder))
        spread.save(PAGES / "pdf-spread.png", optimize=True)
        sides = page_texts(booklet)
        sheet_side = next(number for number, text in enumerate(sides, 1) if DEEPEST_LIST in text)
        rendered(booklet, sheet_side, 60, folder).save(PAGES / "booklet-sheet.png", optimize=True)
        print(f"contents: page {contents}; spread: pages {left} and {left + 1}; "
              f"booklet: side {sheet_side} of {len(sides)} (sheet {(sheet_side + 1) // 2})")


if __name__ == "__main__":
    main()
