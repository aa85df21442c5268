"""Property-based: generated Markdown either builds with a clean check, or fails with one clear line."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.build import prepare
from pipeline.checks.text import check_text
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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(markdown_documents())
def test_generated_documents_build_cleanly_or_fail_clearly(tmp_path_factory, markdown):
    folder = tmp_path_factory.mktemp("generated")
    source = folder / "generated.md"
    source.write_text(markdown, encoding="utf-8")
    try:
        document = prepare(source)
    except ChapbookError as error:
        assert "\n" not in str(error) and str(error).startswith(str(source))
        return
    output = folder / "generated.txt"
    output.write_bytes(render(document))
    failed = [f for f in check_text(document, output) if f.status == "fail"]
    assert failed == [], (markdown, failed)
