"""chapbook's two gemtext conventions, shared by the gemtext writer and the code that reads pages back.

- ESCAPE (U+200B ZERO WIDTH SPACE) in front of a text line that would otherwise read as markup.
- DEPTH_MARK after a list item's bullet, once per level below the first: `* ↳ ↳ third level`.
"""

from __future__ import annotations

import re

ESCAPE = "\u200b"
DEPTH_MARK = "↳"
LIST_ITEM = re.compile(rf"\A\* ((?:{DEPTH_MARK} )*){ESCAPE}?(.*)\Z", re.S)


def gemtext_list_item(line: str) -> tuple[int, str]:
    """The depth (1 = top) and text of a chapbook gemtext list line: `* ↳ ↳ text` is depth 3."""
    match = LIST_ITEM.match(line)
    if not match:
        raise ValueError(f"not a gemtext list item: {line!r}")
    return len(match.group(1)) // 2 + 1, match.group(2)
