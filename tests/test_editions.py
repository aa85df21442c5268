"""The edition registry, the settings declarations and the module graph: one place for each idea."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.editions import EDITIONS, in_build_order
from pipeline.files.resources import STYLES
from pipeline.settings import SETTINGS, settings_table

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"
SETTINGS_DOC = Path(__file__).resolve().parent.parent / "docs" / "settings.md"  # the settings table


@pytest.mark.parametrize("edition", EDITIONS, ids=lambda edition: edition.name)
def test_each_edition_has_its_writer_checker_and_stylesheets(edition):
    writer = edition.load_writer()
    entry = writer.render_site if edition.is_folder else writer.render
    parameters = list(inspect.signature(entry).parameters)
    assert parameters[:3 if edition.is_folder else 2] == (["documents", "settings", "companions"]
                                                          if edition.is_folder else ["document", "companions"])
    assert ("cores" in parameters) == edition.worker  # the cores the build leaves a worker job
    if edition.checker:
        assert callable(edition.load_checker())
    for stylesheet in edition.stylesheets:
        assert (STYLES / stylesheet).is_file()
    assert all(used in {e.name for e in EDITIONS} for used in edition.uses)
    assert not (edition.worker and edition.uses), "a worker edition cannot wait for companions"


def test_editions_come_after_those_they_use_and_in_the_order_asked():
    ordered = [edition.name for edition in in_build_order([e.name for e in reversed(EDITIONS)])]
    for edition in EDITIONS:
        assert all(ordered.index(used) < ordered.index(edition.name) for used in edition.uses)
    assert len(ordered) == len(set(ordered)) == len(EDITIONS)


def test_the_command_line_offers_every_edition_and_every_flag_setting():
    help_text = CliRunner().invoke(main, ["build", "--help"]).output
    for edition in EDITIONS:
        assert edition.name in help_text
    for setting in SETTINGS:
        assert (setting.option in help_text) == setting.flag


def test_the_documented_settings_table_is_the_declared_one():
    assert settings_table() in SETTINGS_DOC.read_text(encoding="utf-8")


def _imported_modules(path: Path) -> set[str]:
    """Every pipeline module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipeline"):
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("pipeline")}
    return found


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_module_imports_itself_back_through_others():
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {name: {m for m in _imported_modules(path) if m in modules and m != name} for name, path in modules.items()}
    # A package's __init__ importing its own modules is how Python packages work, not a circle.
    graph = {name: {m for m in edges if not name.startswith(m + ".")} for name, edges in graph.items()}

    def circle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        while stack:
            current, trail = stack.pop()
            for following in graph[current]:
                if following == start:
                    return [*trail, start]
                if following not in trail:
                    stack.append((following, [*trail, following]))
        return None
    circles = [circle for name in graph if (circle := circle_from(name))]
    assert not circles, " -> ".join(circles[0])


@pytest.mark.parametrize("name", sorted(_module_name(p) for p in PACKAGE.rglob("*.py")))
def test_each_module_imports_on_its_own(name):
    importlib.import_module(name)


def test_an_edition_not_installed_is_named_in_one_line(monkeypatch):
    import pipeline.build

    monkeypatch.setattr(pipeline.build, "available_editions", lambda: ["txt"])
    result = CliRunner().invoke(main, ["build", "-f", "epub"])
    assert result.exit_code == 1
    assert result.output.strip() == ("chapbook: the epub edition is not available in this installation; "
                                     "run make to install everything")


def test_no_writer_imports_another_writer_and_shared_imports_none():
    writers = PACKAGE / "writers"

    def room(module: str) -> str | None:  # "pipeline.writers.pdf.layout" -> "pdf"; "pipeline.writers.text" -> "text"
        parts = module.split(".")
        return parts[2] if len(parts) > 2 and parts[1] == "writers" else None
    crossings = []
    for path in writers.rglob("*.py"):
        own = room(_module_name(path))
        for imported in _imported_modules(path):
            other = room(imported)
            if other and other != own and other != "shared":
                crossings.append(f"{_module_name(path)} -> {imported}")
    assert not crossings, crossings


def test_the_model_and_the_reader_import_no_later_stage():
    later = ("pipeline.writers", "pipeline.build", "pipeline.check", "pipeline.serve", "pipeline.publish",
             "pipeline.cli")
    early = [p for p in PACKAGE.glob("*.py")] + list((PACKAGE / "transforms").rglob("*.py"))
    early += list((PACKAGE / "files").rglob("*.py")) + list((PACKAGE / "words").rglob("*.py"))
    reaching = [f"{_module_name(path)} -> {m}" for path in early for m in _imported_modules(path)
                if m.startswith(later) and path.name != "cli.py" and path.name != "__main__.py"]
    assert not reaching, reaching


def test_edition_labels_media_types_and_folders_are_declared_only_in_the_registry():
    """No other module spells an edition's link label or its folder ("web/", "gemini/") again."""
    declared = {edition.label for edition in EDITIONS if edition.label}
    declared |= {f'"{edition.output}"' for edition in EDITIONS if edition.is_folder}
    declared |= {f'outdir / "{edition.output.rstrip("/")}"' for edition in EDITIONS if edition.is_folder}
    repeated = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "editions.py":
            continue
        code = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
        code = code.replace('"""', "\0")
        outside_docstrings = "".join(code.split("\0")[::2])
        repeated += [f"{path.relative_to(PACKAGE)}: {text}" for text in declared
                     if f'"{text}"' in outside_docstrings
                     or (text.startswith(('"', "outdir")) and text in outside_docstrings)]
    assert not repeated, repeated


def test_the_web_edition_answers_to_its_old_name(tmp_path):
    from tests.conftest import FIXTURES, run_chapbook

    result = run_chapbook("build", "-f", "html", "-o", str(tmp_path), str(FIXTURES / "sections.md"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "web" / "index.html").is_file()
    assert "  web " in result.stdout and "  html " not in result.stdout


def test_settings_from_the_command_line_are_checked_once_and_win_over_the_source(tmp_path, monkeypatch):
    from pipeline import build, settings

    source = tmp_path / "post.md"
    source.write_text("---\ntitle: a post\nwrap: 50\n---\n\nsome words.\n", encoding="utf-8")
    calls = []
    real_apply = settings.apply

    def counting_apply(current, values, where, *args, **kwargs):
        if where == "command line":
            calls.append(values)
        return real_apply(current, values, where, *args, **kwargs)
    monkeypatch.setattr(build, "apply", counting_apply)
    monkeypatch.setattr("pipeline.reader.apply", counting_apply)
    monkeypatch.chdir(tmp_path)
    build.build([source], tmp_path / "out", ["txt"], {"wrap": 40})
    assert calls == [{"wrap": 40}]
    assert max(len(line) for line in (tmp_path / "out" / "post.txt").read_text().splitlines()) <= 40
