"""WeasyPrint's system libraries missing: one line naming the library and the install commands, no traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import cffi
import pytest
from conftest import FIXTURES, ROOT

from pipeline.errors import ChapbookError
from pipeline.writers.pdf.system_libraries import explained_library_errors, missing_library

PANGO = "/usr/lib/x86_64-linux-gnu/libpango-1.0.so.0"


def _dlopen_error(name: str) -> OSError:
    try:
        cffi.FFI().dlopen(name)
    except OSError as error:
        return error
    raise AssertionError(f"{name} loaded")


def test_the_library_is_named_from_cffis_own_error():
    assert missing_library(_dlopen_error("libpango-1.0-0-not-here")) == "libpango-1.0-0-not-here"
    assert missing_library(_dlopen_error("libsomething-else-not-here")) is None


def test_an_unknown_library_error_is_left_as_it_is():
    with pytest.raises(OSError), explained_library_errors():
        raise _dlopen_error("libsomething-else-not-here")


def test_a_missing_harfbuzz_becomes_one_line_with_the_install_commands():
    with pytest.raises(ChapbookError) as raised, explained_library_errors():
        print("WeasyPrint's own advice")
        raise _dlopen_error("libharfbuzz-0-not-here")
    line = str(raised.value)
    assert "\n" not in line and "HarfBuzz (libharfbuzz-0-not-here)" in line
    for command in ("sudo apt-get install libpango-1.0-0", "sudo dnf install pango", "brew install pango"):
        assert command in line


@pytest.mark.skipif(shutil.which("unshare") is None or not os.path.exists(PANGO), reason="needs unshare and Pango")
def test_build_without_pango_says_so_in_one_line(tmp_path):
    # Pango hidden behind /dev/null in a mount namespace of this command only: what a machine without it sees.
    build = [sys.executable, "-m", "pipeline", "build", str(FIXTURES / "kitchen-sink.md"), "-o", str(tmp_path),
             "-f", "pdf"]
    command = ["unshare", "-rm", "sh", "-c", f'mount --bind /dev/null {PANGO} && exec "$@"', "sh", *build]
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no mount namespace here: {probe.stderr.decode().strip()}")
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert "the PDF editions need Pango (libpango-1.0-0), which is not installed" in result.stderr
    assert "WeasyPrint could not import" not in result.stdout
    assert not (tmp_path / "kitchen-sink.pdf").exists()
