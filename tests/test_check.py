"""`chapbook check`: clean editions pass; each kind of damage to the author's voice is caught."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from conftest import FIXTURES, run_chapbook

from pipeline.build import build, prepare
from pipeline.check import check_text


@pytest.fixture
def built_text(tmp_path):
    source = tmp_path / "src" / "kitchen-sink.md"
    source.parent.mkdir()
    shutil.copy(FIXTURES / "kitchen-sink.md", source)
    shutil.copy(FIXTURES / "pixel.png", source.parent / "pixel.png")
    build([source], tmp_path / "out", ["txt"], force=True)
    return prepare(source), tmp_path / "out" / "kitchen-sink.txt"


def _failed(findings):
    return {f.check for f in findings if f.status == "fail"}


def test_clean_text_edition_passes(built_text):
    document, path = built_text
    assert _failed(check_text(document, path)) == set()


@pytest.mark.parametrize("damage, failed_check", [
    (lambda t: t.replace("Just Worked", "just worked"), "every word of the source, in its case"),
    (lambda t: t.replace("contents", "Contents"), "no capital the source does not have"),
    (lambda t: t.replace("[update: a late addition]", "update: a late addition"), "every disclaimer verbatim"),
    (lambda t: re.sub(r"^ +~ level four", "~ level four", t, flags=re.M), "every list item at its depth"),
    (lambda t: t.replace("level one Just Worked", "level one Just Worked " + "word " * 30), "lines within 72 columns"),
])
def test_each_kind_of_damage_is_caught(built_text, damage, failed_check):
    document, path = built_text
    damaged = damage(path.read_text(encoding="utf-8"))
    assert damaged != path.read_text(encoding="utf-8")
    path.write_text(damaged, encoding="utf-8")
    assert failed_check in _failed(check_text(document, path))


def test_check_command_exit_status_and_json(built_text, tmp_path):
    document, path = built_text
    result = run_chapbook("check", str(path.parent), "-s", str(document.source), "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["failed"] == 0, result.stdout
    path.write_text(path.read_text(encoding="utf-8").replace("TransAgents", "transagents"), encoding="utf-8")
    failing = run_chapbook("check", str(path.parent), "-s", str(document.source))
    assert failing.returncode == 1
    assert "fail" in failing.stdout and "TransAgents" in failing.stdout


def test_missing_output_folder_is_a_clear_error(tmp_path):
    result = run_chapbook("check", str(tmp_path / "nothing"), "-s", str(FIXTURES / "kitchen-sink.md"))
    assert result.returncode == 1 and "run chapbook build first" in result.stderr
