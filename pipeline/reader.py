"""Source file -> Document: the one pandoc call, with errors that name file and line."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import resource
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.ast import Node, stringify, walk_blocks
from pipeline.document import Document, Metadata, iso_day
from pipeline.errors import ChapbookError
from pipeline.files.bounded import FileTooLarge, NotRegularFile, read_regular_file
from pipeline.settings import SETTING_NAMES, Settings, apply
from pipeline.words.langtag import is_language_tag

log = logging.getLogger("chapbook")

# markdown-smart: the author's `--`, `...` and straight quotes are kept as typed. An author's text is
# text: these extensions would swallow it as markup for another format, so they are off. raw_tex read
# `C:\Users\alice` and `\emph{very}` as LaTeX (the words vanished from every edition); raw_attribute
# hides `code`{=latex}; latex_macros applies \newcommand; pandoc_title_block eats a first line
# starting with %. auto_identifiers is off: every heading's anchor comes from words/naming.py's slug,
# which makes the posts' file names too (transforms/identifiers.py).
READER_FORMAT = "markdown-smart-raw_tex-raw_attribute-latex_macros-pandoc_title_block-auto_identifiers"
METADATA_NAMES = ("title", "subtitle", "author", "date", "lang", "identifier", "description", "rights", "cover",
                  "accessibility_summary", "certified_by", "exemption")
# The a11y:exemption values of the EPUB Accessibility EU Accessibility Act mapping (W3C Publishing CG, 2024).
EXEMPTIONS = ("eaa-disproportionate-burden", "eaa-fundamental-alteration", "eaa-microenterprise")
TEXT_FIELDS = tuple(name for name in METADATA_NAMES if name != "author")  # each one line of text
MAX_NESTING = 64
# pandoc peaks at about 300 bytes of memory per source byte (191 MB for a 620 kB source): 4 MB keeps
# a build near 1.5 GB. Book-length essays are well under 1 MB.
MAX_SOURCE_BYTES = 4 * 1024 * 1024
# pandoc's bounds, so that no source (a YAML alias bomb of 400 bytes ran 57 s in 1.8 GB) runs away:
# its heap (GHC's +RTS -M) and its processor time (RLIMIT_CPU: a busy machine stretches the clock,
# not the work), both growing with the source. A 1 MB source takes about 2.1 s of processor time and
# 210 MB, a 4 MB one 440 MB. The clock limit is only a last resort against a pandoc that hangs.
PANDOC_BASE_MEMORY = 512 * 1024 * 1024
PANDOC_MEMORY_PER_BYTE = 400
PANDOC_BASE_SECONDS = 5
PANDOC_SECONDS_PER_MB = 5
PANDOC_CLOCK_FACTOR = 20
# pandoc is built with -H64m, a suggested heap that it writes over before reading a word: 21,000 page
# faults, a fifth of the essay's read. With 16 MB the essay reads in 0.088 s instead of 0.107 s and
# the 20x essay in 1.01 s instead of 1.15 s (15 runs each, pandoc 3.9); -M still bounds the heap.
PANDOC_HEAP = "-H16m"
# More blocks than this (paragraphs, list items, cells, headings...) or headings than that, and the PDF
# alone would take minutes: WeasyPrint lays out about 100 blocks a second, and its contents page
# updates every entry each time a heading's page number settles, so headings cost their square.
MAX_BLOCKS = 20_000
MAX_HEADINGS = 2_000

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_PANDOC_LINE = re.compile(r"line (\d+)")
# Characters XML 1.0 forbids (its Char production, section 2.2): C0 controls but tab, line feed and carriage
# return, and U+FFFE, U+FFFF. Every XML edition (EPUB pages and package, Atom feeds) would be broken by one.
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def decode_source(path: Path, data: bytes) -> str:
    """The source's text, or an error naming the first byte that is not UTF-8 text."""
    if b"\x00" in data:
        offset = data.index(b"\x00")
        line = data.count(b"\n", 0, offset) + 1
        raise ChapbookError(path, f"this is a binary file, not Markdown (NUL byte at offset {offset})",
                            "give chapbook a UTF-8 Markdown text file", line)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ChapbookError(path, f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})",
                            "save the file as UTF-8", line) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")  # CRLF and old Mac CR
    if not text.strip():
        raise ChapbookError(path, "the file is empty", "write the essay in it, starting with a title")
    return text


def pandoc_limits(size: int) -> tuple[int, float]:
    """The memory (bytes) and time (seconds) pandoc may use to read a source of `size` bytes."""
    return (PANDOC_BASE_MEMORY + PANDOC_MEMORY_PER_BYTE * size,
            PANDOC_BASE_SECONDS + PANDOC_SECONDS_PER_MB * size / 1_000_000)


def pandoc_path() -> str:
    """The pandoc that pypandoc_binary ships (or PYPANDOC_PANDOC, as pypandoc honours it), else pypandoc's choice.

    Found without importing pypandoc, which loads urllib and runs `pandoc --version` to compare the
    pandocs it can find (60-90 ms before the read can start), and which would take a newer one from
    PATH: the shipped one keeps every build of a source the same on any machine.
    """
    chosen = os.environ.get("PYPANDOC_PANDOC")
    if chosen:
        return chosen
    spec = importlib.util.find_spec("pypandoc")  # a top-level package: found, not run
    if spec is not None and spec.origin:
        shipped = Path(spec.origin).parent / "files" / "pandoc"
        if shipped.is_file() and os.access(shipped, os.X_OK):
            return str(shipped)
    import pypandoc

    return pypandoc.get_pandoc_path()


def run_pandoc(path: Path, text: str) -> dict[str, Any]:
    """Pandoc's JSON AST for `text`: the build's one and only pandoc call, bounded in memory and time."""
    return json.loads(pandoc_json(path, text))


# What pandoc is asked, whatever the source; with the binary, what a parse cache keys on.
def pandoc_arguments() -> tuple[str, ...]:
    """What pandoc is asked, read when asked (so the reader's format is part of every cache's key)."""
    return ("--sandbox", "--from", READER_FORMAT, "--to", "json")


def pandoc_json(path: Path, text: str) -> bytes:
    """Pandoc's JSON AST for `text` as it prints it, bounded in memory and time; errors name file and line."""
    data = text.encode("utf-8")
    memory, seconds = pandoc_limits(len(data))
    command = [pandoc_path(), "+RTS", f"-M{memory // (1024 * 1024)}m", PANDOC_HEAP, "-RTS", *pandoc_arguments()]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    limit = int(seconds) + 1
    resource.prlimit(process.pid, resource.RLIMIT_CPU, (limit, limit + 1))  # SIGXCPU, then SIGKILL
    try:
        output, errors = process.communicate(data, timeout=seconds * PANDOC_CLOCK_FACTOR)
    except subprocess.TimeoutExpired:
        process.kill()
        output, errors = process.communicate()
    messages = errors.decode("utf-8", "replace")
    where = f"chapbook's limit for a source of {len(data):,} bytes"
    runaway = "look for YAML anchors and aliases (&name, *name) that repeat each other, or split the file"
    if process.returncode < 0:  # killed: by RLIMIT_CPU, or by the clock above
        raise ChapbookError(path, f"pandoc was stopped after {limit} s of work, {where}", runaway)
    if "Heap exhausted" in messages:
        raise ChapbookError(path, f"pandoc was stopped at {memory // (1024 * 1024)} MB of memory, {where}", runaway)
    if process.returncode != 0:
        raise _pandoc_error(path, messages)
    for message in messages.split("[WARNING]"):
        duplicate = re.search(r"Duplicate note reference '(.*)' at line (\d+)", message)
        if duplicate:  # pandoc keeps one definition: the other's words would vanish from every edition
            raise ChapbookError(path, f"footnote [^{duplicate.group(1)}] is defined twice",
                                "give each note its own label", int(duplicate.group(2)))
        if "unclosed" in message:
            line = _PANDOC_LINE.search(message)
            raise ChapbookError(path, "a fenced div (:::) is opened here but never closed",
                                "add a closing ::: line", int(line.group(1)) if line else None)
    return output


def _pandoc_error(path: Path, messages: str) -> ChapbookError:
    first = next((line for line in messages.splitlines() if line.strip()), "pandoc failed")
    if "YAML" in messages:
        start = _PANDOC_LINE.search(messages)
        inner = re.search(r"YAML parse exception at line (\d+)", messages)
        line = (int(start.group(1)) if start else 1) + (int(inner.group(1)) if inner else 0)
        detail = messages.strip().splitlines()[-1].strip()
        return ChapbookError(path, f"the metadata block is not valid YAML ({detail})",
                             "fix the YAML between the --- lines", line)
    line = _PANDOC_LINE.search(first)
    return ChapbookError(path, f"pandoc could not read this file ({first.strip()})",
                         "fix the Markdown at that line", int(line.group(1)) if line else None)


def meta_value(value: dict[str, Any]) -> Any:
    """A pandoc MetaValue as plain Python: strings, bools, lists and dicts."""
    kind, content = value["t"], value.get("c")
    if kind in ("MetaInlines", "MetaBlocks"):
        return stringify(content)
    if kind == "MetaString":
        return content
    if kind == "MetaBool":
        return content
    if kind == "MetaList":
        return [meta_value(item) for item in content]
    if kind == "MetaMap":
        return {key: meta_value(item) for key, item in content.items()}
    return None


def _key_lines(text: str) -> dict[str, int]:
    """The line on which each top-level metadata key is written."""
    lines: dict[str, int] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        for number, line in enumerate(match.group(1).splitlines(), start=2):
            key = re.match(r"([A-Za-z_][\w-]*)\s*:", line)
            if key:
                lines.setdefault(key.group(1), number)
    return lines


def _refuse_forbidden_characters(path: Path, values: dict[str, Any], lines: dict[str, int]) -> None:
    """A metadata value holding a character XML forbids (written raw, or as a YAML escape like "\\x01") is
    refused: a title or description is the author's words, so chapbook does not choose what to drop."""
    for key, value in values.items():
        for text in (value if isinstance(value, (list, tuple)) else [value]):
            found = XML_FORBIDDEN.search(text) if isinstance(text, str) else None
            if found:
                raise ChapbookError(path, f"'{key}' holds the control character U+{ord(found.group()):04X}, which "
                                    "the XML editions (EPUB, Atom feeds) cannot carry", f"remove it from {key}",
                                    lines.get(key))


def _without_forbidden_characters(path: Path, text: str) -> str:
    """The source with the characters XML forbids dropped from its body (a warning names the first line);
    in the metadata block they are refused with their line. Vertical tab and form feed are white space to a
    reader, so each becomes a space; the others (NUL aside, refused as binary) are invisible and dropped."""
    found = XML_FORBIDDEN.search(text)
    if not found:
        return text
    lines = text.split("\n")
    closing = next((number for number, line in enumerate(lines[1:], 1) if line.rstrip() in ("---", "...")), 0) \
        if lines[0].rstrip() == "---" else 0
    line = text.count("\n", 0, found.start()) + 1
    if line <= closing + 1 and closing:
        raise ChapbookError(path, f"the metadata holds the control character U+{ord(found.group()):04X}, which the "
                            "XML editions (EPUB, Atom feeds) cannot carry", "remove it", line)
    count = len(XML_FORBIDDEN.findall(text))
    log.warning("%s:%s: %d control character(s) that XML cannot carry removed from the text (first U+%04X)",
                path, line, count, ord(found.group()))
    return XML_FORBIDDEN.sub(lambda match: " " if match.group() in "\x0b\x0c" else "", text)


def _metadata(path: Path, raw: dict[str, Any], lines: dict[str, int]) -> tuple[Metadata, dict[str, Any]]:
    """Split pandoc's metadata into the document's own fields and settings."""
    values = {key: meta_value(value) for key, value in raw.items()}
    _refuse_forbidden_characters(path, values, lines)
    for key in values:
        if key not in METADATA_NAMES and key not in SETTING_NAMES:
            raise ChapbookError(path, f"unknown metadata key '{key}'",
                                f"use one of: {', '.join(METADATA_NAMES + SETTING_NAMES)}", lines.get(key))
    for key in TEXT_FIELDS:
        if key in values and not isinstance(values[key], str):
            raise ChapbookError(path, f"'{key}' must be one line of text", f"write it as {key}: some text",
                                lines.get(key))
    if "lang" in values and not is_language_tag(values["lang"]):
        raise ChapbookError(path, f"'lang' must be a language tag such as en, fr or pt-BR, not {values['lang']!r}",
                            "write e.g. lang: en", lines.get("lang"))
    if "exemption" in values and values["exemption"] not in EXEMPTIONS:
        raise ChapbookError(path, f"'exemption' must be one of {', '.join(EXEMPTIONS)}, not {values['exemption']!r}",
                            "write e.g. exemption: eaa-microenterprise", lines.get("exemption"))
    if "date" in values and iso_day(values["date"]) is None:
        log.warning("%s:%s: date %r does not start with YYYY-MM-DD: the gemlog files the post under, and the "
                    "editions are stamped with, the file's time instead", path, lines.get("date", 1), values["date"])
    authors = values.get("author") or ()
    if isinstance(authors, str):
        authors = (authors,)
    if not isinstance(authors, (list, tuple)) or not all(isinstance(a, str) for a in authors):
        raise ChapbookError(path, "'author' must be a name, or a list of names, each one line of text",
                            "write author: a name, or one '- a name' line per author", lines.get("author"))
    title = values.get("title")
    if not isinstance(title, str) or not title.strip():
        title = XML_FORBIDDEN.sub("", path.stem)  # documented: a source without a title is named after its file
    fields = {key: values[key] for key in TEXT_FIELDS if key != "title" and key in values}
    meta = Metadata(title=title.strip(), authors=tuple(str(a) for a in authors), **fields)
    if meta.cover:  # checked while reading, so a bad cover stops the build before any output is written
        from pipeline.files.resources import user_cover

        user_cover(meta.cover, path.parent.resolve(), path, lines.get("cover"))
    settings = {key: values[key] for key in SETTING_NAMES if key in values}
    return meta, settings


def _check_front_matter(path: Path, text: str) -> None:
    """Refuse a metadata block that is opened and never closed (pandoc would read it as text)."""
    lines = text.split("\n")
    opened = lines[0].rstrip() == "---" and len(lines) > 1 and lines[1].strip()
    if opened and not any(line.rstrip() in ("---", "...") for line in lines[2:]):
        raise ChapbookError(path, "the metadata block opened here is never closed",
                            "end it with a line of three dashes (---) before the essay begins", 1)


_YAML_ALIAS = re.compile(r"(?:^|[\s\[{,:])\*[^\s,\]}]", re.M)


def _check_front_matter_keys(path: Path, text: str, lines: dict[str, int]) -> None:
    """Refuse an unknown metadata key whose block uses YAML aliases before pandoc expands them (a 400-byte
    block of aliases expands to gigabytes); other blocks are left to pandoc, whose errors name the YAML."""
    match = _FRONT_MATTER.match(text)
    if not match or not _YAML_ALIAS.search(match.group(1)):
        return
    for key, line in lines.items():
        if key not in METADATA_NAMES and key not in SETTING_NAMES:
            raise ChapbookError(path, f"unknown metadata key '{key}'",
                                f"use one of: {', '.join(METADATA_NAMES + SETTING_NAMES)}", line)


def _plain_text(inlines: list[Node]) -> str:
    """The text of inlines as written, without code (a `[^1]` in code is an example, not a reference)."""
    parts = []
    for node in inlines:
        kind, content = node.get("t"), node.get("c")
        if kind == "Str":
            parts.append(content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            parts.append(" ")
        elif kind in ("Emph", "Strong", "Strikeout", "Underline", "Superscript", "Subscript", "SmallCaps"):
            parts.append(_plain_text(content))
        elif kind in ("Link", "Span", "Quoted", "Cite"):
            parts.append(_plain_text(content[1]))
    return "".join(parts)


def _check_notes(path: Path, text: str, blocks: list[Node]) -> None:
    """Refuse a footnote reference that is never defined: pandoc leaves `[^label]` as text, written as such.

    An escaped `\\[^label\\]` or one inside code is text the author meant, and is kept.
    """
    if "[^" not in text:  # a reference is refused only where the source writes it so: none to look for
        return
    for block in walk_blocks(blocks):
        if block.get("t") not in ("Para", "Plain"):
            continue
        for label in re.findall(r"\[\^[^\]\s]+\]", _plain_text(block["c"])):
            written = re.compile(r"(?<!\\)" + re.escape(label))
            line = next((n for n, src in enumerate(text.splitlines(), start=1) if written.search(src)), None)
            if line is not None:
                raise ChapbookError(path, f"footnote {label} is referenced but never defined",
                                    f"add a line '{label}: the note' or remove the reference", line)


_HUGE_NUMBER = re.compile(r"^[ \t>]*(\d{10,})[.)][ \t]")


def _check_structure(path: Path, text: str, blocks: list[Node]) -> None:
    """Refuse what no edition can carry faithfully: undefined notes, absurd nesting, size, huge list numbers."""
    _check_depth(path, text, blocks)
    _check_notes(path, text, blocks)
    counts = {"blocks": 0, "headings": 0}
    for block in walk_blocks(blocks):
        counts["blocks"] += 1
        counts["headings"] += block.get("t") == "Header"
    for what, limit in (("blocks (paragraphs, list items, table cells, headings)", MAX_BLOCKS),
                        ("headings", MAX_HEADINGS)):
        count = counts[what.split()[0]]
        if count > limit:
            raise ChapbookError(path, f"the source has {count:,} {what}, more than chapbook's limit of {limit:,} "
                                "(its PDF would take many minutes)", "split it into several sources")
    for number, line in enumerate(text.splitlines(), start=1):
        huge = _HUGE_NUMBER.match(line)
        if huge and any(block.get("t") == "OrderedList" for block in walk_blocks(blocks)):
            raise ChapbookError(path, f"the list number {huge.group(1)} has more than 9 digits (pandoc keeps only "
                                "64 bits of it, so every edition would print another number)",
                                "number the list with at most 9 digits", number)


_LIST_LINE = re.compile(r"^( *)(?:[-+*]|\(?[0-9a-zA-Z]{1,4}[.)])\s")


def _too_deep_line(text: str) -> int | None:
    """The first line whose list items and quote marks run deeper than MAX_NESTING (a source scan,
    since the AST carries no lines), or None when the scan cannot tell."""
    indents: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        quotes = len(re.match(r"^[> ]*", line).group(0).replace(" ", ""))
        item = _LIST_LINE.match(line.lstrip(">"))
        if item:
            indent = len(item.group(1))
            while indents and indents[-1] >= indent:
                indents.pop()
            indents.append(indent)
        if len(indents) + quotes > MAX_NESTING:
            return number
    return None


def _check_depth(path: Path, text: str, blocks: list[Node]) -> None:
    from pipeline.ast import child_block_lists

    stack = [(blocks, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ChapbookError(path, f"lists or quotes are nested more than {MAX_NESTING} levels deep",
                                "flatten the structure; no reader can follow it", _too_deep_line(text))
        for block in current:
            for children in child_block_lists(block):
                stack.append((children, depth + 1))


def read_document(path: Path, base: Settings | None = None, overrides: dict[str, Any] | None = None,
                  parse: Callable[[Path, str], dict[str, Any]] = run_pandoc) -> Document:
    """Read one Markdown source into a Document: one pandoc call, settings layered, errors with lines.

    The settings are `base` (the project's), then the source's metadata, then `overrides`: the command
    line's values, already checked where the build applied them to the project's settings. `parse`
    is the pandoc call (the build hands in one answered from its parse cache when it can).
    """
    path = Path(path)
    if path.is_dir():
        raise ChapbookError(path, "this is a folder, not a Markdown file", "name a .md file inside it")
    try:
        data = read_regular_file(path, MAX_SOURCE_BYTES)
    except FileTooLarge as error:
        raise ChapbookError(path, f"the source is {error.size:,} bytes, more than chapbook's limit of "
                            f"{MAX_SOURCE_BYTES:,} bytes", "split it into several sources") from None
    except NotRegularFile as error:
        raise ChapbookError(path, f"this is {error.kind}, not a regular file", "give chapbook a Markdown file; "
                            "a pipe or a device never ends") from None
    except FileNotFoundError:
        raise ChapbookError(path, "no such file", "check the path, or run chapbook build with no arguments "
                            "to build every source/*.md") from None
    except OSError as error:
        raise ChapbookError(path, f"cannot read the file ({error.strerror})", "check its permissions") from None
    text = _without_forbidden_characters(path, decode_source(path, data))
    _check_front_matter(path, text)
    lines = _key_lines(text)
    _check_front_matter_keys(path, text, lines)
    tree = parse(path, text)
    meta, setting_values = _metadata(path, tree.get("meta", {}), lines)
    settings = apply(base or Settings(), setting_values, path, lines, scope="document")
    settings = replace(settings, **(overrides or {}))
    _check_structure(path, text, tree["blocks"])
    return Document(source=path, meta=meta, blocks=tree["blocks"], settings=settings)
