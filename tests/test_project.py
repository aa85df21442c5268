"""`chapbook new FOLDER`: a project that builds as it is, shows the source's conventions, lists every setting."""

from __future__ import annotations

import re
import tomllib

from conftest import run_chapbook

from pipeline.settings import PROJECT_FILE, SETTINGS, Settings, load_project_settings


def test_new_makes_a_project_whose_first_post_keeps_its_conventions_in_the_text_edition(tmp_path):
    made = run_chapbook("new", "blog", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    project = tmp_path / "blog"
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*")) == \
        [".gitignore", PROJECT_FILE, "source", "source/first-post.md"]
    assert "build/" in (project / ".gitignore").read_text(encoding="utf-8").splitlines()
    built = run_chapbook("build", "-f", "txt", "--check", cwd=project)
    assert built.returncode == 0, built.stdout + built.stderr
    assert "every list item at its depth: 4 items" in built.stdout
    text = (project / "build" / "first-post.txt").read_text(encoding="utf-8")
    assert "[disclaimer: chapbook new wrote this post to show how a source is" in text
    assert "\n* the note, kept with its asterisk" in text and "as in *this word" in text
    assert "    o and one under that" in text  # the third level, indented twice


def test_the_project_file_lists_every_setting_with_its_default_and_meaning(tmp_path):
    assert run_chapbook("new", "blog", cwd=tmp_path).returncode == 0
    path = tmp_path / "blog" / PROJECT_FILE
    text = path.read_text(encoding="utf-8")
    assert load_project_settings(path.parent) == Settings()  # as written: every line a comment
    uncommented = re.sub(r"^# (\w+ = )", r"\1", text, flags=re.M)
    assert tomllib.loads(uncommented) == {setting.name: setting.default for setting in SETTINGS}
    path.write_text(uncommented, encoding="utf-8")
    assert load_project_settings(path.parent) == Settings()
    for setting in SETTINGS:
        assert setting.help.split(";")[0][:40] in " ".join(text.replace("# ", "").split()), setting.name


def test_new_refuses_a_folder_that_is_not_empty_and_leaves_it_alone(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.md").write_text("mine\n", encoding="utf-8")
    result = run_chapbook("new", "full", cwd=tmp_path)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "full: this folder is not empty" in result.stderr and "Traceback" not in result.stderr
    assert [path.name for path in (tmp_path / "full").iterdir()] == ["notes.md"]
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    assert run_chapbook("new", "a-file", cwd=tmp_path).returncode == 1
