"""Settings: defaults, then `chapbook.toml`, then the document's metadata, then CLI flags."""

from __future__ import annotations

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


def _checked(name: str, value: Any, where: Path | str, line: int | None = None) -> Any:
    """Validate one setting's value, naming where it came from when it is wrong."""
    if name == "wrap":
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)  # YAML metadata arrives from pandoc as text
        if isinstance(value, bool) or not isinstance(value, int) or not 20 <= value <= 1000:
            raise ChapbookError(where, f"setting 'wrap' must be a whole number from 20 to 1000, not {value!r}",
                                "write e.g. wrap = 72", line)
    elif name == "paper":
        if value not in PAPER_SIZES:
            raise ChapbookError(where, f"setting 'paper' must be one of {', '.join(PAPER_SIZES)}, not {value!r}",
                                "write e.g. paper = \"a5\"", line)
    elif name == "gemini_base_url" and (not isinstance(value, str) or
                                        (value and not value.startswith("gemini://"))):
        raise ChapbookError(where, f"setting 'gemini_base_url' must start with gemini://, not {value!r}",
                                "write e.g. gemini_base_url = \"gemini://example.org/\"", line)
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
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ChapbookError(path, f"not valid TOML ({error})", "fix the file or remove it") from None
    lines = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        key = text.split("=", 1)[0].strip()
        if "=" in text and key and key not in lines:
            lines[key] = number
    return apply(Settings(), values, path, lines)
