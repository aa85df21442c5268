"""The essay survives: every content line of the user's dump is in the plain-text edition, in order, as typed."""

from __future__ import annotations

import re

from conftest import FIXTURES

from pipeline.writers.text import render_text

TOC_LINES = 24  # the dump's first 24 lines are the web page's table of contents
# Parent lines the dump printed twice around their children (flattened nesting), by 1-based line number.
ECHOED_PARENT_LINES = {33, 278, 282}
MARKER = re.compile(r"^(?:[-+o~]|\d+\.|[a-z]+\.)$")
REFERENCE = re.compile(r"^\[\^?\d+\]$")


def edition_words(text: str) -> list[str]:
    """The edition's words, without list markers at line starts and without link/note reference marks."""
    words = []
    for line in text.splitlines():
        tokens = line.split()
        if tokens and MARKER.match(tokens[0]):
            tokens = tokens[1:]
        words.extend(token for token in tokens if not REFERENCE.match(token))
    return words


def dump_lines() -> list[str]:
    lines = (FIXTURES / "essay-dump.txt").read_text(encoding="utf-8").splitlines()
    return [line.removeprefix("- ") for number, line in enumerate(lines, start=1)
            if number > TOC_LINES and number not in ECHOED_PARENT_LINES and line.strip()]


def test_every_dump_line_is_in_the_text_edition_in_order(essay):
    words = edition_words(render_text(essay))
    position = 0
    for line in dump_lines():
        wanted = line.split()
        found = next((i for i in range(position, len(words) - len(wanted) + 1)
                      if words[i:i + len(wanted)] == wanted), None)
        assert found is not None, f"missing or out of order: {line!r}"
        position = found + len(wanted)


def test_the_dump_fixture_is_the_users_file():
    lines = (FIXTURES / "essay-dump.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 289 and lines[0] == "- please note" and lines[24].startswith("* i tend")
