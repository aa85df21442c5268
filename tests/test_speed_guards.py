"""Speed guards that are not timings: what start-up imports, what watch rebuilds."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

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
