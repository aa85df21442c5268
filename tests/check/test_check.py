"""`chapbook check`: clean editions pass; each kind of damage to the author's voice is caught."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, run_chapbook

from pipeline.build import build, prepare
from pipeline.check.text import check_text


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


def test_check_is_clean_on_every_edition_of_the_essay_and_the_kitchen_sink(tmp_path):
    sources = [str(ROOT / "source" / "essay.md"), str(FIXTURES / "kitchen-sink.md")]
    out = tmp_path / "out"
    # Not quiet, so the check's report lists every finding, passed ones too; checked once: Ace is slow.
    built = run_chapbook("build", *sources, "-o", str(out), "--force", "--check")
    assert built.returncode == 0, built.stdout + built.stderr
    summary = built.stdout.strip().splitlines()[-1]
    assert summary.endswith("0 failed, 0 skipped"), built.stdout
    passed = [line for line in built.stdout.splitlines() if line.startswith("ok ")]
    for edition in ("essay.epub", "essay.kepub.epub", "essay.pdf", "essay.txt", "gemini"):
        assert any(f" {out / edition}" in line for line in passed), edition


def test_gemtext_that_turns_into_markup_is_caught(tmp_path):
    source = FIXTURES / "asterisk-notes.md"
    out = tmp_path / "out"
    build([source], out, ["gemini"], force=True)
    page = next((out / "gemini" / "gemlog").glob("*-asterisk-notes.gmi"))
    page.write_text(page.read_text(encoding="utf-8").replace("\u200b", ""), encoding="utf-8")
    result = run_chapbook("check", str(out), "-s", str(source))
    assert result.returncode == 1 and "list lines only for list items" in result.stdout


def test_pdf_list_depth_is_read_from_its_tags_and_a_flattened_list_is_caught(tmp_path):
    from pipeline.check.pdf import check_pdf

    nested = FIXTURES / "nested-lists.md"
    flat = tmp_path / "flat" / "nested-lists.md"
    flat.parent.mkdir()
    flat.write_text(re.sub(r"^ +(?=[-0-9a-z]+[.)]? )", "", nested.read_text(encoding="utf-8"), flags=re.M),
                    encoding="utf-8")
    assert prepare(flat).blocks != prepare(nested).blocks
    for name, source in (("as-written", nested), ("flattened", flat)):
        build([source], tmp_path / name, ["pdf"], force=True)
    depth_check = "every list item at its depth"
    assert depth_check not in _failed(check_pdf(prepare(nested), tmp_path / "as-written" / "nested-lists.pdf"))
    assert depth_check in _failed(check_pdf(prepare(nested), tmp_path / "flattened" / "nested-lists.pdf"))


def test_a_check_skipped_for_a_missing_tool_names_its_install_and_fails_only_with_strict(tmp_path):
    source = FIXTURES / "asterisk-notes.md"
    out = tmp_path / "out"
    assert run_chapbook("build", str(source), "-o", str(out), "-f", "epub", "-q").returncode == 0
    no_tools = {"PATH": str(Path(sys.executable).parent)}  # this venv's bin/ only: no Java, no Node.js
    checked = run_chapbook("check", str(out), "-s", str(source), env=no_tools)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    skipped = [line for line in checked.stdout.splitlines() if line.startswith("skipped")]
    assert {line.split(": ")[1] for line in skipped} == {"EPUBCheck", "Ace", "Nu HTML Checker"}, skipped
    assert all("install it: sudo apt-get install -y " in line for line in skipped), skipped
    assert checked.stdout.strip().splitlines()[-1].endswith(" 0 failed, 3 skipped")
    strict = run_chapbook("check", str(out), "-s", str(source), "--strict", env=no_tools)
    assert strict.returncode == 1 and "--strict: 3 skipped check(s) count as failures" in strict.stderr
