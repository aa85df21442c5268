"""The one redaction every line about a destination or a host's answer goes through before it is printed.

Two rules (docs/trust.md, "what is never printed"):

- **userinfo goes**: in any `scheme://` address, everything between `://` and the `@` that ends the
  userinfo is shown as `…@` when it holds a `:` (a user name alone is no secret and stays). Where the
  userinfo ends is decided twice, and the wider answer wins: as `urlsplit` (the parse `parse_destination`
  and the connection use) reads it, and as the last `@` of the address whenever a `:` comes before the
  first `/`, `?` or `#` (a password holding `@ # / ?` makes `urlsplit` end the userinfo early:
  `sftp://me:pa/ss@host` is host `me`, port `pa` to it). An address with a port and an `@` in its path is
  over-redacted; a password is never under-redacted.
- **every form of every secret goes**: the raw text, its percent-encodings (upper- and lower-case hex, `+`
  for space, `/` kept or not: Titan sends its token percent-encoded in the request a host may echo), its
  base64 forms (standard and URL-safe, alone and as HTTP Basic's `user:password`) and the escaped form
  `pipeline.words.terminal.shown` prints.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, urlsplit

from pipeline.words.terminal import shown

HIDDEN = "…"
_ADDRESS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S*")


def _percent_forms(text: str) -> set[str]:
    forms = {quote(text, safe=""), quote(text, safe="/"), quote_plus(text, safe=""), quote(text, safe=":/@")}
    return forms | {re.sub(r"%[0-9A-F]{2}", lambda match: match.group(0).lower(), form) for form in forms}


def _base64_forms(data: bytes) -> set[str]:
    forms = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encode(data).decode("ascii")
        forms |= {encoded, encoded.rstrip("=")}
    return forms


def secret_forms(secret: str, user: str = "") -> set[str]:
    """Every way `secret` may be written in a line: raw, percent-encoded, base64, terminal-escaped."""
    if not secret:
        return set()
    forms = {secret, shown(secret)} | _percent_forms(secret) | _base64_forms(secret.encode("utf-8"))
    if user:
        forms |= _base64_forms(f"{user}:{secret}".encode())
    return {form for form in forms if form}


def userinfo_end(address: str) -> int:
    """Where the userinfo of `address` (`scheme://…`) ends: the index of its `@`, or -1 when it has none."""
    start = address.find("://") + 3
    # urlsplit's netloc: everything up to the first / ? or # (tabs and line breaks removed, as urlsplit does)
    netloc = re.split(r"[/?#]", address[start:], maxsplit=1)[0]
    by_parse = start + netloc.rfind("@") if "@" in netloc.replace("\t", "").replace("\r", "").replace("\n", "") \
        else -1
    last = address.rfind("@")
    by_last = last if last >= start and ":" in netloc else -1
    return max(by_parse, by_last)


def address_secrets(address: str) -> set[str]:
    """The passwords `address` may hold, by both readings of its userinfo (see userinfo_end)."""
    if "://" not in address:
        return set()
    start, end = address.find("://") + 3, userinfo_end(address)
    secrets = set()
    try:
        password = urlsplit(address).password
    except ValueError:
        password = None
    if password:
        secrets.add(password)
    if end >= start:
        user, _, password = address[start:end].partition(":")
        if password:
            secrets |= {password, address[start:end]}
    return secrets


def redacted_address(address: str) -> str:
    """`address` with its userinfo shown as `…@`."""
    start, end = address.find("://") + 3, userinfo_end(address)
    if end < 0 or ":" not in address[start:end]:
        return address  # no userinfo, or a user name alone: nothing secret
    return address[:address.find("://") + 3] + HIDDEN + address[end:]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with the userinfo of every address in it and every form of every secret hidden."""
    forms = set()
    for secret in secrets:
        forms |= secret_forms(secret)
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, HIDDEN)
    text = _ADDRESS.sub(lambda match: redacted_address(match.group(0)), text)
    for form in sorted(forms, key=len, reverse=True):  # hiding one form may join the pieces of another
        text = text.replace(form, HIDDEN)
    return text
