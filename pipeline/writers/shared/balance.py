"""Balanced lines for display text (a title): as many lines as the measure needs, each about as long.

WeasyPrint fills lines greedily and has no `text-wrap: balance`, so a title one word too long for a
line ends with that word alone ("my thoughts on generated / images"). Here the words are measured
with the font's own advance widths (fontTools) and the breaks chosen so the longest line is as short
as the line count allows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path


def balanced_lines(words: Sequence[str], width_of: Callable[[str], float], measure: float) -> list[list[str]]:
    """`words` in as many lines as greedy filling of `measure` needs, broken so the widest line is narrowest."""
    words = list(words)
    count = len(_greedy(words, width_of, measure)) if words else 0
    if count <= 1:
        return [words] if words else []
    width = {(start, end): width_of(" ".join(words[start:end]))
             for start in range(len(words)) for end in range(start + 1, len(words) + 1)}
    # best[k][end]: (widest line, cuts) setting words[:end] in k lines.
    best: list[dict[int, tuple[float, tuple[int, ...]]]] = [{0: (0.0, ())}]
    for _line in range(count):
        best.append({})
        for start, (widest, cuts) in best[-2].items():
            for end in range(start + 1, len(words) + 1):
                candidate = (max(widest, width[start, end]), (*cuts, end))
                if end not in best[-1] or candidate[0] < best[-1][end][0]:
                    best[-1][end] = candidate
    cuts = (0, *best[count][len(words)][1])
    return [words[start:end] for start, end in zip(cuts, cuts[1:], strict=False)]


def _greedy(words: Sequence[str], width_of: Callable[[str], float], measure: float) -> list[list[str]]:
    lines: list[list[str]] = [[]]
    for word in words:
        if lines[-1] and width_of(" ".join([*lines[-1], word])) > measure:
            lines.append([])
        lines[-1].append(word)
    return lines


@lru_cache(maxsize=8)
def _advances(font_path: Path) -> tuple[dict[int, int], float]:
    from fontTools.ttLib import TTFont

    font = TTFont(font_path, lazy=True, fontNumber=0)
    metrics, cmap = font["hmtx"].metrics, font.getBestCmap() or {}
    per_character = {code: metrics[glyph][0] for code, glyph in cmap.items() if glyph in metrics}
    return per_character, float(font["head"].unitsPerEm)


def text_width(text: str, font_path: Path, size: float) -> float:
    """The width of `text` set in the font at `font_path` at `size` points, from advance widths (no kerning)."""
    advances, units = _advances(font_path)
    fallback = advances.get(ord("n"), units / 2)
    return sum(advances.get(ord(character), fallback) for character in text) * size / units
