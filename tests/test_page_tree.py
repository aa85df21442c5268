"""The book's page parsed by ElementTree: the very tree WeasyPrint's own HTML parser builds, the same PDF."""

from __future__ import annotations

import pytest
import tinyhtml5
from conftest import FIXTURE_SOURCES, document_from_text, read_fixture

from pipeline.writers.pdf.book_html import page_html
from pipeline.writers.pdf.engine import page_tree
from pipeline.writers.pdf.engine.page_tree import parsed_html, xhtml_tree
from pipeline.writers.pdf.parts import _Cut, part_mains

PAGE = ('<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en" xml:lang="en">\n<head>\n'
        '<meta charset="utf-8"/>\n<title>t</title>\n</head>\n<body>\n{}\n</body>\n</html>\n')


def _shape(element, found=None) -> list:
    """Every element of a tree in document order: name, attributes in order, text, tail."""
    found = [] if found is None else found
    found.append((element.tag, list(element.attrib.items()), element.text, element.tail))
    for child in element:
        _shape(child, found)
    return found


def _weasyprints_own(html: str) -> list:
    return _shape(tinyhtml5.parse(html, namespace_html_elements=False))


def _pages(document) -> dict[str, str]:
    book = _Cut.of(document, part_mains(document, len(document.blocks))[:1])
    return {"whole": page_html(document), "body": book.part(0, last=True), "front": book.front({}),
            "front counted": book.front(None)}


@pytest.mark.parametrize("name", ["essay", *(source.name for source in FIXTURE_SOURCES)])
def test_every_page_of_the_essay_and_the_fixtures_parses_to_weasyprints_own_tree(name, essay):
    document = essay if name == "essay" else read_fixture(name)
    for part, html in _pages(document).items():
        tree = xhtml_tree(html)
        assert tree is not None, part
        assert _shape(tree) == _weasyprints_own(html), part


def test_whitespace_around_the_body_lands_where_an_html_parser_puts_it():
    html = PAGE.format("<p>one</p>")
    assert _shape(xhtml_tree(html)) == _weasyprints_own(html)
    empty = PAGE.format("")
    assert _shape(xhtml_tree(empty)) == _weasyprints_own(empty)


@pytest.mark.parametrize("body", [
    "<pre>\nfirst line</pre>",  # an HTML parser drops that newline
    '<p title="two\nlines">x</p>',  # XML would make the newline a space
    '<p><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg></p>',  # foreign content
    "<p>unclosed<br></p>",  # not XML at all
    '<p epub:type="note" xmlns:epub="http://www.idpf.org/2007/ops">x</p>',  # a prefixed attribute
])
def test_what_an_xml_parser_reads_otherwise_is_left_to_weasyprint(body):
    html = PAGE.format(body)
    assert xhtml_tree(html) is None
    page = parsed_html(html, "file:///nowhere/", None)
    assert _shape(page.etree_element) == _weasyprints_own(html)


def test_a_base_element_is_left_to_weasyprint_which_reads_the_base_url_from_it():
    html = PAGE.replace("<title>t</title>", '<title>t</title>\n<base href="sub/"/>').format("<p>x</p>")
    assert parsed_html(html, "file:///book/", None).base_url == "file:///book/sub/"


def test_the_pdf_is_the_same_parsed_either_way(tmp_path, monkeypatch):
    from pipeline.writers.pdf import book as pdf

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert page_tree.usable()  # the installed WeasyPrint takes the parsed tree: two ways are compared
    for document in (read_fixture("kitchen-sink.md"), read_fixture("table-image.md"),
                     document_from_text(tmp_path, "---\ntitle: a <b>title</b> & more\n---\n\n# one\n\ntext\n")):
        parsed_here = pdf.render(document)
        with monkeypatch.context() as patched:
            patched.setattr(page_tree, "usable", lambda: False)
            parsed_by_weasyprint = pdf.render(document)
        assert parsed_here == parsed_by_weasyprint, document.source
