"""Property-based: generated Markdown either builds with a clean check, or fails with one clear line."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.build import prepare
from pipeline.check.text import check_text
from pipeline.errors import ChapbookError
from pipeline.writers.text import render

WORDS = st.sampled_from(["gpt·4", "Just", "Worked", "æsthetically", "co₂", ",,", "...", "--", "[update:", "x]",
                         "*generated", "**images", "i", "don't", "TransAgents", "→", "“quoted”", "😀", "é",
                         "=>", "#", ">", "```", "* ", "1.", "<b>", "&amp;", "\\*", "_", "`", "|"])
LINE_STARTS = st.sampled_from(["", "", "", "=> ", "# ", "## ", "> ", "* ", "** ", "```", "- ", "1. ", "    "])


@st.composite
def markdown_documents(draw):
    blocks = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["para", "list", "heading", "empty-section", "disclaimer"]))
        words = " ".join(draw(st.lists(WORDS, min_size=1, max_size=8)))
        if kind == "para":
            blocks.append(draw(LINE_STARTS) + words)
        elif kind == "heading":
            blocks.append("#" * draw(st.integers(1, 4)) + " " + words)
        elif kind == "empty-section":
            blocks.append("# empty")
        elif kind == "disclaimer":
            blocks.append(f"[disclaimer: {words}]")
        else:
            depth = 0
            lines = []
            for _ in range(draw(st.integers(1, 6))):
                depth = draw(st.integers(0, min(depth + 1, 7)))
                lines.append("    " * depth + "- " + " ".join(draw(st.lists(WORDS, min_size=1, max_size=4))))
            blocks.append("\n".join(lines))
    return "---\ntitle: a generated essay\n---\n\n" + "\n\n".join(blocks) + "\n"


def prepared_or_clean_error(source, markdown: str):
    """The document read from `markdown` written at `source`, or None after checking its error is one clean line."""
    source.write_text(markdown, encoding="utf-8")
    try:
        return prepare(source)
    except ChapbookError as error:
        assert "\n" not in str(error) and str(error).startswith(str(source))
        return None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(markdown_documents())
def test_generated_documents_build_cleanly_or_fail_clearly(tmp_path_factory, markdown):
    folder = tmp_path_factory.mktemp("generated")
    document = prepared_or_clean_error(folder / "generated.md", markdown)
    if document is None:
        return
    output = folder / "generated.txt"
    output.write_bytes(render(document))
    failed = [f for f in check_text(document, output) if f.status == "fail"]
    assert failed == [], (markdown, failed)


# Raw HTML an author (or an attacker) may paste, and the containers it may hide in.
HOSTILE = st.sampled_from(['<script>alert(1)</script>', '<img src="http://127.0.0.1:9/x.png" onload="x()">',
                           '<a href="javascript:alert(1)">js</a>', '<style>@import url(http://127.0.0.1:9/s.css)</style>',
                           '<span onclick="x()">click</span>', '<iframe src="http://127.0.0.1:9/"></iframe>', ""])
CONTAINERS = {
    "footnote": "a claim.[^n]\n\n[^n]: {inner}\n",
    "definition": "Term\n:   {inner}\n",
    "cell": "| a | b |\n|---|---|\n| {inner} | x |\n",
    "quote": "> {inner}\n",
    "item": "- {inner}\n    - {inner}\n",
    "div": "::: {{.box}}\n{inner}\n:::\n",
    "note-code": "x.[^c]\n\n[^c]:\n    ```\n    {inner}\n    ```\n",
}


def unsafe_markup(xhtml: str) -> list[str]:
    """Elements and attributes that would run, style or fetch something, read with the standard HTML parser."""
    from html.parser import HTMLParser

    found: list[str] = []

    class Finder(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in ("script", "style", "iframe", "object", "embed", "link"):
                found.append(tag)
            for name, value in attrs:
                # An id is an anchor made from the heading's text, never fetched: only other attributes count.
                fetching = name != "id" and "127.0.0.1" in (value or "")
                if name.startswith("on") or "javascript:" in (value or "").lower() or fetching:
                    found.append(f"{tag} {name}={value}")

    Finder().feed(xhtml)
    return found


@st.composite
def contained_documents(draw):
    blocks = []
    for _ in range(draw(st.integers(1, 4))):
        words = [w for w in draw(st.lists(WORDS, min_size=1, max_size=6)) if w not in ("|", "```")]
        inner = " ".join([*words, draw(HOSTILE)]).strip() or "word"
        blocks.append(CONTAINERS[draw(st.sampled_from(sorted(CONTAINERS)))].format(inner=inner))
    return "---\ntitle: contained\nlang: en\n---\n\n" + "\n\n".join(blocks) + "\n"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(contained_documents())
def test_every_container_is_sanitised_and_keeps_its_words(tmp_path_factory, markdown):
    import trimgmi

    from pipeline.check import _source_finding
    from pipeline.writers.gemini.gemtext import render_gemtext
    from pipeline.writers.shared.xhtml import HtmlOptions, render_blocks

    folder = tmp_path_factory.mktemp("contained")
    document = prepared_or_clean_error(folder / "contained.md", markdown)
    if document is None:
        return
    rendered = render_blocks(document.blocks, document, HtmlOptions(epub=True))
    assert unsafe_markup(rendered.body + rendered.notes) == [], markdown
    output = folder / "contained.txt"
    output.write_bytes(render(document))
    failed = [f for f in check_text(document, output) + [_source_finding(document)] if f.status == "fail"]
    assert failed == [], (markdown, failed)
    page = trimgmi.Document()
    for line in render_gemtext(document).split("\n"):
        page.append(line)
    lines = list(page.emit_line_objects(auto_tidy=False))
    toggles = [line for line in lines if line.type == trimgmi.LineType.PREFORMAT_START]
    assert all(line.type != trimgmi.LineType.LINK or "127.0.0.1" not in line.extra for line in lines)
    assert len(toggles) == sum(1 for line in render_gemtext(document).split("\n") if line.startswith("```")) // 2
