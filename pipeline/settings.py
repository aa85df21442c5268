"""Settings: defaults, then `chapbook.toml`, then the document's metadata, then CLI flags."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from pipeline.errors import ChapbookError

PAPER_SIZES = ("a5", "a4", "letter")
PROJECT_FILE = "chapbook.toml"


@dataclass(frozen=True)
class Settings:
    """How editions are made; every field can be set per project, per document or per run."""

    wrap: int = 72
    paper: str = "a5"
    gemini_base_url: str = ""


SETTING_NAMES = tuple(f.name for f in fields(Settings))


_EXAMPLES = {"wrap": 72, "paper": "a5", "gemini_base_url": "gemini://example.org/"}


def _example(name: str, where: Path | str) -> str:
    """How to write a good value where it went wrong: TOML, YAML metadata, or the command line."""
    value = _EXAMPLES[name]
    if str(where).endswith(".toml"):
        return f"write e.g. {name} = {value!r}".replace("'", '"')
    if where == "command line":
        return f"pass e.g. --{name.replace('_', '-')} {value}"
    return f"write e.g. {name}: {value}"


def _shown(value: Any) -> str:
    """A wrong value as the user typed it (true, not True)."""
    return str(value).lower() if isinstance(value, bool) else repr(value)


def _checked(name: str, value: Any, where: Path | str, line: int | None = None) -> Any:
    """Validate one setting's value, naming where it came from when it is wrong."""
    if name == "wrap":
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)  # YAML metadata arrives from pandoc as text
        if isinstance(value, bool) or not isinstance(value, int) or not 20 <= value <= 1000:
            raise ChapbookError(where, f"setting 'wrap' must be a whole number from 20 to 1000, not {_shown(value)}",
                                _example(name, where), line)
    elif name == "paper":
        if value not in PAPER_SIZES:
            raise ChapbookError(where, f"setting 'paper' must be one of {', '.join(PAPER_SIZES)}, not {_shown(value)}",
                                _example(name, where), line)
    elif name == "gemini_base_url" and (not isinstance(value, str) or
                                        (value and not value.startswith("gemini://"))):
        raise ChapbookError(where, f"setting 'gemini_base_url' must start with gemini://, not {_shown(value)}",
                            _example(name, where), line)
    return value


def apply(settings: Settings, values: dict[str, Any], where: Path | str,
          lines: dict[str, int] | None = None) -> Settings:
    """A copy of `settings` with `values` applied; unknown names are an error naming the key."""
    changes = {}
    for name, value in values.items():
        line = (lines or {}).get(name)
        if name not in SETTING_NAMES:
            raise ChapbookError(where, f"unknown setting '{name}'",
                                f"use one of: {', '.join(SETTING_NAMES)}", line)
        changes[name] = _checked(name, value, where, line)
    return replace(settings, **changes)


def load_project_settings(folder: Path) -> Settings:
    """Settings from `chapbook.toml` in `folder`, or the defaults when there is none."""
    path = folder / PROJECT_FILE
    if not path.is_file():
        return Settings()
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        at = re.search(r"\(at line (\d+), column \d+\)", str(error))
        problem = re.sub(r"\s*\(at line \d+, column \d+\)|\s*\(at end of document\)", "", str(error))
        raise ChapbookError(path, f"not valid TOML: {problem}", "fix the file or remove it",
                            int(at.group(1)) if at else None) from None
    except UnicodeDecodeError:
        raise ChapbookError(path, "not UTF-8 text", "save it as UTF-8") from None
    lines = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        table = re.match(r"\s*\[+\s*([^\]]+?)\s*\]", text)  # a [table] is an unknown setting too
        key = table.group(1) if table else text.split("=", 1)[0].strip()
        if (table or "=" in text) and key and key not in lines:
            lines[key] = number
    return apply(Settings(), values, path, lines)
