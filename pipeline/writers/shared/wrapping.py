"""Greedy line wrapping in linear time, measured in display columns, never breaking a word.

`textwrap` measures code points (a Korean line came out twice the width) and treats every
Unicode space as a break (a no-break space is one only to the author). Here, words are split at
ASCII whitespace only, each word is measured once, and a word that must not start a line (a list
marker, a link number) is bound to the word before it, so one pass places every word.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_BREAKABLE = re.compile(r"[ \t\n\r\f\v]+")  # ASCII whitespace: U+00A0 and its kin hold words together


def words_of(text: str) -> list[str]:
    """The words of `text`, split at ASCII whitespace only."""
    return [word for word in _BREAKABLE.split(text) if word]


def wrap_words(text: str, width: int, measure: Callable[[str], int], first: str = "", rest: str = "",
               may_start_line: Callable[[str], bool] = lambda _word: True) -> list[str]:
    """`text` as lines of at most `width` columns (by `measure`), the first prefixed by `first`, the others by `rest`.

    A word longer than a line stands alone on its line. A continuation line never starts with a
    word for which `may_start_line` is false: that word goes down with the word before it (unless
    such a run of words is wider than a line, which is then broken anywhere). An empty text gives
    no lines. Time and memory are linear in the length of `text`.
    """
    glued: list[tuple[list[str], list[int]]] = []  # words that travel together, and their widths
    for word in words_of(text):
        if glued and not may_start_line(word):
            glued[-1][0].append(word)
            glued[-1][1].append(measure(word))
        else:
            glued.append(([word], [measure(word)]))
    room = width - measure(rest)
    units: list[tuple[list[str], int]] = []
    for words, sizes in glued:
        size = sum(sizes) + len(sizes) - 1
        if size <= room or len(words) == 1:
            units.append((words, size))
        else:  # a run too wide for any line: let it break, or it would overflow the margin
            units += [([word], word_size) for word, word_size in zip(words, sizes, strict=True)]
    lines: list[str] = []
    prefix, line, used = first, [], 0
    room = width - measure(prefix)
    for words, size in units:
        if line and used + 1 + size > room:
            lines.append(prefix + " ".join(line))
            prefix, line, used = rest, [], 0
            room = width - measure(prefix)
        used += size + (1 if line else 0)
        line.extend(words)
    if line:
        lines.append(prefix + " ".join(line))
    return lines
