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
