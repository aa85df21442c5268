"""The EPUB's accessibility metadata is true of the book (EPUB Accessibility 1.1), read back from the OPF."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ElementTree
import zipfile

import pytest

from tests.conftest import document_from_text, run_chapbook

OPF = {"opf": "http://www.idpf.org/2007/opf"}
IMAGE = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
         b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def _properties(data: bytes) -> dict[str, list[str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        opf = ElementTree.fromstring(book.read("EPUB/content.opf"))
    found: dict[str, list[str]] = {}
    for meta in opf.iterfind(".//opf:metadata/opf:meta", OPF):
        key = meta.get("property") or meta.get("name")
        found.setdefault(key, []).append(meta.text if meta.get("property") else meta.get("content"))
    return found


def _epub(tmp_path, front: str, body: str) -> dict[str, list[str]]:
    from pipeline.writers.epub.book import render

    (tmp_path / "pixel.png").write_bytes(IMAGE)
    return _properties(render(document_from_text(tmp_path, f"---\ntitle: a book\n{front}---\n\n{body}\n")))


def test_a_book_of_text_and_described_images_claims_wcag_and_names_chapbook(tmp_path):
    found = _epub(tmp_path, "", "text.\n\n![a brown square](pixel.png)")
    assert found["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    assert found["generator"] == ["chapbook"]


def test_an_image_without_alt_text_takes_the_claim_away(tmp_path):
    found = _epub(tmp_path, "", "text.\n\n![](pixel.png)")
    assert "dcterms:conformsTo" not in found
    assert "visual" in found["schema:accessMode"]


def test_an_evaluator_named_by_the_author_makes_the_claim_with_certified_by(tmp_path):
    found = _epub(tmp_path, "certified_by: a careful reader\naccessibility_summary: read aloud by its author.\n",
                  "text.\n\n![](pixel.png)")
    assert found["dcterms:conformsTo"] and found["a11y:certifiedBy"] == ["a careful reader"]
    assert found["schema:accessibilitySummary"] == ["read aloud by its author."]


def test_an_exemption_replaces_the_claim(tmp_path):
    found = _epub(tmp_path, "exemption: eaa-microenterprise\n", "text.")
    assert found["a11y:exemption"] == ["eaa-microenterprise"] and "dcterms:conformsTo" not in found


def test_an_unknown_exemption_is_one_line_naming_the_allowed_values(tmp_path):
    source = tmp_path / "book.md"
    source.write_text("---\ntitle: a book\nexemption: small\n---\n\ntext.\n", encoding="utf-8")
    result = run_chapbook("build", "-f", "txt", str(source), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"{source}:3: 'exemption' must be one of eaa-disproportionate-burden, eaa-fundamental-alteration, "
        "eaa-microenterprise, not 'small'; write e.g. exemption: eaa-microenterprise"]


@pytest.mark.parametrize("author", ["", "author: someone\n"])
def test_a_book_without_author_is_built_with_one_warning_line(tmp_path, author):
    source = tmp_path / "book.md"
    source.write_text(f"---\ntitle: a book\n{author}---\n\ntext.\n", encoding="utf-8")
    result = run_chapbook("build", "-f", "epub", str(source), "-o", str(tmp_path / "out"))
    assert result.returncode == 0 and (tmp_path / "out" / "book.epub").is_file()
    warnings = [line for line in result.stderr.splitlines() if "no author" in line]
    assert len(warnings) == (0 if author else 1)
