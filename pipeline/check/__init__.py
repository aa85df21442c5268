"""`chapbook check`: read what build wrote and judge it, edition by edition, with each edition's checker.

The checkers come from the edition registry (pipeline/editions.py); each validates its file or folder
with the real tools (EPUBCheck, poppler, an independent gemtext parser) and then runs the voice check
(pipeline/check/voice.py) on what a reader of that edition sees.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.check.findings import Finding, as_json
from pipeline.check.voice import lost_words_finding, source_markdown
from pipeline.document import Document
from pipeline.editions import EDITIONS

__all__ = ["Finding", "as_json", "check_build"]


def check_build(documents: list[Document], outdir: Path) -> list[Finding]:
    """Every finding for every edition of every document found in `outdir`."""
    findings: list[Finding] = [_source_finding(document) for document in documents]
    for edition in EDITIONS:
        checker = edition.load_checker()
        if checker is None:
            continue
        if edition.is_folder:
            folder = edition.path(outdir)
            if folder.is_dir():
                findings += _guarded(checker, documents, folder)
            continue
        for document in documents:
            path = edition.path(outdir, document.stem)
            if path.exists():
                findings += _guarded(checker, document, path)
    if len(findings) == len(documents):
        findings.append(Finding("fail", str(outdir), "editions", "no edition of these sources here; run "
                                "chapbook build, or name the sources it was built from with -s"))
    return findings


def _source_finding(document: Document) -> Finding:
    """Whether every word of the source reached the editions (see voice.lost_words_finding)."""
    return lost_words_finding(document, source_markdown(document))


def _guarded(checker, subject, path: Path) -> list[Finding]:
    """The checker's findings; a file too damaged to read back is one failure, not a traceback."""
    try:
        return checker(subject, path)
    except Exception as error:  # noqa: BLE001 - a damaged file can break any reader (zipfile, pypdf, UTF-8)
        detail = " ".join(str(error).split())[:120]
        return [Finding("fail", str(path), "readable", f"cannot be read back ({type(error).__name__}: {detail}); "
                        "rebuild it with chapbook build --force")]
