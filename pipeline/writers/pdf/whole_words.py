"""Words the PDF never breaks: the author's hyphenated compounds, and the names in the exceptions list.

Pyphen hyphenates a word that already holds a hyphen next to it ("less-/wrong-type" from
"lesswrong-type"), and a name such as "midjourney" broken "mid-/journey" reads as two words. Each
text run holding a hyphen between two letters or digits is set in a span print.css keeps on one line
(UNBROKEN_CLASS: no break at its hyphen, none beside it) when it is short enough for a line, else in
one it only never hyphenates (UNHYPHENATED_CLASS: it may still break after its own hyphens); each run
holding a word of styles/hyphenation-exceptions.txt in an UNHYPHENATED_CLASS span. Headings are never
hyphenated (print.css) and are left alone. The letters are never changed: no soft hyphen, no
non-breaking hyphen, which a reader's search or copy would meet.
"""

from __future__ import annotations

import functools
import re

from pipeline.ast import BLOCK_TYPES, map_inlines
from pipeline.files.resources import STYLES

EXCEPTIONS_FILE = STYLES / "hyphenation-exceptions.txt"
UNBROKEN_CLASS, UNHYPHENATED_CLASS = "unbroken", "unhyphenated"
UNBROKEN_LIMIT = 24  # characters: a compound longer than this may break at its own hyphens
_COMPOUND = re.compile(r"\w-\w")
_LEAVES = ("Code", "Math", "RawInline")
_WORDS_AND_SPACES = frozenset({"Str", "Space", "SoftBreak", "LineBreak"})


@functools.cache
def exception_words() -> re.Pattern | None:
    """The exceptions list as one case-insensitive pattern of whole words; None if the list is empty or missing."""
    try:
        lines = EXCEPTIONS_FILE.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    words = sorted({line.strip().lower() for line in lines if line.strip() and not line.lstrip().startswith("#")},
                   key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(word) for word in words) + r")(?!\w)", re.I)


def keep_words_whole(blocks: list) -> list:
    """`blocks` with hyphenated compounds and exception words in spans print.css does not hyphenate (see above)."""
    return map_inlines(blocks, _inlines, headings=False)


def _inlines(nodes: list) -> list:
    if all(node.get("t") in _WORDS_AND_SPACES for node in nodes) and not _holds_a_match(nodes):
        return nodes  # most paragraphs: one search of their words instead of two for each word
    return [_whole(node) if node.get("t") == "Str" else node if _is_ours(node) else _deep(node) for node in nodes]


def _holds_a_match(nodes: list) -> bool:
    """Whether a word of `nodes` could be one _whole changes: their words searched as one text, spaces between
    (a word that matches alone matches there too: a space is not a word character)."""
    text = " ".join(node["c"] for node in nodes if node["t"] == "Str")
    pattern = exception_words()
    return bool(_COMPOUND.search(text) or (pattern is not None and pattern.search(text)))


def _is_ours(node: dict) -> bool:
    """A span this module made (a note's blocks may be walked twice)."""
    return node.get("t") == "Span" and bool({UNBROKEN_CLASS, UNHYPHENATED_CLASS} & set(node["c"][0][1]))


def _deep(value):
    if isinstance(value, dict):
        if "c" not in value or value.get("t") in _LEAVES:
            return value
        return {"t": value["t"], "c": _deep(value["c"])}
    if isinstance(value, list):
        if value and all(isinstance(item, dict) and "t" in item for item in value):
            if all(item["t"] not in BLOCK_TYPES for item in value):  # a list of inlines
                return _inlines(value)
            return [_deep(item) for item in value]
        return [_deep(item) for item in value]
    return value


def _whole(node: dict) -> dict:
    text = node["c"]
    if _COMPOUND.search(text):
        kind = UNBROKEN_CLASS if len(text) <= UNBROKEN_LIMIT else UNHYPHENATED_CLASS
    else:
        pattern = exception_words()
        if pattern is None or not pattern.search(text):
            return node
        kind = UNHYPHENATED_CLASS
    return {"t": "Span", "c": [["", [kind], []], [node]]}
