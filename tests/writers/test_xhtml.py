"""The shared XHTML renderer: structure, escaping and the author's text, read back with xml.etree."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURE_DISCLAIMERS, document_from_text, read_fixture, source_texts

from pipeline.ast import attr
from pipeline.document import Document, Metadata
from pipeline.writers.shared.xhtml import HtmlOptions, render_blocks, render_inlines

X = "{http://www.w3.org/1999/xhtml}"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
NS = {"x": "http://www.w3.org/1999/xhtml"}
WORD = re.compile(r"[^\W\d_]+")  # letters only, case kept


def tree(fragment: str) -> ET.Element:
    """The fragment parsed as XML (fails the test if it is not well-formed)."""
    return ET.fromstring('<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
                         f"{fragment}</div>")


def text(element: ET.Element) -> str:
    return "".join(element.itertext())


def doc(*blocks) -> Document:
    return Document(source=Path("test.md"), meta=Metadata(title="test"), blocks=list(blocks))


def para(*words: str) -> dict:
    inlines = []
    for word in words:
        inlines += ([{"t": "Space"}] if inlines else []) + [{"t": "Str", "c": word}]
    return {"t": "Para", "c": inlines}


def rendered(document: Document, **options) -> ET.Element:
    result = render_blocks(document.blocks, document, HtmlOptions(**options))
    return tree(result.body + result.notes)


def list_depth(element: ET.Element, depth: int = 0) -> int:
    """How many ul/ol are nested inside one another at the deepest point."""
    is_list = element.tag in (X + "ul", X + "ol")
    return max([list_depth(child, depth + is_list) for child in element] + [depth + is_list])


@pytest.mark.parametrize("name", ["nested-lists.md", "kitchen-sink.md"])
def test_nested_lists_keep_six_levels(name):
    root = rendered(read_fixture(name))
    assert list_depth(root) == 6
    deepest = [li for li in root.iter(X + "li") if text(li).startswith("level six")]
    assert len(deepest) == 1


def test_ordered_list_keeps_start_and_letter_style():
    root = rendered(read_fixture("nested-lists.md"))
    lettered = [ol for ol in root.iter(X + "ol") if ol.get("type") == "a"]
    assert len(lettered) == 1 and text(lettered[0]).strip() == "lettered three"
    numbered = {"t": "OrderedList", "c": [[3, {"t": "LowerRoman"}, {"t": "Period"}], [[para("c")], [para("d")]]]}
    ol = rendered(doc(numbered)).find("x:ol", NS)
    assert (ol.get("start"), ol.get("type")) == ("3", "i")


def test_each_ordered_item_carries_the_marker_the_source_wrote():
    parens = {"t": "OrderedList", "c": [[4, {"t": "LowerRoman"}, {"t": "TwoParens"}], [[para("d")], [para("e")]]]}
    items = rendered(doc(parens)).find("x:ol", NS).findall("x:li", NS)
    assert [li.get("style") for li in items] == ["list-style-type: '(iv)\\2002'", "list-style-type: '(v)\\2002'"]


def test_disclaimers_are_asides_naming_their_kind_with_brackets_kept():
    root = rendered(read_fixture("disclaimers.md"))
    asides = [(a.get("class"), text(a).strip()) for a in root.iter(X + "aside")]
    assert asides == [(f"disclaimer disclaimer-{kind}", written) for kind, written in FIXTURE_DISCLAIMERS]
    assert all(a.get("role") == "note" for a in root.iter(X + "aside"))
    plain = [p for p in root.iter(X + "p") if text(p).startswith("[make money")]
    assert plain and plain[0] not in [p for a in root.iter(X + "aside") for p in a]


def test_asterisk_refs_link_to_their_notes_and_keep_the_asterisks():
    root = rendered(read_fixture("asterisk-notes.md"))
    refs = root.findall(".//x:a[@class='asterisk-ref']", NS)
    # The whole marked word is the link, not the asterisk alone (a target a finger can hit).
    assert [(a.text, a.get("href")) for a in refs] == [("*generated", "#asterisk-note-1"),
                                                       ("**images,", "#asterisk-note-2")]
    notes = {div.get("id"): text(div).strip() for div in root.iter(X + "div") if div.get("class") == "asterisk-note"}
    assert notes["asterisk-note-1"].startswith('* i tend to avoid the word "ai"')
    assert notes["asterisk-note-2"].startswith('** i tend to avoid the word "art"')
    assert "thoughts on *generated **images, as someone computery" in text(root)
    assert root.find(".//x:em", NS) is None and root.find(".//x:ul", NS) is None


def test_asterisk_notes_link_back_to_their_first_reference_except_in_print():
    document = read_fixture("asterisk-notes.md")
    root = rendered(document)
    refs = {a.get("id"): a.get("href") for a in root.findall(".//x:a[@class='asterisk-ref']", NS)}
    for note in (div for div in root.iter(X + "div") if div.get("class") == "asterisk-note"):
        (back,) = [a for a in note.iter(X + "a") if a.get("role") == "doc-backlink"]
        assert refs[back.get("href").lstrip("#")] == "#" + note.get("id")
    printed = tree(render_blocks(document.blocks, document, HtmlOptions(notes="inline", backlinks=False)).body)
    assert not [a for a in printed.iter(X + "a") if a.get("role") == "doc-backlink"]


def test_asterisk_refs_follow_href_for_id():
    document = read_fixture("asterisk-notes.md")
    root = rendered(document, href_for_id=lambda identifier: f"notes.xhtml#{identifier}")
    assert root.find(".//x:a[@class='asterisk-ref']", NS).get("href") == "notes.xhtml#asterisk-note-1"


def test_footnotes_as_endnotes_with_noteref_and_backlink():
    document = read_fixture("footnotes.md")
    result = render_blocks(document.blocks, document, HtmlOptions(epub=True, first_note=4))
    body, notes = tree(result.body), tree(result.notes)
    refs = [a for a in body.iter(X + "a") if a.get(EPUB_TYPE) == "noteref"]
    assert [(a.text, a.get("href"), a.get("id")) for a in refs] == [("4", "#note-4", "noteref-4"),
                                                                   ("5", "#note-5", "noteref-5")]
    asides = {a.get("id"): a for a in notes.iter(X + "aside")}
    assert set(asides) == {"note-4", "note-5"} and result.note_count == 2
    assert all(a.get(EPUB_TYPE) == "footnote" for a in asides.values())
    assert "the first note, in lowercase." in text(asides["note-4"])
    backlinks = [a.get("href") for a in asides["note-4"].iter(X + "a")]
    assert backlinks == ["#noteref-4"]
    assert [a.get("href") for a in asides["note-5"].iter(X + "a")][0] == "https://arxiv.org/abs/2310.16825"


def test_footnotes_inline_for_print_without_epub_types():
    document = read_fixture("footnotes.md")
    result = render_blocks(document.blocks, document, HtmlOptions(notes="inline"))
    root = tree(result.body)
    spans = [text(s) for s in root.iter(X + "span") if s.get("class") == "footnote"]
    assert spans[0] == "the first note, in lowercase."
    assert result.notes == "" and "epub:type" not in result.body


def test_text_is_escaped_and_kept_exactly():
    inlines = [{"t": "Str", "c": "a<b"}, {"t": "Space"}, {"t": "Str", "c": "&amp;"}, {"t": "Space"},
               {"t": "Code", "c": [attr(), "x < y && z"]}]
    html = render_inlines(inlines, doc(), HtmlOptions())
    assert "&lt;b" in html and "&amp;amp;" in html
    assert text(tree(html)) == "a<b &amp; x < y && z"
    code = {"t": "CodeBlock", "c": [attr("", ["python"]), 'print("<tag> & co")']}
    assert text(rendered(doc(code)).find(".//x:pre/x:code", NS)) == 'print("<tag> & co")'


def test_case_and_punctuation_survive_as_typed():
    document = read_fixture("kitchen-sink.md")
    root = rendered(document)
    source_words = Counter(word for chunk in source_texts(document.blocks) for word in WORD.findall(chunk))
    rendered_text = text(root)
    assert source_words - Counter(WORD.findall(rendered_text)) == Counter()
    for typed in ("level one Just Worked", "TransAgents", "Next Big Thing", "gpt·4", "co₂,,", " -- ", " ... ",
                  'print("code stays as typed")'):
        assert typed in rendered_text


def test_no_case_or_typographic_styling_in_markup():
    document = read_fixture("kitchen-sink.md")
    body = render_blocks(document.blocks, document, HtmlOptions()).body
    for trick in ("text-transform", "small-caps", "first-letter", "uppercase", "capitalize"):
        assert trick not in body


def test_links_external_kept_internal_mapped_unsafe_and_unknown_unlinked():
    def link(url):
        return {"t": "Link", "c": [attr(), [{"t": "Str", "c": url[:4]}], [url, ""]]}

    inlines = [link("https://example.org/A?b=1&c=2"), link("#known"), link("#unknown"), link("javascript:alert(1)"),
               link("other.md")]
    html = render_inlines(inlines, doc(), HtmlOptions(href_for_id=lambda i: "s.xhtml#known" if i == "known" else ""))
    hrefs = [a.get("href") for a in tree(html).iter(X + "a")]
    assert hrefs == ["https://example.org/A?b=1&c=2", "s.xhtml#known"]
    assert text(tree(html)) == "http#kno#unkjavaothe"


def test_headings_keep_ids_and_levels_clamped():
    headings = [{"t": "Header", "c": [level, attr(f"h{level}"), [{"t": "Str", "c": "Mixed"}]]} for level in (1, 2, 7)]
    root = rendered(doc(*headings))
    assert [(h.tag[len(X):], h.get("id"), h.text) for h in root] == [("h1", "h1", "Mixed"), ("h2", "h2", "Mixed"),
                                                                    ("h6", "h7", "Mixed")]


def test_span_and_div_keep_ids_and_classes_never_other_attributes():
    span = {"t": "Span", "c": [["s1", ["a", "b"], [["onclick", "evil()"], ["style", "x"], ["lang", "fr"]]],
                               [{"t": "Str", "c": "mot"}]]}
    div = {"t": "Div", "c": [["d1", ["box"], [["onload", "evil()"]]], [{"t": "Plain", "c": [span]}]]}
    root = rendered(doc(div))
    element = root.find("x:div", NS)
    assert element.attrib == {"id": "d1", "class": "box"}
    assert element.find("x:span", NS).attrib == {"id": "s1", "class": "a b", "lang": "fr"}


def test_table_and_figure_with_alt_text():
    document = read_fixture("table-image.md")
    root = rendered(document)
    table = root.find("x:table", NS)
    assert [text(th) for th in table.findall("x:thead/x:tr/x:th", NS)] == ["model", "energy"]
    assert [text(td) for td in table.findall("x:tbody/x:tr/x:td", NS)][2:] == ["a100 × 21k gpu-hours", "3.5 t of co₂"]
    image = root.find("x:figure/x:img", NS)
    assert (image.get("src"), image.get("alt")) == ("images/pixel.png", "a small brown square, generated")
    assert text(root.find("x:figure/x:figcaption", NS)) == "a small brown square, generated"


def test_raw_html_kept_when_well_formed_dropped_with_warning_otherwise(caplog):
    good = {"t": "RawBlock", "c": ["html", "<p>raw <b>bold</b><br></p>"]}
    bad = {"t": "RawBlock", "c": ["html", "<p>unclosed <b>bold</p>"]}
    with caplog.at_level(logging.WARNING, logger="chapbook"):
        root = rendered(doc(good, bad))
    assert [text(p) for p in root] == ["raw bold"]
    assert "not well-formed" in caplog.text


def test_line_block_definition_list_and_rule():
    line_block = {"t": "LineBlock", "c": [[{"t": "Str", "c": "one"}], [{"t": "Str", "c": "  two"}]]}
    definitions = {"t": "DefinitionList", "c": [[[{"t": "Str", "c": "term"}], [[para("meaning")]]]]}
    root = rendered(doc(line_block, definitions, {"t": "HorizontalRule"}))
    assert [child.tag[len(X):] for child in root] == ["div", "dl", "hr"]
    assert len(root.findall("x:div/x:br", NS)) == 1
    assert (text(root.find("x:dl/x:dt", NS)), text(root.find("x:dl/x:dd", NS))) == ("term", "meaning")


def test_a_refused_image_shows_its_alt_text_once(tmp_path):
    document = document_from_text(tmp_path, "---\ntitle: t\n---\n\n![Remote Pic](https://example.com/x.png)\n\ntext.\n")
    figure = rendered(document).find(".//x:figure", NS)
    assert text(figure).split().count("Pic") == 1 and figure.find("x:figcaption", NS) is None
