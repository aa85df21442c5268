"""Settings: each declared once (name, default, allowed values, scope, help), then layered:
defaults, then `chapbook.toml`, then the document's metadata, then CLI flags.

The CLI's options, the validation of TOML and metadata, and the settings table in docs/settings.md all read
`SETTINGS`; adding a setting means adding one record there.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, make_dataclass, replace
from pathlib import Path
from typing import Any

from pipeline.errors import ChapbookError
from pipeline.paper import PAPER_NAMES
from pipeline.printers import PAPER_STOCKS, PRINTER_NAMES

PROJECT_FILE = "chapbook.toml"
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Setting:
    """One setting's declaration. Its type is its default's type (a whole number, text or yes/no)."""

    name: str
    default: Any
    help: str
    example: Any
    # "document": in chapbook.toml, a source's metadata or on the command line; "project": it concerns
    # every source at once (the capsule, a destination), so chapbook.toml or the command line only.
    scope: str = "document"
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    prefix: str = ""  # a text value, when not empty, must start with this
    pattern: str = ""  # a text value must match this regular expression (described by the example)
    multiple_of: int | None = None  # a whole number must be a multiple of this (0 included)
    flag: bool = False  # offered as --name on build and watch

    @property
    def option(self) -> str:
        """Its command-line option, `--gemini-base-url`."""
        return "--" + self.name.replace("_", "-")

    def describe(self) -> str:
        """Its allowed values in words, for errors and docs/settings.md."""
        if self.choices:
            return f"one of {', '.join(self.choices)}"
        if isinstance(self.default, bool):
            return "true or false"
        if isinstance(self.default, int):
            multiple = f"a multiple of {self.multiple_of} " if self.multiple_of else "a whole number "
            return f"{multiple}from {self.minimum} to {self.maximum}"
        if self.pattern:
            return f"a value like {self.example}"
        return f"text starting with {self.prefix}, or empty" if self.prefix else "text"


SETTINGS: tuple[Setting, ...] = (
    Setting("wrap", 72, "line width of the plain-text edition", 72, minimum=20, maximum=1000, flag=True),
    Setting("paper", "a5", "page (trim) size of the PDF, booklet and print editions", "a5", choices=PAPER_NAMES,
            flag=True),
    Setting("signature", 0, "most pages per folded gathering of the booklet (gatherings are balanced); 0: one "
            "booklet", 16, minimum=0,
            maximum=1000, multiple_of=4, flag=True),
    Setting("creep", "0mm", "how far each sheet of the booklet moves its pages towards the fold, per sheet "
            "around it (at most the inner margin in all)", "0.1mm", pattern=r"\d+(\.\d+)?(mm|cm|pt|in)"),
    Setting("printer", "pdfx", "who prints the paperback: its bleed, trims, margins and cover formula "
            "(docs/printing.md)", "kdp", choices=PRINTER_NAMES, flag=True),
    Setting("paper_stock", "white", "the paperback's paper, which sets its spine's width on the cover", "cream",
            choices=PAPER_STOCKS),
    Setting("marks", False, "crop marks and registration crosses on the print edition, for a copy shop", True,
            flag=True),
    Setting("gemini_base_url", "", "`gemini://` base for absolute links in the capsule's Atom feed",
            "gemini://example.org/", scope="project", prefix="gemini://"),
    Setting("web_base_url", "", "`https://` address of the web edition, for its feed, canonical links and "
            "Open Graph", "https://example.org/", scope="project", prefix="https://"),
    Setting("capsule_title", "gemlog", "the capsule's name: title of its home page, gemlog and feed", "my gemlog",
            scope="project"),
    Setting("capsule_author", "", "the capsule's author, named in its Atom feed (none is ever invented)", "me",
            scope="project"),
    Setting("publish_to", "", "where `chapbook publish` sends the capsule: `sftp://`, `titan://` or a folder",
            "sftp://me@example.org/srv/gemini", scope="project"),
    Setting("publish_web_to", "", "where `chapbook publish --web` sends the web site: `sftp://` or a folder",
            "sftp://me@example.org/srv/www", scope="project"),
    Setting("titan_token_file", "", "a file whose first line is the Titan upload token (or set "
            "`CHAPBOOK_TITAN_TOKEN`)", "~/.config/chapbook/titan-token", scope="project"),
    Setting("antenna_url", "", "an aggregator told the feed's address after a publish that changed something",
            "gemini://warmedal.se/~antenna/submit", scope="project", prefix="gemini://"),
    Setting("publish_timeout", 30, "seconds `chapbook publish` waits for a host at each step (connecting, logging "
            "in, each read and write, each Titan request) before giving up", 60, scope="project", minimum=1,
            maximum=3600),
)
BY_NAME = {setting.name: setting for setting in SETTINGS}
SETTING_NAMES = tuple(BY_NAME)

Settings = make_dataclass("Settings", [(s.name, type(s.default), s.default) for s in SETTINGS], frozen=True)
Settings.__module__ = __name__  # so the worker process can unpickle it (make_dataclass's module= is 3.12+)
Settings.__doc__ = "How editions are made: one field per declared setting (see SETTINGS)."


def _example(setting: Setting, where: Path | str) -> str:
    """How to write a good value where it went wrong: TOML, YAML metadata, or the command line."""
    value = setting.example
    if str(where).endswith(".toml"):
        return f"write e.g. {setting.name} = {_shown(value)}".replace("'", '"')
    if where == "command line":
        return f"pass e.g. {setting.option}" + ("" if isinstance(value, bool) else f" {value}")
    return f"write e.g. {setting.name}: {value}"


def _shown(value: Any) -> str:
    """A wrong value as the user typed it (true, not True)."""
    return str(value).lower() if isinstance(value, bool) else repr(value)


def checked_value(setting: Setting, value: Any, where: Path | str, line: int | None = None) -> Any:
    """`value` validated against its declaration (and converted: metadata arrives as text), or an error
    naming where it came from."""
    if isinstance(setting.default, bool):
        value = {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value
        if isinstance(value, bool):
            return value
        raise ChapbookError(where, f"setting '{setting.name}' must be {setting.describe()}, not {_shown(value)}",
                            _example(setting, where), line)
    if isinstance(setting.default, int) and isinstance(value, str) and value.strip().isascii() and \
            value.strip().isdigit():
        value = int(value)  # YAML metadata arrives from pandoc as text ("²" is a digit to isdigit, not to int)
    wrong = isinstance(value, bool) or not isinstance(value, type(setting.default))
    if not wrong and isinstance(value, int):
        wrong = not setting.minimum <= value <= setting.maximum
        wrong = wrong or bool(setting.multiple_of and value % setting.multiple_of)
    if not wrong and isinstance(value, str) and _CONTROLS.search(value):
        # A line break in a URL goes out inside a request (Antenna's); in a name it breaks a feed's XML.
        raise ChapbookError(where, f"setting '{setting.name}' holds a control character (a line break, a tab, "
                            "an escape)", "remove it: " + _example(setting, where), line)
    if not wrong and setting.pattern:
        wrong = not re.fullmatch(setting.pattern, value)
    if not wrong and setting.choices:
        wrong = value not in setting.choices
    if not wrong and setting.prefix:
        wrong = bool(value) and not value.startswith(setting.prefix)
    if wrong:
        raise ChapbookError(where, f"setting '{setting.name}' must be {setting.describe()}, not {_shown(value)}",
                            _example(setting, where), line)
    return value


def apply(settings: Settings, values: dict[str, Any], where: Path | str,
          lines: dict[str, int] | None = None, scope: str = "project") -> Settings:
    """A copy of `settings` with `values` applied; unknown names are an error naming the key.

    With `scope="document"` (a source's metadata), project settings are refused with where to put them.
    """
    changes = {}
    for name, value in values.items():
        line = (lines or {}).get(name)
        if name not in BY_NAME:
            raise ChapbookError(where, f"unknown setting '{name}'", f"use one of: {', '.join(SETTING_NAMES)}", line)
        setting = BY_NAME[name]
        if scope == "document" and setting.scope == "project":
            raise ChapbookError(where, f"setting '{name}' concerns the whole project, not one source",
                                f"write it in {PROJECT_FILE}", line)
        changes[name] = checked_value(setting, value, where, line)
    return replace(settings, **changes)


def as_dict(settings: Settings) -> dict[str, Any]:
    """The settings as a plain dictionary (for the cache key)."""
    return asdict(settings)


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


def settings_table() -> str:
    """The table of settings in docs/settings.md, made from the declarations."""
    rows = ["| key | default | scope | allowed | meaning |", "|-----|---------|-------|---------|---------|"]
    for setting in SETTINGS:
        default = f"`{_shown(setting.default)}`".replace("'", '"')
        where = "project (`chapbook.toml`)" if setting.scope == "project" else "project or source"
        flag = f" (`{setting.option}`)" if setting.flag else ""
        rows.append(f"| `{setting.name}` | {default} | {where} | {setting.describe()} | {setting.help}{flag} |")
    return "\n".join(rows) + "\n"
