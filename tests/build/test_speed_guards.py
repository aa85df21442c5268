"""Speed guards that are not timings: what start-up imports, what watch rebuilds."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from conftest import FIXTURES, ROOT

HEAVY = ("weasyprint", "ebooklib", "pypandoc", "jetforce", "fontTools")


def test_help_and_version_import_no_heavy_library():
    for argument in ("--help", "--version"):
        result = subprocess.run([sys.executable, "-X", "importtime", "-m", "pipeline", argument], cwd=ROOT,
                                capture_output=True, text=True, check=True)
        imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()}
        assert not imported & set(HEAVY), imported & set(HEAVY)


def test_watch_rebuilds_on_save_and_stops_cleanly(tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    source = folder / "essay.md"
    shutil.copy(FIXTURES / "disclaimers.md", source)
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "watch", str(source), "-o", str(out), "-f", "txt"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=dict(os.environ))
    try:
        deadline = time.monotonic() + 30
        while not (out / "essay.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # let the watcher start
        source.write_text(source.read_text() + "\na line added while watching.\n")
        deadline = time.monotonic() + 30
        while "a line added while watching." not in (out / "essay.txt").read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "a line added while watching." in (out / "essay.txt").read_text()
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "rebuilt 1 of 1" in output and "Traceback" not in output


def _pdf_words(path) -> str:
    if not path.exists():
        return ""
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True).stdout


def _watch_a_fixture(tmp_path, formats: list[str], environment: dict | None = None):
    """`chapbook watch -v` on a copy of the disclaimers fixture: (process, source, output folder, its log)."""
    folder = tmp_path / "src"
    folder.mkdir()
    source = folder / "essay.md"
    shutil.copy(FIXTURES / "disclaimers.md", source)
    out, log = tmp_path / "out", tmp_path / "watch.log"
    command = [sys.executable, "-m", "pipeline", "watch", str(source), "-o", str(out), "-v"]
    with log.open("w") as stream:
        process = subprocess.Popen(command + [flag for name in formats for flag in ("-f", name)], cwd=ROOT,
                                   stdout=stream, stderr=subprocess.STDOUT, text=True, env=environment)
    return process, source, out, log


def test_watch_keeps_one_warm_pdf_worker_for_every_rebuild_and_replaces_a_dead_one(tmp_path):
    process, source, out, log = _watch_a_fixture(tmp_path, ["pdf", "txt"])

    def rebuilt_with(word: str) -> list[str]:
        """Save the source with `word` in it, wait for the PDF to show it, and return the worker pids of the log."""
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("lawyer", word, 1) if "lawyer" in text else text + f"\n{word}\n",
                          encoding="utf-8")
        deadline = time.monotonic() + 60
        while word not in _pdf_words(out / "essay.pdf") and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
        assert word in _pdf_words(out / "essay.pdf") and word in (out / "essay.txt").read_text(encoding="utf-8")
        return re.findall(r"answered by worker process (\d+)", log.read_text())

    try:
        deadline = time.monotonic() + 60
        while "rebuilt" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # let the watcher start
        first = rebuilt_with("barrister")
        second = rebuilt_with("solicitor")
        assert len(second) > len(first) and set(second) == {first[-1]}  # the same process laid out each PDF
        os.kill(int(first[-1]), signal.SIGKILL)  # what the OOM killer does to a worker between saves
        third = rebuilt_with("advocate")
        assert third[-1] != first[-1]
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    output = log.read_text()
    assert process.returncode == 0 and "stopped watching" in output and "Traceback" not in output, output
    assert len(re.findall(r"worker process \d+ started", output)) == 2, output


def test_watch_writes_the_capsule_before_the_pdf_and_ends_with_what_a_build_makes(tmp_path):
    environment = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    process, source, out, log = _watch_a_fixture(tmp_path, ["gemini"], environment)
    try:
        deadline = time.monotonic() + 60
        while "rebuilt" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # let the watcher start
        text = source.read_text(encoding="utf-8")
        source.write_text(text.replace("lawyer", "barrister", 1), encoding="utf-8")
        deadline = time.monotonic() + 60
        while log.read_text().count("rebuilt") < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    output = log.read_text()
    assert "rebuilt 4 of 4" in output and "Traceback" not in output, output
    early = re.findall(r"gemini: written with the last build's (\S+) until the new one is done", output)
    assert early == ["essay.pdf"], output  # once, for the edit: the first build had no earlier PDF
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "pipeline", "build", str(source), "-o", str(fresh), "-f", "gemini", "-q"],
                   cwd=ROOT, check=True, env=dict(environment, CHAPBOOK_CACHE_DIR=str(tmp_path / "cache")))
    watched = {path.relative_to(out / "gemini"): path.read_bytes() for path in (out / "gemini").rglob("*")
               if path.is_file()}
    built = {path.relative_to(fresh / "gemini"): path.read_bytes() for path in (fresh / "gemini").rglob("*")
             if path.is_file()}
    assert watched == built  # the capsule's last writing has the new PDF, as a build of the saved source does
    assert watched[Path("gemlog/essay.pdf")] == (out / "essay.pdf").read_bytes()
    # The EPUB, whose page list follows the PDF, is shown at once without it, then made again with it.
    assert len(re.findall(r"essay\.epub: written without essay\.pdf until the new one is done", output)) == 2, output
    # Prepared once a build (while the PDF is laid out), for both its writings.
    assert len(re.findall(r"essay\.epub: prepared in [\d.]+ s while essay\.pdf is made", output)) == 2, output
    assert (out / "essay.epub").read_bytes() == (fresh / "essay.epub").read_bytes()
    assert b'epub:type="page-list"' in zipfile.ZipFile(out / "essay.epub").read("EPUB/nav.xhtml")
    assert any(b"barrister" in data for name, data in watched.items() if name.suffix == ".gmi")
