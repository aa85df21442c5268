"""Settings: each declared once (name, default, allowed values, scope, help), then layered:
defaults, then `chapbook.toml`, then the document's metadata, then CLI flags.

The CLI's options, the validation of TOML and metadata, and the settings table in docs/settings.md all read
`SETTINGS`; adding a setting means adding one record there.
"""

from __future__ import annotations

import logging
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
log = logging.getLogger("chapbook")


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
    # The chapbook.toml table it is written in ("site": `[site]` then `title = …`); its name is then the
    # table's name and the key joined by "_" (site_title), or the key alone when it already says what
    # it is (gemini_base_url).
    table: str = ""

    @property
    def key(self) -> str:
        """How it is written in its chapbook.toml table (`title`), or at the top level (its name)."""
        return self.name.removeprefix(self.table + "_") if self.table else self.name

    @property
    def written(self) -> str:
        """Where it goes in chapbook.toml, as docs and errors show it: `[site] title`, or `wrap`."""
        return f"[{self.table}] {self.key}" if self.table else self.name

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
    Setting("site_title", "", "the site's name: title of the capsule's home page, gemlog and feed (else "
            "\"gemlog\"), and of the web site's home page, feed and og:site_name (else the one post's title, or "
            "\"posts\")", "my gemlog", scope="project", table="site"),
    Setting("site_author", "", "the site's author, named in both Atom feeds and under the home pages' titles (none "
            "is ever invented)", "me", scope="project", table="site"),
    Setting("site_description", "", "one line saying what the site is: under the home pages' titles, the gemlog's "
            "subtitle, the feeds' subtitle, and the web pages' description (the home page's, and a post's that has "
            "no `description` or `subtitle` of its own)", "notes from the shed",
            scope="project", table="site"),
    Setting("gemini_base_url", "", "`gemini://` base for absolute links in the capsule's Atom feed",
            "gemini://example.org/", scope="project", prefix="gemini://", table="site"),
    Setting("web_base_url", "", "`https://` address of the web edition, for its feed, canonical links and "
            "Open Graph", "https://example.org/", scope="project", prefix="https://", table="site"),
    Setting("collection_book", False, "also bind every post (or those between `from` and `until`) into one "
            "book: gemlog.epub, gemlog.pdf and gemlog.txt, linked from both home pages (`chapbook build --collect`)",
            True, scope="project", table="collection"),
    Setting("collection_from", "", "the collection's first day (YYYY-MM-DD); empty: the first post's",
            "2024-01-01", scope="project", pattern=r"(\d{4}-\d{2}-\d{2})?", table="collection"),
    Setting("collection_until", "", "the collection's last day (YYYY-MM-DD); empty: the last post's",
            "2024-12-31", scope="project", pattern=r"(\d{4}-\d{2}-\d{2})?", table="collection"),
    Setting("publish_to", "", "where `chapbook publish` sends the capsule: `sftp://`, `titan://`, "
            "`file://` or a folder path starting with `/`, `./` or `~`",
            "sftp://me@example.org/srv/gemini", scope="project"),
    Setting("publish_web_to", "", "where `chapbook publish --web` sends the web site: `sftp://`, `file://` "
            "or a folder path starting with `/`, `./` or `~`",
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
# Names settings had before, still taken at the top level of chapbook.toml (with a note pointing to the new place).
ALIASES = {"capsule_title": "site_title", "capsule_author": "site_author"}
_IN_TABLES = {(setting.table, setting.key): setting for setting in SETTINGS if setting.table}
_noted: set[tuple[str, str]] = set()  # (file, key): each old spelling is noted once per run

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
        name = ALIASES.get(name, name)
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
    lines, table = {}, ""
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        opening = re.match(r"\s*\[+\s*([^\]]+?)\s*\]", text)
        if opening:
            table = opening.group(1)
            lines.setdefault(table, number)  # a [table] chapbook does not know is an unknown setting too
            continue
        key = text.split("=", 1)[0].strip()
        if "=" in text and key:
            lines.setdefault(f"{table}.{key}" if table else key, number)
    return apply(Settings(), _flattened(values, path, lines), path, {_flat_name(key): n for key, n in lines.items()})


def _flat_name(written: str) -> str:
    """A setting's name from how chapbook.toml writes it: `site.title` -> site_title; unknown ones as they are."""
    table, _, key = written.rpartition(".")
    setting = _IN_TABLES.get((table, key)) if table else None
    return setting.name if setting else written


def _flattened(values: dict[str, Any], path: Path, lines: dict[str, int]) -> dict[str, Any]:
    """chapbook.toml's values by setting name: its tables' keys joined to their table, old names noted."""
    tables = {setting.table for setting in SETTINGS if setting.table}
    written: list[tuple[str, str, str, Any]] = []  # (how the file writes it, its line's key, its name, its value)
    for key, value in values.items():
        if key in tables and isinstance(value, dict):
            written += [(f"[{key}] {inner}", f"{key}.{inner}", _flat_name(f"{key}.{inner}"), item)
                        for inner, item in value.items()]
            continue
        new = BY_NAME.get(ALIASES.get(key, key))
        if new is not None and new.table and (str(path), key) not in _noted:
            _noted.add((str(path), key))
            log.warning("%s:%s: %s still works; it is now %s = … in the [%s] table (see docs/settings.md)", path,
                        lines.get(key, 1), key, new.key, new.table)
        written.append((key, key, new.name if new is not None else key, value))
    flat: dict[str, Any] = {}
    first: dict[str, str] = {}
    for shown, line_key, name, value in written:
        if name in flat:
            newer = BY_NAME[name].written
            raise ChapbookError(path, f"{first[name]} and {shown} are the same setting", f"keep {newer}",
                                lines.get(line_key))
        flat[name], first[name] = value, shown
    return flat


def settings_table() -> str:
    """The table of settings in docs/settings.md, made from the declarations."""
    rows = ["| key | default | scope | allowed | meaning |", "|-----|---------|-------|---------|---------|"]
    for setting in SETTINGS:
        default = f"`{_shown(setting.default)}`".replace("'", '"')
        where = "project (`chapbook.toml`)" if setting.scope == "project" else "project or source"
        flag = f" (`{setting.option}`)" if setting.flag else ""
        rows.append(f"| `{setting.written}` | {default} | {where} | {setting.describe()} | {setting.help}{flag} |")
    return "\n".join(rows) + "\n"
