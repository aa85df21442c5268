"""`chapbook check`: read what build wrote and judge it, edition by edition, with each edition's checker.

The checkers come from the edition registry (pipeline/editions.py); each validates its file or folder
with the real tools (EPUBCheck, poppler, an independent gemtext parser) and then runs the voice check
(pipeline/voice.py) on what a reader of that edition sees.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.document import Document
from pipeline.editions import EDITIONS
from pipeline.findings import Finding, as_json

__all__ = ["Finding", "as_json", "check_build"]


def check_build(documents: list[Document], outdir: Path) -> list[Finding]:
    """Every finding for every edition of every document found in `outdir`."""
    findings: list[Finding] = []
    for edition in EDITIONS:
        checker = edition.load_checker()
        if checker is None:
            continue
        if edition.is_folder:
            folder = edition.path(outdir)
            if folder.is_dir():
                findings += checker(documents, folder)
            continue
        for document in documents:
            path = edition.path(outdir, document.stem)
            if path.exists():
                findings += checker(document, path)
    if not findings:
        findings.append(Finding("fail", str(outdir), "editions", "no edition of these sources here; run "
                                "chapbook build, or name the sources it was built from with -s"))
    return findings
