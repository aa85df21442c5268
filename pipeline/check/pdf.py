"""Judging the PDF edition: fonts embedded, bookmarks, title metadata, no missing glyphs, the voice."""

from __future__ import annotations

from pathlib import Path

from pipeline.check import readback
from pipeline.check.findings import Finding
from pipeline.check.installs import POPPLER_INSTALL
from pipeline.check.voice import voice_findings
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
    unembedded = [name for name, embedded, _subset in rows if not embedded]
    findings = [Finding("fail" if unembedded or not rows else "ok", label, "every font embedded",
                        ", ".join(unembedded) if unembedded else f"{len(rows)} fonts")]
    from pypdf import PdfReader

    reader = PdfReader(path)
    outline = reader.outline
    findings.append(Finding("ok" if outline or not document.outline() else "fail", label, "bookmarks",
                            f"{len(outline)} top-level bookmarks"))
    title = (reader.metadata or {}).get("/Title")
    findings.append(Finding("ok" if title == document.meta.title else "fail", label, "title metadata",
                            repr(title)))
    reading = readback.read_pdf(path)
    missing_glyphs = "\ufffd" in reading.text
    findings.append(Finding("fail" if missing_glyphs else "ok", label, "no missing glyphs",
                            "U+FFFD in the extracted text" if missing_glyphs else ""))
    return findings + voice_findings(document, reading, label)
