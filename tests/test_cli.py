"""The command line, run as a real subprocess: builds, summaries, exit statuses and one-line errors."""

from __future__ import annotations

import shutil

from conftest import FIXTURES, ROOT, run_chapbook


def _one_line_error(result, *fragments: str) -> None:
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_build_txt_writes_the_edition_and_a_summary(tmp_path):
    result = run_chapbook("build", str(FIXTURES / "kitchen-sink.md"), "-f", "txt", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "kitchen-sink.txt").read_text(encoding="utf-8")
    assert "a kitchen sink of everything" in text
    assert "txt" in result.stdout and "kitchen-sink.txt" in result.stdout and " s" in result.stdout


def test_build_defaults_to_every_source_md(tmp_path):
    project = tmp_path / "project"
    (project / "source").mkdir(parents=True)
    for name in ("asterisk-notes.md", "disclaimers.md"):
        shutil.copy(FIXTURES / name, project / "source" / name)
    result = run_chapbook("build", "-f", "txt", "-q", cwd=project)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (project / "build").iterdir()) == ["asterisk-notes.txt", "disclaimers.txt"]
    assert result.stdout == ""


def test_version_and_help():
    version = run_chapbook("--version")
    assert version.returncode == 0 and "chapbook" in version.stdout
    help_text = run_chapbook("build", "--help")
    assert help_text.returncode == 0 and "--format" in help_text.stdout


def test_usage_error_exits_2():
    result = run_chapbook("build", "-f", "docx")
    assert result.returncode == 2


def test_missing_file_is_one_line_with_the_path(tmp_path):
    missing = tmp_path / "nope.md"
    _one_line_error(run_chapbook("build", str(missing), "-o", str(tmp_path / "out")), str(missing), "no such file")
    assert not (tmp_path / "out").exists()


def test_bad_yaml_names_the_line(tmp_path):
    source = tmp_path / "bad.md"
    source.write_text("---\ntitle: x\nbad: [1, 2\n---\n\ntext\n", encoding="utf-8")
    _one_line_error(run_chapbook("build", str(source), "-o", str(tmp_path / "out")), f"{source}:", "YAML")


def test_unknown_metadata_key_is_named_with_its_line(tmp_path):
    source = tmp_path / "bad.md"
    source.write_text("---\ntitle: x\ncolour: blue\n---\n\ntext\n", encoding="utf-8")
    _one_line_error(run_chapbook("build", str(source), "-o", str(tmp_path / "out")), f"{source}:3:", "'colour'")


def test_debug_shows_the_traceback(tmp_path):
    result = run_chapbook("build", str(tmp_path / "nope.md"), "--debug", "-o", str(tmp_path / "out"))
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_python_dash_m_and_console_script_agree():
    script = ROOT / ".venv" / "bin" / "chapbook"
    if script.exists():
        import subprocess
        assert subprocess.run([str(script), "--version"], capture_output=True, text=True).stdout == \
            run_chapbook("--version").stdout


def test_build_check_uses_the_builds_wrap_width(tmp_path):
    result = run_chapbook("build", str(ROOT / "source" / "essay.md"), "-o", str(tmp_path), "-f", "txt",
                          "--wrap", "30", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lines within 30 columns" in result.stdout
    assert "every list item at its depth: 39 items" in result.stdout


def test_verbose_build_says_what_it_does(tmp_path):
    source = tmp_path / "src" / "kitchen-sink.md"
    source.parent.mkdir()
    shutil.copy(FIXTURES / "kitchen-sink.md", source)
    shutil.copy(FIXTURES / "pixel.png", source.parent / "pixel.png")
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt", "-v")
    assert f"{source}: read (one pandoc call) and transformed in" in result.stderr
    again = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt", "-v")
    assert "its inputs did not change; kept" in again.stderr and "warning:" not in again.stderr
