"""What `chapbook check` counts as a word, on both sides of every comparison (see docs/check.md).

One tokeniser for the words of the source (read from the document tree the editions are made from) and
the words of an edition (read back from its file):

- A word is a run of characters between spaces, with punctuation at its edges removed, holding at least
  one letter or digit. URLs and note calls are not words.
- Inline elements that touch join as a reader sees them: `H~2~O` is the word H2O, `a^bc^d` is abcd,
  `` `foo`bar `` is foobar (pandoc's tree keeps them apart; every edition sets them side by side).
- Blocks never join: two paragraphs of a table cell, or two cells, are apart in every edition.
- Never-shown strings are not words: link and image titles, attributes, raw markup, list numbers.
- A word set differently by an edition compares equal: soft hyphens, zero-width spaces and joiners are
  removed on both sides, and the typographic ligatures (U+FB00-FB06) are spelt out.
- Math is the words of what the edition shows: its TeX source where the edition sets TeX (plain text,
  gemtext, the PDFs), the text of its MathML where it renders math (EPUB, web).
"""

from __future__ import annotations

import re

from pipeline.ast import Node, stringify, walk_blocks
from pipeline.document import Document

# Characters that change how a word breaks or is drawn, never which word it is.
_INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_LIGATURES = {0xFB00: "ff", 0xFB01: "fi", 0xFB02: "fl", 0xFB03: "ffi", 0xFB04: "ffl", 0xFB05: "st", 0xFB06: "st"}
_SAME_WORD = {ord(character): None for character in _INVISIBLE} | _LIGATURES

_EDGE_PUNCTUATION = ".,;:!?()[]{}\"'“”‘’*…—–-<>|/=_`^~"
_URL = re.compile(r"[a-z]+://\S+|mailto:\S+")
# Note calls an edition glues to the word they follow: "here.[^1]" (text), "here.1" (EPUB, PDF).
_NOTE_CALL = re.compile(r"\[\^?\d+\]|(?<=[^\W\d][.,;:!?)\]\"'])\d+(?=\s|$)")
LETTERS = re.compile(r"[^\W_]+")  # runs of letters and digits: punctuation splits them the same on both sides


# Where the source calls a note: each edition sets its own call there ("here1", "here.[^1]", a sidenote's
# number), glued to the word before it; the source side marks the place with this private-use character.
NOTE_CALL_MARK = "\ue000"


def normalised(text: str) -> str:
    """`text` with the characters that only change how a word is set removed or spelt out."""
    return text.translate(_SAME_WORD)


def words(text: str) -> list[str]:
    """The words of a text with their case, punctuation at their edges removed, URLs left out."""
    found = []
    for token in _NOTE_CALL.sub(" ", _URL.sub(" ", normalised(text).replace(NOTE_CALL_MARK, " "))).split():
        word = token.strip(_EDGE_PUNCTUATION)
        if any(c.isalnum() for c in word):
            found.append(word)
    return found


def noted_words(text: str) -> set[str]:
    """The words of a source text that a note call follows."""
    return {found[-1] for before in re.findall(rf"(\S+){NOTE_CALL_MARK}", text) if (found := words(before))}


_CALL_AFTER = re.compile(r"(.+?)(?:\[\^?\d+\]|\d+)")


def called_words(shown: set[str], noted: set[str]) -> set[str]:
    """The words of an edition with the note call it glued to them removed ("here1" -> "here"), for the
    words a note call follows in the source."""
    return {match.group(1) for word in shown if (match := _CALL_AFTER.fullmatch(word)) and match.group(1) in noted}


def letter_runs(text: str) -> set[str]:
    """The runs of letters and digits of `text`, set-only characters removed first."""
    return set(LETTERS.findall(normalised(text)))


# Blocks whose own text a reader sees; containers (lists, quotes, divs, tables, figures) are walked into.
TEXT_BLOCKS = ("Para", "Plain", "Header", "CodeBlock", "LineBlock")


def math_shown(document: Document, math: str) -> Document:
    """The document with each Math node replaced by the text an edition setting math as `math` shows."""
    if math == "tex":
        return document
    from pipeline.writers.shared.math import mathml_text

    def shown(node):
        if isinstance(node, list):
            return [shown(item) for item in node]
        if isinstance(node, dict) and node.get("t") == "Math":
            return {"t": "Str", "c": mathml_text(node["c"][1], node["c"][0]["t"])}
        if isinstance(node, dict) and "c" in node:
            return {"t": node["t"], "c": shown(node["c"])}
        return node
    return document.with_blocks(shown(document.blocks))


def _notes(node) -> list[list[Node]]:
    """The blocks of every footnote anywhere in a pandoc JSON tree (cells, quotes, notes in notes)."""
    if isinstance(node, list):
        return [note for child in node for note in _notes(child)]
    if not isinstance(node, dict):
        return []
    own = [node["c"]] if node.get("t") == "Note" else []
    return own + _notes(node.get("c"))


def _block_texts(blocks: list[Node]) -> list[str]:
    """The text of every block a reader sees, block by block (so that no two blocks' words run together)."""
    texts = []
    for block in walk_blocks(blocks):
        if block.get("t") in TEXT_BLOCKS:
            texts.append(stringify(block))
        elif block.get("t") == "DefinitionList":  # its terms; its definitions are walked into
            texts += [stringify(term) for term, _definitions in block["c"]]
    return texts


def source_text(document: Document, math: str = "tex") -> str:
    """Everything of the source a reader of an edition sees, as text: title page, blocks, notes.

    `math` is how the edition sets math: "tex" (its source) or "mathml" (rendered).
    """
    document = math_shown(document, math)
    notes = [text for note in _notes(document.blocks) for text in _block_texts(_note_calls_marked(note))]
    return "\n".join([document.meta.title, *(text for _kind, text in document.meta.title_page()),
                      *_block_texts(_note_calls_marked(document.blocks)), *notes])


def _note_calls_marked(node):
    """A pandoc JSON tree with each Note replaced by NOTE_CALL_MARK (a new tree)."""
    if isinstance(node, list):
        return [_note_calls_marked(item) for item in node]
    if isinstance(node, dict) and node.get("t") == "Note":
        return {"t": "Str", "c": NOTE_CALL_MARK}
    if isinstance(node, dict) and "c" in node:
        return {"t": node["t"], "c": _note_calls_marked(node["c"])}
    return node


# Markup a source's words pass through on their way into the tree, removed before comparing (a rough
# Markdown scan: it may miss a lost word, never invent one). Order matters: whole elements first.
_ORDERED_NUMBER = r"\(?(?:[0-9]{1,9}|[a-zA-Z]|[ivxlcdmIVXLCDM]{1,8}|#|@[\w-]*)[.)]"
_SOURCE_MARKUP = [
    (re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*\n", re.S), "\n"),       # the metadata block
    (re.compile(r"<!--.*?-->", re.S), " "),                                        # comments
    (re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I), " "),               # sanitised away, with a warning
    (re.compile(r"<[^<>\n]*>"), " "),                                              # tags and autolinks
    # reference definitions, with a title on their line or the next (never shown)
    (re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]+\S+.*(?:\n[ \t]+([\"'(]).*[\"')][ \t]*$)?", re.M), " "),
    (re.compile(r"\]\((?:[^()\n]|\([^()\n]*\))*\)"), "] "),                        # link and image targets, titles
    (re.compile(r"\]\[[^\]\n]*\]"), "] "),                                         # reference links
    (re.compile(r"\[\^[^\]\s]+\]:?"), " "),                                        # note calls and labels
    (re.compile(r"\{[^{}\n]*\}"), " "),                                            # attributes
    (re.compile(r"\(@[\w-]*\)"), " "),                                              # example list labels
    (re.compile(r"^[ \t]*(?::::|```|~~~).*$", re.M), " "),                         # div and code fences
    (re.compile(rf"^(?:[ \t]*[>:~|])*[ \t]*(?:(?:[-+*]|{_ORDERED_NUMBER})[ \t]+)+", re.M), " "),  # list markers
    (re.compile(r"(?<!\\)\*+"), ""),                                               # emphasis marks
    (re.compile(r"\\(?=[!-/:-@\[-`{-~])"), ""),                                    # backslash escapes
]
# Marks that set the letters on each side apart in the source but side by side in every edition:
# sub- and superscript (`H~2~O`, `a^bc^d`) and code against a word (`` `foo`bar ``).
_JOINING_MARKS = "~^`"
_WRITTEN_WORD = re.compile(rf"[^\W_]+(?:[{_JOINING_MARKS}]+[^\W_]+)*")


def written_words(markdown: str, read: set[str]) -> set[str]:
    """The runs of letters and digits written in a Markdown source that are not among `read` (the runs of
    the document tree), its markup left out (roughly).

    Letters on both sides of a joining mark (`H~2~O`) count as read if the tree has them joined (H2O),
    apart (a literal tilde between two words), or some of each (`` x`y`z `` where the scan cannot tell
    which backticks pandoc paired).
    """
    import html

    for pattern, replacement in _SOURCE_MARKUP:
        markdown = pattern.sub(replacement, markdown)
    lost = set()
    for written in _WRITTEN_WORD.findall(normalised(html.unescape(markdown))):
        pieces = re.split(f"[{_JOINING_MARKS}]+", written)
        if not _read_in_runs(pieces, read):
            lost.update(piece for piece in pieces if piece not in read)
    return lost


def _read_in_runs(pieces: list[str], read: set[str]) -> bool:
    """Whether `pieces`, in order, split into consecutive runs that each joined are among `read`."""
    reachable = [True] + [False] * len(pieces)  # reachable[i]: the first i pieces split so
    for end in range(1, len(pieces) + 1):
        reachable[end] = any(reachable[start] and "".join(pieces[start:end]) in read for start in range(end))
    return reachable[-1]
