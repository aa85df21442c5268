"""Font coverage: every character a document uses, checked against the faces the PDF sets it in.

A character the chosen face lacks would come out as a missing-glyph box or in a stray fallback
face; the check names it (U+XXXX and the character) and where it first occurs before rendering.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pipeline.ast import Node, child_block_lists, stringify
from pipeline.document import Document

log = logging.getLogger("chapbook")

TEXT_FAMILY = "Charis SIL"
CODE_FAMILY = "DejaVu Sans Mono"
# Where the Debian packages fonts-sil-charis and fonts-dejavu-core put them, if fontconfig is absent.
KNOWN_FILES = {
    TEXT_FAMILY: tuple(Path("/usr/share/fonts/truetype/charis") / f"CharisSIL-{style}.ttf"
                       for style in ("Regular", "Italic", "Bold", "BoldItalic")),
    CODE_FAMILY: (Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),),
}
_FIRST_WORDS = 6


@dataclass(frozen=True)
class TextRun:
    """Some text of the document, whether it is set as code, and where a reader would find it."""

    text: str
    code: bool
    where: str


@dataclass(frozen=True)
class MissingGlyph:
    """A character the face it is set in does not have, and the first place it occurs."""

    character: str
    family: str
    where: str
    count: int = 1

    def message(self) -> str:
        """The warning a user reads: code point, character, face and place."""
        more = f" (and {self.count - 1} more time{'s' if self.count > 2 else ''})" if self.count > 1 else ""
        return (f"U+{ord(self.character):04X} {self.character!r} is not in {self.family}: "
                f"used in {self.where}{more}")


FONT_SUFFIXES = (".ttf", ".otf")


@lru_cache(maxsize=8)
def _listed(family: str) -> tuple[tuple[Path, str], ...]:
    """Each installed file of `family` with its character set, as fontconfig lists them (none without fc-list)."""
    if not shutil.which("fc-list"):
        return ()
    # The charset first: it never holds a tab, so a tab in a file's path stays in the path.
    result = subprocess.run(["fc-list", f":family={family}", "--format", "%{charset}\t%{file}\n"],
                            capture_output=True, text=True, check=False)
    listed = {}
    for line in result.stdout.split("\n"):
        charset, _tab, file = line.partition("\t")
        path = Path(file)
        if path.suffix.lower() in FONT_SUFFIXES:
            listed[path] = charset
    return tuple(sorted(listed.items()))


def font_files(family: str) -> tuple[Path, ...]:
    """The installed files of `family` (every style), found through fontconfig, else at known paths."""
    listed = tuple(path for path, _charset in _listed(family))
    return listed or tuple(path for path in KNOWN_FILES.get(family, ()) if path.is_file())


def charset_code_points(charset: str) -> frozenset[int]:
    """The code points of a fontconfig charset as fc-list prints it: hexadecimal ranges, "20-7e a0 a2-ff"."""
    points: set[int] = set()
    for part in charset.split():
        first, _dash, last = part.partition("-")
        points.update(range(int(first, 16), int(last or first, 16) + 1))
    return frozenset(points)


@lru_cache(maxsize=8)
def covered_characters(family: str) -> frozenset[int] | None:
    """Code points every style of `family` has a glyph for, or None if the family is not installed.

    fontconfig's character sets (cached by fontconfig, and what Pango picks faces by) cost one fc-list
    call; without fc-list each file's cmap is read with fontTools (60 ms for the book's eight faces).
    """
    try:
        sets = [charset_code_points(charset) for _path, charset in _listed(family)]
    except ValueError:  # a charset this code cannot read (another fontconfig's format)
        sets = []
    if not sets or not all(sets):  # none listed, or one without a charset: read the cmaps themselves
        from fontTools.ttLib import TTFont

        sets = [frozenset(TTFont(path, lazy=True, fontNumber=0).getBestCmap() or {}) for path in font_files(family)]
    return frozenset.intersection(*sets) if sets else None


def needs_glyph(character: str) -> bool:
    """Whether a character is drawn with a glyph (not whitespace, controls, format or selector marks)."""
    if character.isspace() or 0xFE00 <= ord(character) <= 0xFE0F:
        return False
    return unicodedata.category(character) not in ("Cc", "Cf", "Zl", "Zp")


def _first_words(text: str) -> str:
    words = text.split()
    shown = " ".join(words[:_FIRST_WORDS])
    return f"“{shown}…”" if len(words) > _FIRST_WORDS else f"“{shown}”"


def _place(block: Node, section: str) -> str:
    paragraph = f"the paragraph {_first_words(stringify(block) or block.get('t', ''))}"
    return f"{paragraph} in section “{section}”" if section else paragraph


def _inline_runs(inlines: list[Node], where: str) -> Iterator[TextRun]:
    for node in inlines:
        kind, content = node.get("t"), node.get("c")
        if kind == "Str":
            yield TextRun(content, False, where)
        elif kind == "Code":
            yield TextRun(content[1], True, where)
        elif kind == "Math":
            yield TextRun(content[1], False, where)
        elif kind == "Link":
            yield from _inline_runs(content[1], where)
            yield TextRun(content[2][0], False, where)  # external URLs are printed for paper readers
        elif kind == "Note":
            for run in _block_runs(content, ""):
                yield TextRun(run.text, run.code, f"a footnote in {where}")
        elif kind == "Quoted":
            yield TextRun("“”" if content[0]["t"] == "DoubleQuote" else "‘’", False, where)
            yield from _inline_runs(content[1], where)
        elif kind in ("Span", "Cite"):
            yield from _inline_runs(content[-1], where)
        elif kind in ("Emph", "Strong", "Strikeout", "Underline", "Superscript", "Subscript", "SmallCaps"):
            yield from _inline_runs(content, where)


def _block_runs(blocks: list[Node], section: str) -> Iterator[TextRun]:
    for block in blocks:
        kind, content = block.get("t"), block.get("c")
        if kind == "Header":
            text = stringify(content[2])
            yield from _inline_runs(content[2], f"the heading “{text}”")
            section = text
        elif kind in ("Para", "Plain"):
            yield from _inline_runs(content, _place(block, section))
        elif kind == "CodeBlock":
            yield TextRun(content[1], True, _place(block, section))
        elif kind == "LineBlock":
            for line in content:
                yield from _inline_runs(line, _place({"t": "Plain", "c": line}, section))
        elif kind == "DefinitionList":
            for term, _definitions in content:
                yield from _inline_runs(term, _place({"t": "Plain", "c": term}, section))
        for children in child_block_lists(block):
            yield from _block_runs(children, section)


def text_runs(document: Document) -> Iterator[TextRun]:
    """Every piece of text the PDF sets, with whether it is code and where it is, in reading order."""
    meta = document.meta
    for text in (meta.title, *(text for _kind, text in meta.title_page())):
        yield TextRun(text, False, "the title page")
    yield from _block_runs(document.blocks, "")


def missing_glyphs(document: Document, generated_text: str = "") -> list[MissingGlyph]:
    """Characters of `document` (and of labels the writer adds) that their face lacks, first place first."""
    faces = {False: TEXT_FAMILY, True: CODE_FAMILY}
    coverage = {code: covered_characters(family) for code, family in faces.items()}
    runs = [*text_runs(document), TextRun(generated_text, False, "chapbook's own labels")]
    found: dict[tuple[str, bool], MissingGlyph] = {}
    for run in runs:
        covered = coverage[run.code]
        if covered is None:
            continue
        for character in run.text:
            if ord(character) in covered or not needs_glyph(character):
                continue
            key = (character, run.code)
            previous = found.get(key)
            found[key] = (MissingGlyph(character, faces[run.code], run.where) if previous is None else
                          MissingGlyph(character, previous.family, previous.where, previous.count + 1))
    return list(found.values())


def check_coverage(document: Document, generated_text: str = "") -> list[MissingGlyph]:
    """Warn about each character the chosen faces cannot set (and about a face that is not installed)."""
    for family in (TEXT_FAMILY, CODE_FAMILY):
        if covered_characters(family) is None:
            log.warning("%s: the font %s is not installed; the PDF will use a fallback face "
                        "(install it with `make system`)", document.source, family)
    missing = missing_glyphs(document, generated_text)
    for glyph in missing:
        log.warning("%s: %s", document.source, glyph.message())
    return missing
