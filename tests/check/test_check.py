"""`chapbook check`: clean editions pass; each kind of damage to the author's voice is caught."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
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
    assert summary.endswith("0 failed, 2 skipped"), built.stdout
    # The only skips: list depth in the print files, which are untagged (PDF/X); no tool would decide them.
    skipped = [line for line in built.stdout.splitlines() if line.startswith("skipped")]
    assert all(line.split(": ")[1:3] == ["every list item at its depth", "because the PDF is untagged (no structure "
                                         "tree, as a PDF/X print file is made)"] for line in skipped), skipped
    assert {line.split()[1] for line in skipped} == {f"{out}/essay-print.pdf:", f"{out}/kitchen-sink-print.pdf:"}
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


def test_characters_no_font_has_are_warnings_at_their_source_line_and_untagged_list_depth_is_skipped(tmp_path):
    source = tmp_path / "boxes.md"
    source.write_text("---\ntitle: boxes\n---\n\nplain words first.\n\n- a list\n    - nested\n\n"
                      "a cuneiform 𒀀 sign here.\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_chapbook("build", str(source), "-o", str(out), "-f", "pdf", "-f", "print", "-q").returncode == 0
    checked = run_chapbook("check", str(out), "-s", str(source), "--json", "--strict")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    warnings = [(f["path"], f["check"], f["detail"].split(" drawn")[0]) for f in report["findings"]
                if f["status"] == "warning"]
    assert sorted(warnings) == [(f"{source}:10", "a character no font has", "U+12000 '𒀀'")] * 2, warnings
    assert {f["detail"].split("box in ")[1].split()[0] for f in report["findings"] if f["status"] == "warning"} == \
        {"boxes.pdf", "boxes-print.pdf"}
    skipped = [(Path(f["path"]).name, f["check"]) for f in report["findings"] if f["status"] == "skipped"]
    assert skipped == [("boxes-print.pdf", "every list item at its depth")], skipped
    assert "because the PDF is untagged" in next(f["detail"] for f in report["findings"] if f["status"] == "skipped")
    # The screen PDF is tagged: its list depth is read, and passes.
    assert {"path": str(out / "boxes.pdf"), "check": "every list item at its depth", "status": "ok",
            "detail": "2 items"} in report["findings"]


def test_a_word_with_a_superscript_is_read_whole_from_the_print_file(tmp_path):
    from pipeline.check.printing import check_print, page_words
    from pipeline.check.readback import read_pdf

    source = tmp_path / "raised.md"
    source.write_text("---\ntitle: raised\n---\n\nwater is H~2~O and a^bc^d is one word.\n", encoding="utf-8")
    build([source], tmp_path / "out", ["print"], force=True)
    printed = tmp_path / "out" / "raised-print.pdf"
    raw = subprocess.run(["pdftotext", "-raw", str(printed), "-"], capture_output=True, text=True).stdout
    assert "abc\nd" in raw  # poppler's raw order starts a line after the raised "bc" (see readback)
    # ...though the PDF sets "a", the raised "bc" and "d" on one line, side by side: the layout is right.
    placed = [word for page in page_words(printed) for word in page]
    at = next(i for i, word in enumerate(placed) if word[4] == "bc")
    assert [word[4] for word in placed[at - 1:at + 2]] == ["a", "bc", "d"]
    assert placed[at - 1][3] == placed[at + 1][3] and placed[at][0] == pytest.approx(placed[at - 1][2], abs=0.1)
    assert "abcd" in read_pdf(printed).text.split()
    assert ("every word of the source, in its case", "ok") in {(f.check, f.status)
                                                              for f in check_print(prepare(source), printed)}


def test_a_pdf_without_fonts_skips_the_font_checks_because_it_draws_no_text(tmp_path):
    import pikepdf

    from pipeline.check.pdf import check_pdf
    from pipeline.check.printing import check_print

    blank = tmp_path / "blank.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(blank)
    document = prepare(FIXTURES / "nested-lists.md")
    for checker, check in ((check_pdf, "every font embedded"), (check_print, "every font embedded whole")):
        fonts = [f for f in checker(document, blank) if f.check == check]
        assert [(f.status, f.detail) for f in fonts] == [("skipped", "because pdffonts lists no font in the file: "
                                                                     "it draws no text")]
        assert "every word of the source, in its case" in _failed(checker(document, blank))


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
