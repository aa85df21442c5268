"""Bad input through the real command: exit status 1, one line naming the file (and line), no traceback, no output."""

from __future__ import annotations

import pytest
from conftest import run_chapbook

TITLE = "---\ntitle: t\n---\n\n"
CASES = {
    "not-utf8": (b"---\ntitle: t\n---\n\ncaf\xe9\n", ["not UTF-8", "offset"], 5),
    "binary": (bytes(range(256)) * 4, ["binary"], None),
    "empty": (b"", ["empty"], None),
    "bad-yaml": (b"---\ntitle: [unclosed\n---\n\ntext\n", ["YAML"], 3),
    "unknown-key": (b"---\ntitle: t\nfont: comic\n---\n\ntext\n", ["unknown metadata key 'font'"], 3),
    "bad-setting": (b"---\ntitle: t\npaper: a3\n---\n\ntext\n", ["'paper'"], 3),
    "unclosed-div": (TITLE.encode() + b"::: disclaimer\nnever closed\n", ["never closed"], 5),
    "undefined-note": (TITLE.encode() + b"a claim[^source] here\n", ["[^source]", "never defined"], 5),
    "unclosed-metadata": (b"---\ntitle: t\nlang: en\n\nthe essay\n", ["metadata block", "never closed"], 1),
    "title-not-text": (b"---\ntitle: [a, b]\n---\n\ntext\n", ["'title' must be one line of text"], 2),
    "nested-deep": (TITLE.encode() + "".join(" " * (2 * i) + "- x\n" for i in range(300)).encode(),
                    ["nested more than"], 4 + 65),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_source_gives_one_clear_line(tmp_path, name):
    data, fragments, line = CASES[name]
    source = tmp_path / f"{name}.md"
    source.write_bytes(data)
    out = tmp_path / "out"
    result = run_chapbook("build", str(source), "-o", str(out), "-f", "txt")
    assert result.returncode == 1, result.stderr
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"{source}:{line}:" if line else f"{source}:"), message
    for fragment in fragments:
        assert fragment in message
    assert not out.exists() or not any(out.iterdir())


def test_missing_file_and_folder_instead_of_file(tmp_path):
    for target, fragment in ((tmp_path / "absent.md", "no such file"), (tmp_path, "folder, not a Markdown file")):
        result = run_chapbook("build", str(target), "-o", str(tmp_path / "out"), "-f", "txt")
        assert result.returncode == 1 and fragment in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_very_large_source_is_refused_quickly(tmp_path):
    source = tmp_path / "huge.md"
    paragraph = ("this is a very long essay with many words in it, " * 20 + "\n\n").encode()
    source.write_bytes(TITLE.encode() + paragraph * (30 * 1024 * 1024 // len(paragraph)))
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt", timeout=60)
    assert result.returncode == 1 and "limit" in result.stderr and "split it" in result.stderr
    assert not (tmp_path / "out").exists()


def test_output_folder_that_cannot_be_created(tmp_path):
    source = tmp_path / "ok.md"
    source.write_bytes(TITLE.encode() + b"text\n")
    result = run_chapbook("build", str(source), "-o", "/proc/chapbook-cannot-write-here", "-f", "txt")
    assert result.returncode == 1 and "cannot write to the output folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_project_setting_in_chapbook_toml(tmp_path):
    (tmp_path / "chapbook.toml").write_text('wrap = 60\ncolour = "red"\n')
    (tmp_path / "ok.md").write_bytes(TITLE.encode() + b"text\n")
    result = run_chapbook("build", "ok.md", "-o", "out", "-f", "txt", cwd=tmp_path)
    assert result.returncode == 1 and "chapbook.toml:2:" in result.stderr
    assert "'colour'" in result.stderr


def test_a_date_that_is_not_iso_is_warned_about_with_its_line(tmp_path):
    source = tmp_path / "dated.md"
    source.write_text("---\ntitle: t\ndate: tomorrow\n---\n\ntext\n", encoding="utf-8")
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt")
    assert result.returncode == 0
    assert f"warning: {source}:3: date 'tomorrow' does not start with YYYY-MM-DD" in result.stderr


def test_a_document_may_open_with_a_rule(tmp_path):
    source = tmp_path / "rule.md"
    source.write_text("---\n\na rule first, then text\n", encoding="utf-8")
    assert run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt").returncode == 0


@pytest.mark.parametrize("toml, expected", [
    ("wrap = tru\n", "chapbook.toml:1: not valid TOML: Invalid value; fix the file"),
    ("wrap = true\n", "chapbook.toml:1: setting 'wrap' must be a whole number from 20 to 1000, not true; "
                      "write e.g. wrap = 72"),
    ("[build]\nwrap = 40\n", "chapbook.toml:1: unknown setting 'build'"),
])
def test_chapbook_toml_errors_name_their_line_in_toml_terms(tmp_path, toml, expected):
    (tmp_path / "chapbook.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "ok.md").write_bytes(TITLE.encode() + b"text\n")
    result = run_chapbook("build", "ok.md", "-o", "out", "-f", "txt", cwd=tmp_path)
    assert result.returncode == 1 and expected in result.stderr, result.stderr


def test_a_bad_setting_in_metadata_is_explained_in_yaml_terms(tmp_path):
    source = tmp_path / "w.md"
    source.write_text("---\ntitle: t\nwrap: abc\n---\n\ntext\n", encoding="utf-8")
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt")
    assert result.returncode == 1
    assert result.stderr.strip().endswith(":3: setting 'wrap' must be a whole number from 20 to 1000, not 'abc'; "
                                          "write e.g. wrap: 72")


def test_a_source_named_twice_and_a_file_given_to_check(tmp_path):
    source = tmp_path / "ok.md"
    source.write_bytes(TITLE.encode() + b"text\n")
    twice = run_chapbook("build", str(source), str(source), "-o", str(tmp_path / "out"))
    assert twice.returncode == 1 and "this source is named twice" in twice.stderr
    checked = run_chapbook("check", str(source), "-s", str(source))
    assert checked.returncode == 1 and "this is a file, not an output folder" in checked.stderr
