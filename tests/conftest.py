"""Shared test helpers: fixture paths, documents read through the real pipeline, the CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.ast import child_block_lists, stringify

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
ESSAY = ROOT / "source" / "essay.md"
FIXTURE_SOURCES = sorted(FIXTURES.glob("*.md"))


@pytest.fixture(autouse=True, scope="session")
def _private_build_cache(tmp_path_factory):
    """Builds under test (in process and in subprocesses) use a cache of their own, not the user's."""
    os.environ["CHAPBOOK_CACHE_DIR"] = str(tmp_path_factory.mktemp("chapbook-cache"))


# The disclaimers of tests/fixtures/disclaimers.md: (kind, text exactly as written), in order.
FIXTURE_DISCLAIMERS = [
    ("disclaimer", "[disclaimer: i am not a lawyer, this is just my best guess]"),
    ("update", "[update: giovanh's writeup about this is much more in-depth go read it]"),
    ("note", "[note: this paragraph is a note]"),
    ("work-in-progress", "[this is a work in progress]"),
    ("note", "a fenced disclaimer, written as a div"),
]
LEAF_BLOCKS = ("Para", "Plain", "Header", "CodeBlock")


def source_texts(blocks: list) -> list[str]:
    """The text of every paragraph, heading, code block and table cell, each on its own.

    A figure's caption is left out: it usually repeats the image's alt text, which editions show once.
    """
    texts = []
    for block in blocks:
        if block["t"] in LEAF_BLOCKS:
            texts.append(stringify(block))
        children = [block["c"][2]] if block["t"] == "Figure" else child_block_lists(block)
        for child in children:
            texts += source_texts(child)
    return texts


def read_fixture(name: str):
    """A fixture (or any source path) read and transformed exactly as `chapbook build` does."""
    from pipeline.build import prepare

    path = Path(name) if Path(name).is_absolute() else FIXTURES / name
    return prepare(path)


def document_from_text(tmp_path: Path, markdown: str, name: str = "doc.md"):
    """A document built from a Markdown string written into `tmp_path`."""
    from pipeline.build import prepare

    path = tmp_path / name
    path.write_text(markdown, encoding="utf-8")
    return prepare(path)


def run_chapbook(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300):
    """Run the real `chapbook` command line in a subprocess and return the CompletedProcess.

    The checkout's own `pipeline` is imported whatever `cwd` is (not another checkout's installed in the venv).
    """
    environment = dict(os.environ, **(env or {}))
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), environment.get("PYTHONPATH"))))
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd or ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def essay():
    """The real essay, read and transformed."""
    return read_fixture(str(ESSAY))


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium, driven with axe-core at hand; skipped, saying what to install, without them.

    Module scope: Playwright's sync API keeps an event loop running in this thread while it is open,
    and later tests run asyncio loops of their own.
    """
    from pipeline.check import browser

    if browser.missing(axe=True):
        pytest.skip(f"install it: {browser.missing(axe=True)}")
    with browser.open_browser() as running:
        yield running


def write_post(folder: Path, text: str, name: str = "post.md") -> Path:
    """A Markdown source `name` in `folder` holding `text`; its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
