"""The book's page handed to WeasyPrint already parsed: ElementTree reads it in 1 ms where WeasyPrint's
HTML parser takes 20 (the essay's body; tinyhtml5 is written in Python).

The page is chapbook's own XHTML (pipeline/writers/pdf/book_html.py), well-formed by construction, and for such
markup an XML parser and the HTML parser build the same tree, with these exceptions, each handled:
- an HTML parser keeps no whitespace between <html> and <head>, and puts the whitespace after </body>
  and </html> at the end of the body: done here too;
- it keeps elements and attributes unprefixed (`html`, `xml:lang`, an `xmlns` attribute), where
  ElementTree names their namespace: the names are written back;
- it drops a newline right after <pre>, keeps tabs and newlines inside attribute values (XML makes
  them spaces), reads SVG and MathML as foreign elements, and reads what XML cannot parse its own
  way: for such a page WeasyPrint parses it itself, as before.
A test compares the two trees for the essay and every fixture, and the PDFs' bytes.
WeasyPrint's HTML object is made the way its constructor makes it once the tree is parsed (the same
five attributes); `usable()` checks once per process that the installed WeasyPrint still sets
exactly those, and without that the page is parsed by WeasyPrint. (Reach `page_tree`.)
"""

from __future__ import annotations

import re
from functools import lru_cache
from xml.etree import ElementTree

from pipeline.writers.pdf.engine import reach_on

XHTML = "{http://www.w3.org/1999/xhtml}"
XML_NAMESPACE = "{http://www.w3.org/XML/1998/namespace}"
# What an HTML parser reads otherwise than an XML parser (see above).
_HTML_ONLY = re.compile(r'<(?:pre|textarea|listing)\b[^>]*>\r?\n|="[^"]*[\t\n\r]|<(?:svg|math)\b')
_ATTRIBUTES = {"base_url", "url_fetcher", "media_type", "wrapper_element", "etree_element"}


def xhtml_tree(html: str) -> ElementTree.Element | None:
    """`html` as the tree WeasyPrint's HTML parser builds (tinyhtml5, namespace_html_elements=False);
    None if the page holds anything an XML parser reads otherwise."""
    if _HTML_ONLY.search(html):
        return None
    try:
        root = ElementTree.fromstring(html)
    except ElementTree.ParseError:
        return None
    for element in root.iter():
        if not element.tag.startswith(XHTML):
            return None
        element.tag = element.tag[len(XHTML):]
        if any(name.startswith("{") and not name.startswith(XML_NAMESPACE) for name in element.attrib):
            return None
        element.attrib = {name.replace(XML_NAMESPACE, "xml:"): value for name, value in element.attrib.items()}
    if root.tag != "html":
        return None
    root.attrib = {"xmlns": XHTML[1:-1], **root.attrib} if html_declares_xmlns(html) else root.attrib
    _as_html_places_whitespace(root, html)
    return root


def html_declares_xmlns(html: str) -> bool:
    """Whether the <html> start tag carries an xmlns attribute (an HTML parser keeps it as one)."""
    start = re.search(r"<html\b[^>]*>", html)
    return bool(start and re.search(r'\sxmlns="', start.group(0)))


def _as_html_places_whitespace(root: ElementTree.Element, html: str) -> None:
    root.text = None
    body = root.find("body")
    if body is None:
        return
    after = (body.tail or "") + html[html.rindex("</html>") + len("</html>"):]
    body.tail = None
    if not after:
        return
    if len(body):
        last = body[-1]
        last.tail = (last.tail or "") + after
    else:
        body.text = (body.text or "") + after


@lru_cache(maxsize=1)
def usable() -> bool:
    """Whether the installed WeasyPrint's HTML object is made of the five attributes `parsed_html` sets
    (and CHAPBOOK_ENGINE leaves the reach on)."""
    if not reach_on("page_tree"):
        return False
    from pipeline.writers.pdf.engine.weasyprint_start import import_weasyprint

    return set(vars(import_weasyprint().HTML(string="<p>x</p>"))) == _ATTRIBUTES


def parsed_html(html: str, base_url: str, url_fetcher):
    """A WeasyPrint HTML for chapbook's page `html`: its tree from `xhtml_tree`, else parsed by WeasyPrint."""
    import cssselect2

    from pipeline.writers.pdf.engine.weasyprint_start import import_weasyprint

    weasyprint = import_weasyprint()
    tree = xhtml_tree(html) if usable() else None
    if tree is None or next(tree.iter("base"), None) is not None:  # a <base> would change the base URL
        return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=url_fetcher)
    page = weasyprint.HTML.__new__(weasyprint.HTML)
    page.base_url, page.url_fetcher, page.media_type = base_url, url_fetcher, "print"
    page.wrapper_element = cssselect2.ElementWrapper.from_html_root(tree, content_language=None)
    page.etree_element = page.wrapper_element.etree_element
    return page
