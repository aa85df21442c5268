"""print.css parsed once per process and shared by every book laid out there, without changing a byte."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import FIXTURES

from pipeline.files.resources import STYLES
from pipeline.writers.pdf.fetcher import SandboxedFetcher
from pipeline.writers.pdf.layout import stylesheets

# Prints the SHA-256 of the PDF of each fixture named, all laid out in this one process, in order.
_RENDER_IN_ORDER = """
import hashlib, sys
from pathlib import Path
from pipeline.build import prepare
from pipeline.writers.pdf import book as pdf
for name in sys.argv[1:]:
    print(name, hashlib.sha256(pdf.render(prepare(Path(name)))).hexdigest())
"""


def _digests(*names: str) -> dict[str, str]:
    paths = [str(FIXTURES / name) for name in names]
    result = subprocess.run([sys.executable, "-c", _RENDER_IN_ORDER, *paths], capture_output=True, text=True,
                            check=True, env=dict(os.environ, SOURCE_DATE_EPOCH="1700000000"))
    return {Path(line.split()[0]).name: line.split()[1] for line in result.stdout.splitlines()}


def test_one_parse_of_print_css_serves_every_book_and_paper_gets_its_own_rules(tmp_path):
    first = stylesheets(SandboxedFetcher((tmp_path, STYLES)), "a5")
    again = stylesheets(SandboxedFetcher((STYLES,)), "a5")
    other = stylesheets(SandboxedFetcher((tmp_path, STYLES)), "a4")
    assert first[0] is again[0] and first[1] is again[1]
    assert other[0] is first[0] and other[1] is not first[1]
    assert len(stylesheets(SandboxedFetcher((STYLES,)), "a5", "p { color: black }")) == 3


def test_a_book_laid_out_after_others_in_one_process_has_the_bytes_it_has_alone():
    alone = _digests("footnotes.md")
    after = _digests("kitchen-sink.md", "table-image.md", "footnotes.md")
    assert after["footnotes.md"] == alone["footnotes.md"]
    assert len(set(after.values())) == 3

