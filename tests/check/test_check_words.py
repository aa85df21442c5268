"""What `chapbook check` counts as a word (pipeline/check/words.py), and the faults its false alarms hid."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from conftest import document_from_text

from pipeline.check.readback import Reading, struct_list_items
from pipeline.check.voice import lost_words_finding, voice_findings
from pipeline.check.words import source_text, words, written_words
from pipeline.writers.shared.xhtml import XHTML_NS, HtmlOptions, render_blocks


def _failed(findings):
    return {(f.check, f.detail) for f in findings if f.status == "fail"}


@pytest.mark.parametrize("markdown", [
    "water is H~2~O and a^bc^d is one word; 2^10^ is a power.",
    "code against a word: `foo`bar and `foo`bar|baz`` and x`y`z.",
    "12345678. an item numbered from twelve million\n12345679. the next one",
    'a [link](https://example.org/a "a title never shown") and ![an image](nowhere.png "nor this").',
    "a [reference][r].\n\n[r]: https://example.org/\n  \"a title on its own line\"",
    "(@) the first example\n(@good) a labelled one\n\nas (@good) shows.",
    "a $p$-Tree and $\\alpha \\wedge \\omega$.",
])
def test_words_the_source_shows_are_read(tmp_path, markdown):
    document = document_from_text(tmp_path, "---\ntitle: t\n---\n\n" + markdown + "\n")
    assert lost_words_finding(document, markdown).status == "ok", lost_words_finding(document, markdown)


def test_a_word_the_reader_swallowed_is_still_caught(tmp_path):
    markdown = "the file is in \\Users\\alice here."
    document = document_from_text(tmp_path, "---\ntitle: t\n---\n\n" + markdown + "\n")
    assert written_words(markdown, {"the", "file", "is", "in", "here"}) == {"Users", "alice"}
    assert lost_words_finding(document, markdown).status == "ok"  # both read: pandoc keeps them as text


def test_a_word_set_differently_compares_equal():
    assert words("soft\u00adhyphen\u00adated zero\u200dwidth \ufb01ne") == words("softhyphenated zerowidth fine")


def test_blocks_in_a_table_cell_do_not_run_together(tmp_path):
    document = document_from_text(tmp_path, """---
title: t
---

+--------+--------+
| a      | b      |
+========+========+
| # 1col | # 2col |
|        |        |
| text   | more   |
+--------+--------+
""")
    assert {"1col", "2col", "text", "more"} <= set(words(source_text(document)))
    assert "1coltext" not in words(source_text(document))


def test_a_note_call_glued_to_its_word_is_not_a_missing_word(tmp_path):
    document = document_from_text(tmp_path, "---\ntitle: t\n---\n\n| a | b |\n|---|---|\n| cell | here[^n] |\n\n"
                                            "[^n]: the note.\n")
    shown = Reading("t a b cell here1 the note.")
    assert _failed(voice_findings(document, shown, "x")) == set()
    lost = Reading("t a b cell the note.")
    failed = {check for check, _detail in _failed(voice_findings(document, lost, "x"))}
    assert "every word of the source, in its case" in failed


def _rendered(tmp_path, markdown, **options):
    document = document_from_text(tmp_path, "---\ntitle: t\n---\n\n" + markdown + "\n")
    body = render_blocks(document.blocks, document, HtmlOptions(**options)).body
    return ElementTree.fromstring(f'<div xmlns="{XHTML_NS}" xmlns:epub="http://www.idpf.org/2007/ops">{body}</div>')


def test_no_table_header_cell_is_empty(tmp_path):
    root = _rendered(tmp_path, "| name |  |\n|------|--|\n| a    | b |")
    headers = list(root.iter(f"{{{XHTML_NS}}}th"))
    assert headers and all("".join(th.itertext()).strip() for th in headers)


def test_no_heading_inside_a_table_header_cell(tmp_path):
    root = _rendered(tmp_path, "+--------+--------+\n| # 1col | # 2col |\n+========+========+\n| a      | b      |\n"
                               "+--------+--------+")
    for th in root.iter(f"{{{XHTML_NS}}}th"):
        assert not [e for e in th.iter() if e.tag[-2:] in {f"h{n}" for n in range(1, 7)}]
        assert any(e.get("role") == "heading" for e in th.iter())


def test_math_is_mathml_where_the_edition_renders_it_and_tex_as_code_elsewhere(tmp_path):
    mathml = _rendered(tmp_path, "the formula $\\alpha \\wedge \\omega$.", math="mathml")
    math = list(mathml.iter("{http://www.w3.org/1998/Math/MathML}math"))
    assert math and "".join(math[0].itertext()) == "α∧ω"
    tex = _rendered(tmp_path, "the formula $\\alpha \\wedge \\omega$.")
    assert [("".join(c.itertext()), c.get("class")) for c in tex.iter(f"{{{XHTML_NS}}}code")] == [
        ("\\alpha \\wedge \\omega", "math")]


# What pdfinfo -struct-text prints for a definition list holding a list (WeasyPrint 70 tags <dl> as L,
# <dt> and <dd> as LI without a label): the author's list is at depth 1, as in the EPUB and the web.
_DEFINITION_LIST = """Document
  L (block)
    LI (block)
      LBody (block)
        Span (inline)
          "term one"
    LI (block)
      LBody (block)
        Span (inline)
          "the definition"
        L (block)
          LI (block)
            Lbl (block)
              Span (inline)
                "• "
            LBody (block)
              Span (inline)
                "a "
              Span (inline)
                "p"
              Span (inline)
                "-Tree"
          L (block)
            LI (block)
              Lbl (block)
                Span (inline)
                  "– "
              LBody (block)
                P (block)
                  Span (inline)
                    "deeper"
                P (block)
                  Span (inline)
                    "second paragraph"
"""


# A list continued on a new page: the items holding the sublists come back as empty LIs.
_CONTINUED = """Document
  Part
    L (block)
      LI (block)
      L (block)
        LI (block)
        L (block)
          LI (block)
            Lbl (block)
              Span (inline)
                "- "
            P (block)
              Span (inline)
                "third level"
"""


def test_pdf_list_depth_inside_a_definition_list_and_item_text_as_set():
    assert struct_list_items(_DEFINITION_LIST.splitlines()) == [(1, "a p-Tree"), (2, "deeper second paragraph")]
    assert struct_list_items(_CONTINUED.splitlines())[-1] == (3, "third level")
