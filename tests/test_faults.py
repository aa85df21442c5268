"""Faults: a killed build never leaves a truncated output; concurrent builds do not corrupt each other."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import ESSAY, ROOT, run_chapbook

EPOCH = {"SOURCE_DATE_EPOCH": "1722384000"}


def _long_source(folder, copies, extra=""):
    text = ESSAY.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    folder.mkdir(exist_ok=True)
    source = folder / "long.md"
    source.write_text(head + "\n---\n" + (body + "\n\n") * copies + extra, encoding="utf-8")
    return source


def _outputs(out):
    return {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_killed_builds_leave_old_or_new_complete_files(tmp_path):
    source = _long_source(tmp_path / "src", 3)
    old_out, new_out, out = tmp_path / "old", tmp_path / "new", tmp_path / "out"
    assert run_chapbook("build", str(source), "-o", str(old_out), "--force", "-q", env=EPOCH).returncode == 0
    old = _outputs(old_out)
    _long_source(tmp_path / "src", 3, extra="\n\na new closing paragraph.\n")
    assert run_chapbook("build", str(source), "-o", str(new_out), "--force", "-q", env=EPOCH).returncode == 0
    new = _outputs(new_out)
    assert old.keys() == new.keys() and old != new
    for delay in (0.2, 0.5, 0.9, 1.4, 2.5):
        subprocess.run(["cp", "-a", f"{old_out}/.", str(out)], check=True)
        process = subprocess.Popen([sys.executable, "-m", "pipeline", "build", str(source), "-o", str(out),
                                    "--force", "-q"], cwd=ROOT, env=dict(os.environ, **EPOCH),
                                   start_new_session=True)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        for relative, data in _outputs(out).items():
            if relative.name.endswith(".part"):
                continue  # a killed build's temporary file; the next build removes it
            assert data in (old.get(relative), new.get(relative)), (delay, relative)
    assert run_chapbook("build", str(source), "-o", str(out), "--force", "-q", env=EPOCH).returncode == 0
    assert _outputs(out) == new  # the next build finishes the job and removes the leftovers


def test_two_builds_into_one_folder_at_once(tmp_path):
    source = _long_source(tmp_path / "src", 2)
    reference, out = tmp_path / "reference", tmp_path / "out"
    assert run_chapbook("build", str(source), "-o", str(reference), "--force", "-q", env=EPOCH).returncode == 0
    command = [sys.executable, "-m", "pipeline", "build", str(source), "-o", str(out), "--force", "-q"]
    processes = [subprocess.Popen(command, cwd=ROOT, env=dict(os.environ, **EPOCH), stderr=subprocess.PIPE)
                 for _ in range(2)]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.stderr.read()
    assert _outputs(out) == _outputs(reference)
