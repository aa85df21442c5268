"""The writer's preview: what `watch` writes first after a save, and `serve --watch` reloading the open page."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import FIXTURES, ROOT


def _wait_for(condition, seconds: float = 60, process: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, log.read_text() if log else "timed out"
        assert process is None or process.poll() is None, log.read_text() if log else "the process ended"
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _files(folder: Path) -> dict[Path, bytes]:
    return {path.relative_to(folder): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_watch_writes_both_folders_with_the_last_pdf_before_waiting_for_the_new_one(tmp_path):
    """Capsule and web site both show an edit before the PDF lands, then carry the new PDF, as a build does."""
    environment = dict(os.environ, SOURCE_DATE_EPOCH="1700000000", CHAPBOOK_CACHE_DIR=str(tmp_path / "cache"))
    source = tmp_path / "src" / "essay.md"
    source.parent.mkdir()
    shutil.copy(FIXTURES / "disclaimers.md", source)
    out, log = tmp_path / "out", tmp_path / "watch.log"
    # The booklet waits for the PDF too: the folders must not wait for it (they did, behind it).
    formats = ["-f", "gemini", "-f", "web", "-f", "booklet"]
    with log.open("w") as stream:
        process = subprocess.Popen([sys.executable, "-m", "pipeline", "watch", str(source), "-o", str(out), "-v",
                                    *formats], cwd=ROOT, stdout=stream, stderr=subprocess.STDOUT, text=True,
                                   env=environment)
    try:
        _wait_for(lambda: "rebuilt" in log.read_text(), process=process, log=log)
        time.sleep(1.0)  # let the watcher start
        first = len(log.read_text())
        source.write_text(source.read_text(encoding="utf-8").replace("lawyer", "barrister", 1), encoding="utf-8")
        _wait_for(lambda: log.read_text().count("rebuilt") >= 2, process=process, log=log)
    finally:
        _stop(process)
    edit = log.read_text()[first:]
    early = re.findall(r"(gemini|web): written with the last build's (\S+) until the new one is done", edit)
    assert sorted(early) == [("gemini", "essay.pdf"), ("web", "essay.pdf")], edit
    # Both were written before the build collected the new PDF from its worker.
    landed = edit.index("answered by worker process")
    assert all(edit.index(f"{name}: written with the last build's") < landed for name in ("gemini", "web")), edit
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "pipeline", "build", str(source), "-o", str(fresh), *formats, "-q"],
                   cwd=ROOT, check=True, env=dict(environment, CHAPBOOK_CACHE_DIR=str(tmp_path / "cache-2")))
    for folder in ("gemini", "web"):
        watched = _files(out / folder)
        assert watched == _files(fresh / folder)  # the last writing has the new PDF, as a build of the save
        assert any(b"barrister" in data for name, data in watched.items() if name.suffix in (".gmi", ".html"))
    assert (out / "gemini" / "gemlog" / "essay.pdf").read_bytes() == (out / "essay.pdf").read_bytes()
