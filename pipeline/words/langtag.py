"""Language tags: the one check of a BCP 47 tag before it reaches a lang attribute, a MIME type or a feed."""

from __future__ import annotations

import re

_BCP47 = re.compile(r"\A[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*\Z")


def is_language_tag(text: str) -> bool:
    """Whether `text` is a well-formed BCP 47 language tag (`en`, `pt-BR`, `zh-Hant-TW`)."""
    return bool(_BCP47.match(text or ""))


def language_or_empty(text: str) -> str:
    """`text` if it is a well-formed language tag, else "" (so it cannot inject anything where it is written)."""
    return text if is_language_tag(text) else ""
