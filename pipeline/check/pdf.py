"""Judging the PDF edition: fonts embedded once each, tags and artifacts, bookmarks, title metadata, no missing
glyphs, the voice."""

from __future__ import annotations

from pathlib import Path

from pipeline.check import readback
from pipeline.check.findings import Finding
from pipeline.check.installs import POPPLER_INSTALL
from pipeline.check.pdf_tags import (
    characters_without_glyphs,
    font_programs,
    note_tags,
    tag_coverage,
    top_level_bookmarks,
)
from pipeline.check.voice import source_location, voice_findings
from pipeline.document import Document

NO_POPPLER = f"poppler is missing; install it: {POPPLER_INSTALL}"


def font_rows(path: Path) -> list[tuple[str, bool, bool]]:
    """Each font pdffonts lists: (name, embedded, subset)."""
    import subprocess

    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=False).stdout
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    # Counted from the right (emb, sub, uni, object, generation): a font's name or type may hold spaces.
    return [(row[0], row[-5] == "yes", row[-4] == "yes") for row in rows if len(row) >= 6]


def check_pdf(document: Document, path: Path) -> list[Finding]:
    """PDF: every font embedded, bookmarks present, title metadata, then the voice on the extracted text."""
    label = str(path)
    if not readback.pdftotext_available():
        return [Finding("skipped", label, "PDF text and fonts", NO_POPPLER)]
    rows = font_rows(path)
    findings = [fonts_finding(label, "every font embedded", rows,
                              [name for name, embedded, _subset in rows if not embedded])]
    import pikepdf

    with pikepdf.open(path) as pdf:
        findings += _font_program_findings(pdf, label) + _tag_findings(pdf, label)
        findings += unset_character_warnings(document, pdf, path)
        findings += _note_findings(pdf, document, label)
        bookmarks = top_level_bookmarks(pdf)
        title = str(pdf.docinfo["/Title"]) if "/Title" in pdf.docinfo else None
    findings.append(Finding("ok" if bookmarks or not document.outline() else "fail", label, "bookmarks",
                            f"{bookmarks} top-level bookmarks"))
    findings.append(Finding("ok" if title == document.meta.title else "fail", label, "title metadata",
                            repr(title)))
    reading = readback.read_pdf(path)
    missing_glyphs = "\ufffd" in reading.text
    findings.append(Finding("fail" if missing_glyphs else "ok", label, "no missing glyphs",
                            "U+FFFD in the extracted text" if missing_glyphs else ""))
    return findings + voice_findings(document, reading, label)


def fonts_finding(label: str, check: str, rows: list, wrong: list[str]) -> Finding:
    """Whether the fonts pdffonts lists (`rows`) are embedded as `check` says (`wrong` names those that are not).

    A file whose pdffonts lists no font at all draws no text: nothing to decide here (the voice check
    says whether the text is there), so the check is skipped, not passed or failed.
    """
    if not rows:
        return Finding("skipped", label, check, "because pdffonts lists no font in the file: it draws no text")
    return Finding("fail" if wrong else "ok", label, check, ", ".join(wrong) if wrong else f"{len(rows)} fonts")


def unset_character_warnings(document: Document, pdf, path: Path) -> list[Finding]:
    """A warning at its source line for each character no font has, which the PDF (open in pikepdf) draws as
    an empty box: the author's text, kept (it extracts), not a fault of the edition."""
    return [Finding("warning", source_location(document, character), "a character no font has",
                    f"U+{ord(character[0]):04X} {character!r} drawn as an empty box in {path.name} (its text is "
                    "kept); install a font that has it, or write it another way")
            for character in characters_without_glyphs(pdf)]


def _font_program_findings(pdf, label: str) -> list[Finding]:
    """One program per face, none stored twice (the font streams hashed)."""
    programs = font_programs(pdf)
    detail = f"{programs.streams} programs for {len(set(programs.faces))} faces"
    if programs.distinct < programs.streams:
        detail += f", {programs.streams - programs.distinct} stored twice"
    return [Finding("ok" if programs.each_once else "fail", label, "each font program embedded once", detail)]


def _tag_findings(pdf, label: str) -> list[Finding]:
    """Every mark on every page tagged or an artifact, the page furniture among the artifacts (PDF/UA-1, 7.1)."""
    coverage = tag_coverage(pdf)
    if pdf.Root.get("/StructTreeRoot") is None:
        return [Finding("fail", label, "tagged content", "no structure tree")]
    artifacts = sum(coverage.artifacts.values())
    detail = (f"{coverage.tagged} tagged sequences, {artifacts} artifacts "
              f"({coverage.artifacts['Pagination']} running heads and folios)")
    if coverage.orphans:
        detail += f", {coverage.orphans} outside the structure tree"
    if coverage.untagged_marks:
        detail += f", {coverage.untagged_marks} marks neither tagged nor artifact"
    return [Finding("ok" if coverage.complete else "fail", label, "tagged content", detail)]


def _note_findings(pdf, document: Document, label: str) -> list[Finding]:
    """Each of the source's notes a /Note with an ID, each disclaimer an /Aside mapped to a standard type."""
    from pipeline.ast import has_class, walk_blocks
    from pipeline.transforms.asterisk_notes import NOTE_CLASS
    from pipeline.transforms.disclaimers import DISCLAIMER_CLASS

    if pdf.Root.get("/StructTreeRoot") is None:
        return []
    blocks = list(walk_blocks(document.blocks))
    notes = sum(has_class(block, NOTE_CLASS) for block in blocks)
    asides = sum(has_class(block, DISCLAIMER_CLASS) for block in blocks)
    tags = note_tags(pdf)
    detail = f"{tags.notes} Note for {notes} notes, {tags.asides} Aside for {asides} disclaimers"
    if tags.asides:
        detail += f" (role-mapped to {tags.aside_maps_to})" if tags.aside_maps_to else " (not role-mapped)"
    if tags.unique_ids < tags.notes:
        detail += f", {tags.notes - tags.unique_ids} Note without an ID of its own"
    good = tags.valid and tags.notes >= notes and tags.asides >= asides
    return [Finding("ok" if good else "fail", label, "notes and disclaimers tagged", detail)]
