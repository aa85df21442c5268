"""Math as MathML, for the editions whose readers render it (EPUB 3, the web).

pandoc's one call gives the JSON tree, where a Math node holds its TeX source. Asking pandoc again for
MathML would cost a second run per document (about 0.2 s each, more than the rest of the EPUB's
rendering), so the TeX is converted here by latex2mathml (MIT licence, pure Python, no network).
EPUB 3 requires reading systems to render MathML (EPUB 3.3, "MathML"; a page holding it is marked with
the `mathml` manifest property), and every current browser does (MathML Core). WeasyPrint does not
render MathML, so the PDFs set the TeX source as code, as plain text and gemtext do (docs/check.md).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from xml.etree import ElementTree

log = logging.getLogger("chapbook")

MATHML_NS = "http://www.w3.org/1998/Math/MathML"


@lru_cache(maxsize=1024)
def mathml(tex: str, kind: str = "InlineMath") -> str | None:
    """The MathML element for a Math node's TeX (`kind` "InlineMath" or "DisplayMath"), or None if it
    cannot be converted (the edition then sets the TeX as code)."""
    from latex2mathml.converter import convert

    try:
        element = convert(tex, display="block" if kind == "DisplayMath" else "inline")
        ElementTree.fromstring(element)  # well-formed, or it would break the XHTML page around it
    except Exception as error:  # noqa: BLE001 - latex2mathml raises many kinds on TeX it does not know
        log.debug("math %r kept as TeX: %s", tex, error)
        return None
    return element.replace("<math ", f'<math alttext="{_attribute(tex)}" ', 1) if "alttext" not in element else element


def _attribute(text: str) -> str:
    from html import escape

    return escape(" ".join(text.split()))


def mathml_text(tex: str, kind: str = "InlineMath") -> str:
    """The text a reader sees of the math as the MathML editions set it (its TeX where it stays TeX)."""
    element = mathml(tex, kind)
    if element is None:
        return tex
    return "".join(ElementTree.fromstring(element).itertext())
