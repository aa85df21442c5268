"""Pyphen's hyphenation patterns parsed once, instead of in every PDF worker's first layout.

Pyphen parses a language's hyph_*.dic the first time a word in that language is hyphenated: 50 ms
for English (106 kB of patterns, each through three regular expressions), inside the first layout
of every PDF worker, on the build's critical path. The parsed patterns are kept as JSON in
chapbook's cache folder (`engine/hyphenation_<dictionary>.json`, see pipeline/writers/pdf/engine/__init__.py),
keyed on Pyphen's version and the dictionary's SHA-256, written by the first warm-up that parses
them (`load`) and by `make` for the default language (`python -m pipeline.writers.pdf.engine.hyphenation`);
`preload()` puts them into Pyphen's own cache (`pyphen.hdcache`, which the Pyphen objects WeasyPrint
makes read) in a few milliseconds. Data that is missing, stale or unreadable means Pyphen parses the
dictionary itself, as it would have: slower, never different. Dictionaries with non-standard
hyphenation (patterns that change letters) are left to Pyphen. The data is JSON: read, never run.
(Reach `hyphenation`.)
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from pathlib import Path

from pipeline.writers.pdf.engine import data_folder, reach_on

log = logging.getLogger("chapbook")

FORMAT = 1  # of the JSON; a change here makes every older file stale
# What a HyphDict holds once parsed, all of which preload sets; a Pyphen whose HyphDict holds more
# (its generate() records what it found) is left to parse its own.
ATTRIBUTES = ("cache", "maxlen", "patterns")


def dictionary(lang: str) -> Path | None:
    """The hyph_*.dic Pyphen uses for `lang` (as WeasyPrint asks for it), or None if Pyphen has none."""
    import pyphen

    name = pyphen.language_fallback(lang)
    return pyphen.LANGUAGES.get(name) if name else None


def data_path(dic: Path) -> Path:
    """Where the parsed patterns of dictionary `dic` are kept: chapbook's cache folder."""
    return data_folder() / f"hyphenation_{dic.stem}.json"


def _key(dic: Path) -> dict:
    import pyphen

    return {"format": FORMAT, "pyphen": pyphen.__version__, "sha256": hashlib.sha256(dic.read_bytes()).hexdigest()}


def _parsed(path: Path, key: dict):
    """A Pyphen HyphDict made from the JSON at `path`, or None if it is missing, unreadable or not for `key`."""
    from pyphen import HyphDict

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if {name: data.get(name) for name in key} != key or data.get("attributes") != list(ATTRIBUTES):
            return None
        patterns = data["patterns"]
        if not isinstance(patterns, dict) or not all(_is_pattern(pattern) for pattern in patterns.values()):
            raise TypeError("the patterns are not [offset, values] pairs")
        parsed = HyphDict.__new__(HyphDict)  # its __init__ parses the .dic: the very work to skip
        # Each pattern stays the [offset, values] list JSON gives: HyphDict.positions only unpacks it,
        # takes its length and maps over it, as it does Pyphen's own (offset, values) tuples.
        parsed.patterns, parsed.cache, parsed.maxlen = patterns, {}, int(data["maxlen"])
        parsed.positions("hyphenation")  # a pattern of the wrong shape fails here, not in a layout
        return parsed
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        log.debug("%s: not used (%s)", path, error)
        return None


def _is_pattern(pattern) -> bool:
    return type(pattern) is list and len(pattern) == 2 and type(pattern[1]) is list


def preload(lang: str) -> bool:
    """Put `lang`'s patterns in Pyphen's cache from the parsed data; False if it had to be left to Pyphen."""
    import pyphen

    dic = dictionary(lang)
    if dic is None or not reach_on("hyphenation"):
        return False
    if dic in pyphen.hdcache:
        return True
    parsed = _parsed(data_path(dic), _key(dic))
    if parsed is not None:
        pyphen.hdcache[dic] = parsed
    return parsed is not None


def load(lang: str) -> None:
    """Put `lang`'s patterns in Pyphen's cache: from the parsed data (`preload`), else parsed by Pyphen now,
    and then kept as data for the next process (if the cache folder is writable)."""
    import pyphen

    dic = dictionary(lang)
    if dic is None or preload(lang):
        return
    pyphen.Pyphen(filename=dic)
    if reach_on("hyphenation") and dic in pyphen.hdcache:
        try:
            _write(dic, pyphen.hdcache[dic])
        except OSError as error:  # a read-only cache folder: every process parses, as without the data
            log.debug("%s: not written (%s)", data_path(dic), error)


def generate(lang: str) -> bool:
    """Write the parsed patterns of `lang` into the cache folder, unless they are current; returns whether it wrote.

    Nothing is written for a language Pyphen lacks or whose patterns are not plain numbers.
    """
    from pyphen import HyphDict

    dic = dictionary(lang)
    if dic is None or _parsed(data_path(dic), _key(dic)) is not None:
        return False
    return _write(dic, HyphDict(dic))


def _write(dic: Path, parsed) -> bool:
    """Write Pyphen's parse `parsed` of dictionary `dic` as data; False if its patterns are not plain numbers."""
    from pipeline.files.atomic import atomic_write

    if not all(type(value) is int for _start, values in parsed.patterns.values() for value in values):
        return False  # non-standard hyphenation: Pyphen's own objects, which JSON does not keep
    patterns = {text: [start, list(values)] for text, (start, values) in parsed.patterns.items()}
    atomic_write(data_path(dic), json.dumps({**_key(dic), "attributes": sorted(vars(parsed)),
                                             "maxlen": parsed.maxlen, "patterns": patterns},
                                            ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return True


def main() -> None:
    """`python -m pipeline.writers.pdf.engine.hyphenation [LANG]`: write the parsed patterns.

    `make` does, for the default language, to warm the cache folder.
    """
    from pipeline.document import DEFAULT_LANG

    lang = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_LANG
    dic = dictionary(lang)
    wrote = generate(lang)
    print(f"{data_path(dic) if dic else lang}: {'written' if wrote else 'current or not needed'}")


if __name__ == "__main__":
    main()
