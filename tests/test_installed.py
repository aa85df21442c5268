"""chapbook as a user installs it: the sdist and the wheel built from this checkout, the wheel installed into a
fresh virtual environment outside it, then `chapbook new`, `build` and `check` in an empty folder.

Honest first, then quick: the sdist and the wheel are built with `python -m build` (the wheel from the sdist, as a
release is made) from a copy of the checkout's files that git knows, so nothing generated (the engine's artefacts,
node_modules) rides along; the wheel goes into a new venv with `pip install`, which resolves its dependencies from
the package index as any user's install does (pip's cache makes that about 20 s). The checkout is never on the
installed chapbook's path: it runs from its own bin/, in a folder of its own, with PATH holding only that bin/
(so no Java, Node.js or poppler) unless a test gives it more.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

from pipeline import __version__

RUN_TIME_FILES = ("pipeline/styles/epub.css", "pipeline/styles/print.css", "pipeline/styles/web.css",
                  "pipeline/check/ace-batch.js", "pipeline/check/node-checkers.json")
GENERATED = ("_weasyprint_ffi", "_hyphenation_")


def _run(*command, **keywords) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=900, **keywords)
    assert result.returncode == 0, f"{command}: {result.stdout[-2000:]}{result.stderr[-3000:]}"
    return result


def _copy_of_checkout(target: Path) -> Path:
    """The files git knows (committed or not, ignored ones left out), copied as a fresh clone would have them."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source, copy = ROOT / name, target / name
        if not source.is_symlink() and not source.is_file():
            continue  # deleted but not yet committed, or a link to a folder outside (tools/node_modules)
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            copy.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, copy)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the installed chapbook's bin/, the folder holding the sdist and the wheel)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know which files a fresh clone has")
    work = tmp_path_factory.mktemp("installed")
    checkout = _copy_of_checkout(work / "checkout")
    dist = work / "dist"
    builder = work / "builder"
    _run(sys.executable, "-m", "venv", builder)
    _run(builder / "bin" / "python", "-m", "pip", "install", "-q", "build")
    _run(builder / "bin" / "python", "-m", "build", "--outdir", dist, checkout)
    venv = work / "venv"
    _run(sys.executable, "-m", "venv", venv)
    _run(venv / "bin" / "python", "-m", "pip", "install", "-q", next(dist.glob("chapbook-*.whl")))
    return venv / "bin", dist


def _chapbook(bin_folder: Path, *args: str, cwd: Path, path: str | None = None, **extra: str):
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PYTHONPATH", "VIRTUAL_ENV", "CHAPBOOK_NODE_TOOLS")}
    environment.update(PATH=path or str(bin_folder), HOME=str(cwd.parent), **extra)
    return subprocess.run([str(bin_folder / "chapbook"), *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=900)


def test_the_wheel_and_the_sdist_carry_the_run_time_files_and_nothing_generated(installed):
    _bin, dist = installed
    wheel = zipfile.ZipFile(next(dist.glob("chapbook-*.whl"))).namelist()
    with tarfile.open(next(dist.glob("chapbook-*.tar.gz"))) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for name in RUN_TIME_FILES:
        assert name in wheel and name in in_sdist, name
    assert not [name for name in wheel if any(mark in name for mark in GENERATED)]
    assert next(dist.glob("chapbook-*.whl")).name.startswith(f"chapbook-{__version__}-")


def test_version_comes_from_the_installed_metadata(installed, tmp_path):
    bin_folder, _dist = installed
    result = _chapbook(bin_folder, "--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout == f"chapbook, version {__version__}\n"


def test_new_build_check_in_an_empty_folder_without_outside_checkers(installed, tmp_path):
    bin_folder, _dist = installed
    made = _chapbook(bin_folder, "new", "blog", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    project = tmp_path / "blog"
    built = _chapbook(bin_folder, "build", cwd=project)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "Traceback" not in built.stderr
    for name in ("first-post.epub", "first-post.pdf", "first-post.txt", "gemini/index.gmi", "web/index.html"):
        assert (project / "build" / name).is_file(), name
    assert "[disclaimer: chapbook new wrote this post" in (project / "build" / "first-post.txt").read_text()
    checked = _chapbook(bin_folder, "check", cwd=project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    summary = checked.stdout.strip().splitlines()[-1]
    assert summary.endswith("skipped") and " 0 failed, " in summary and not summary.endswith(" 0 skipped"), summary
    skipped = [line for line in checked.stdout.splitlines() if line.startswith("skipped")]
    assert all("install it: " in line for line in skipped), skipped
    named = " ".join(skipped)
    for tool, command in (("EPUBCheck", "default-jre-headless"), ("Ace", "nodejs npm"),
                          ("Nu HTML Checker", "default-jre-headless"), ("gemtext parser", "-m pip install trimgmi"),
                          ("PDF text and fonts", "poppler-utils")):
        assert tool in named and command in named, (tool, command, named)
    strict = _chapbook(bin_folder, "check", "--strict", cwd=project)
    assert strict.returncode == 1 and "--strict" in strict.stderr


def test_with_the_outside_checkers_every_check_runs(installed, tmp_path):
    """Last in this file: it adds the `check` extra to the shared venv. One edition per kind of checker (the
    kepub and the print file would only run the same checkers again) keeps it to one Ace and one axe run."""
    bin_folder, dist = installed
    node_tools = ROOT / "tools"
    if not (node_tools / "node_modules" / "@daisy" / "ace-core").is_dir():
        pytest.skip("the Node checkers are not installed in tools/ (make installs them)")
    wheel = next(dist.glob("chapbook-*.whl"))
    _run(bin_folder / "python", "-m", "pip", "install", "-q", f"chapbook[check] @ {wheel.as_uri()}")
    assert _chapbook(bin_folder, "new", "blog", cwd=tmp_path).returncode == 0
    project = tmp_path / "blog"
    system = f"{bin_folder}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin"
    built = _chapbook(bin_folder, "build", "-f", "epub", "-f", "pdf", "-f", "gemini", "-f", "html", cwd=project,
                      path=system)
    assert built.returncode == 0, built.stdout + built.stderr
    checked = _chapbook(bin_folder, "check", "--strict", cwd=project, path=system, CHAPBOOK_NODE_TOOLS=str(node_tools))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip().splitlines()[-1].endswith(" 0 failed, 0 skipped"), checked.stdout
    for check in ("EPUBCheck", "Ace", "Nu HTML Checker", "axe-core, light and dark schemes", "every font embedded"):
        assert f": {check}" in checked.stdout, check
