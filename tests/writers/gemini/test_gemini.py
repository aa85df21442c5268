"""The Gemini capsule: which files, the gemlog in the subscription convention, the Atom feed, copied images."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest
from conftest import ESSAY, FIXTURES, document_from_text, read_fixture, run_chapbook

from pipeline.check.gemini import check_capsule
from pipeline.settings import Settings
from pipeline.words.measure import human_size
from pipeline.writers.gemini.capsule import render_site

ATOM = "{http://www.w3.org/2005/Atom}"
PAGE_NAME = re.compile(r"\A\d{4}-\d{2}-\d{2}-[a-z0-9]+(?:-[a-z0-9]+)*\.gmi\Z")
# companion/subscription.gmi: entries are link lines whose label starts with YYYY-MM-DD.
ENTRY_LINE = re.compile(r"^=>[ \t]*(\S+)[ \t]+(\d{4}-\d{2}-\d{2})\b[ \t-]*(.*)$")


@pytest.fixture(scope="module")
def essay_document():
    return read_fixture(str(ESSAY))


@pytest.fixture(scope="module")
def essay_capsule(essay_document):
    return render_site([essay_document], Settings())


def text(files: dict[str, bytes], path: str) -> str:
    return files[path].decode("utf-8")


def entries(gemlog: str) -> list[tuple[str, str, str]]:
    return [match.groups() for match in map(ENTRY_LINE.match, gemlog.splitlines()) if match]


def feed(files: dict[str, bytes]) -> ET.Element:
    return ET.fromstring(files["gemlog/atom.xml"])


def test_capsule_has_home_gemlog_page_and_feed(essay_capsule):
    assert set(essay_capsule) == {"index.gmi", "gemlog/index.gmi", "gemlog/atom.xml",
                                  "gemlog/2024-07-31-my-thoughts-on-generated-images.gmi",
                                  ".meta", "gemlog/.meta"}
    home = text(essay_capsule, "index.gmi").splitlines()
    assert home[0] == "# gemlog"  # the capsule's own name, not the post's title
    assert "=> gemlog/ gemlog" in home
    assert "=> gemlog/2024-07-31-my-thoughts-on-generated-images.gmi my thoughts on generated images" in home


def test_gemlog_index_follows_the_subscription_convention(essay_capsule):
    lines = text(essay_capsule, "gemlog/index.gmi").splitlines()
    assert re.match(r"^# \S", lines[0]) and lines[0] == "# gemlog"
    assert entries("\n".join(lines)) == [("2024-07-31-my-thoughts-on-generated-images.gmi", "2024-07-31",
                                          "my thoughts on generated images")]


def test_the_capsule_is_named_by_its_settings_and_never_after_a_post(essay_document):
    named = render_site([essay_document], Settings(site_title="notes from the shed", site_author="Ada L."))
    assert text(named, "index.gmi").splitlines()[:3] == ["# notes from the shed", "", "Ada L."]
    assert text(named, "gemlog/index.gmi").splitlines()[0] == "# notes from the shed"
    root = feed(named)
    assert root.find(f"{ATOM}title").text == "notes from the shed"
    assert [n.text for n in root.findall(f"{ATOM}author/{ATOM}name")] == ["Ada L."]
    unnamed = render_site([read_fixture("kitchen-sink.md")], Settings())
    assert text(unnamed, "gemlog/index.gmi").splitlines()[:2] == ["# gemlog", ""]  # no post's subtitle either
    assert [n.text for n in feed(unnamed).findall(f"{ATOM}author/{ATOM}name")] == ["gemlog"]


def test_gemlog_lists_newest_first_and_undated_posts_use_the_edition_date(tmp_path):
    old = document_from_text(tmp_path, "---\ntitle: older\ndate: 2023-01-05\n---\n\ntext\n", "old.md")
    new = document_from_text(tmp_path, "---\ntitle: Newer One\ndate: 2024-02-01\n---\n\ntext\n", "new.md")
    undated = replace(document_from_text(tmp_path, "---\ntitle: undated\n---\n\ntext\n", "undated.md"),
                      modified=datetime.fromisoformat("2023-06-30T12:00:00+00:00"))
    files = render_site([old, undated, new], Settings())
    gemlog = text(files, "gemlog/index.gmi")
    assert gemlog.splitlines()[0] == "# gemlog"
    assert entries(gemlog) == [("2024-02-01-newer-one.gmi", "2024-02-01", "Newer One"),
                               ("2023-06-30-undated.gmi", "2023-06-30", "undated"),
                               ("2023-01-05-older.gmi", "2023-01-05", "older")]
    for page, _date, _title in entries(gemlog):
        assert f"gemlog/{page}" in files


@pytest.mark.parametrize("title", ["../../x", "🦊🦊", "", "CON", "a/b\\c:d"])
def test_page_names_are_safe_whatever_the_title(essay_document, title):
    document = replace(essay_document, meta=replace(essay_document.meta, title=title))
    pages = [path for path in render_site([document, essay_document], Settings()) if path.endswith(".gmi")
             and path.count("/") == 1]
    names = [Path(path).name for path in pages if Path(path).name != "index.gmi"]
    assert len(names) == 2 and len(set(names)) == 2
    assert all(PAGE_NAME.match(name) for name in names), names


def test_atom_feed_has_the_required_elements(essay_capsule, essay_document):
    root = feed(essay_capsule)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}").text
    assert root.find(f"{ATOM}title").text == "gemlog"
    # No author in the source: the feed names the capsule, never an invented person (RFC 4287 4.1.1).
    assert root.find(f"{ATOM}author/{ATOM}name").text == "gemlog"
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == "./"  # the gemlog's one address
    (entry,) = root.findall(f"{ATOM}entry")
    for name in ("id", "title", "updated"):
        assert entry.find(f"{ATOM}{name}").text
    assert entry.find(f"{ATOM}updated").text == "2024-07-31T00:00:00Z" == root.find(f"{ATOM}updated").text
    assert datetime.fromisoformat(entry.find(f"{ATOM}updated").text) == essay_document.modified
    link = entry.find(f"{ATOM}link")
    assert link.get("rel") == "alternate" and link.get("href") == "2024-07-31-my-thoughts-on-generated-images.gmi"
    assert entry.find(f"{ATOM}id").text.startswith("urn:uuid:")


def test_atom_links_are_absolute_with_a_base_url_and_ids_do_not_change(essay_document, essay_capsule):
    root = feed(render_site([essay_document], Settings(gemini_base_url="gemini://example.org/~me")))
    entry = root.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link").get("href") == (
        "gemini://example.org/~me/gemlog/2024-07-31-my-thoughts-on-generated-images.gmi")
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "gemini://example.org/~me/gemlog/atom.xml"
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == "gemini://example.org/~me/gemlog/"
    relative = feed(essay_capsule)
    assert entry.find(f"{ATOM}id").text == relative.find(f"{ATOM}entry/{ATOM}id").text
    assert root.find(f"{ATOM}id").text == relative.find(f"{ATOM}id").text
    assert render_site([essay_document], Settings()) == essay_capsule  # no clock, no randomness


def test_atom_authors_come_from_the_source_when_given(tmp_path):
    document = document_from_text(tmp_path, "---\ntitle: t\nauthor: [Ada L., bo]\ndate: 2024-01-01\n---\n\nx\n")
    root = feed(render_site([document], Settings()))
    assert root.find(f"{ATOM}author") is None  # every entry has its own
    assert [n.text for n in root.findall(f"{ATOM}entry/{ATOM}author/{ATOM}name")] == ["Ada L.", "bo"]


def test_images_are_copied_beside_the_page():
    files = render_site([read_fixture("table-image.md")], Settings())
    assert files["gemlog/images/pixel.png"] == (FIXTURES / "pixel.png").read_bytes()
    page = next(text(files, path) for path in files if path.endswith("-a-table-and-an-image.gmi"))
    assert "=> images/pixel.png a small brown square, generated" in page.splitlines()


def test_two_different_images_with_one_name_both_survive(tmp_path):
    documents = []
    for folder, data in (("one", b"\x89PNG first"), ("two", b"\x89PNG second")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "pixel.png").write_bytes(data)
        documents.append(document_from_text(tmp_path / folder, f"---\ntitle: {folder}\ndate: 2024-01-01\n---\n\n"
                                            "![alt](pixel.png)\n"))
    files = render_site(documents, Settings())
    for folder, data in (("one", b"\x89PNG first"), ("two", b"\x89PNG second")):
        page = text(files, f"gemlog/2024-01-01-{folder}.gmi")
        (link,) = re.findall(r"^=> (\S+) alt$", page, re.M)
        assert files[f"gemlog/{link}"] == data


def test_labels_the_tool_adds_are_lowercase(essay_capsule):
    for path in ("index.gmi", "gemlog/index.gmi"):
        for line in text(essay_capsule, path).splitlines():
            assert line == line.lower(), line
    page = text(essay_capsule, "gemlog/2024-07-31-my-thoughts-on-generated-images.gmi")
    assert page.splitlines()[-2:] == ["=> ./ gemlog", "=> ../ home"]  # the gemlog at its one address


def test_languages_are_recorded_for_the_server(essay_capsule, tmp_path):
    meta = text(essay_capsule, "gemlog/.meta").splitlines()
    assert "2024-07-31-my-thoughts-on-generated-images.gmi: ;lang=en" in meta and "index.gmi: ;lang=en" in meta
    odd = document_from_text(tmp_path, "---\ntitle: t\nlang: en\n---\n\nx\n")
    odd = replace(odd, meta=replace(odd.meta, lang="en; charset=latin1"))  # the reader refuses it; so must the writer
    files = render_site([odd], Settings())
    assert "gemlog/.meta" not in files and b"latin1" not in files["gemlog/atom.xml"]


def test_build_writes_the_capsule_with_every_other_edition_beside_the_page(tmp_path):
    result = run_chapbook("build", "-q", "-f", "gemini", "-o", str(tmp_path), str(ESSAY))
    assert result.returncode == 0, result.stderr
    page = tmp_path / "gemini" / "gemlog" / "2024-07-31-my-thoughts-on-generated-images.gmi"
    assert page.read_bytes().startswith(b"# my thoughts on generated images\n")
    assert (tmp_path / "gemini" / "gemlog" / "atom.xml").is_file() and (tmp_path / "gemini" / "index.gmi").is_file()
    links = [line for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("=> essay.")]
    labels = {"epub": "ebook", "pdf": "printable book", "txt": "plain text"}
    expected = []
    for suffix, label in labels.items():
        copy, built = tmp_path / "gemini" / "gemlog" / f"essay.{suffix}", tmp_path / f"essay.{suffix}"
        assert copy.read_bytes() == built.read_bytes()
        expected.append(f"=> essay.{suffix} {label} ({suffix}, {human_size(built.stat().st_size)})")
    assert links == expected  # lowercase labels, measured sizes: "=> essay.epub ebook (epub, 27 kB)"
    findings = check_capsule([read_fixture(str(ESSAY))], tmp_path / "gemini")
    assert findings and [str(f) for f in findings if f.status != "ok"] == []  # links resolve, one #, the voice
    assert {f.check for f in findings} >= {"links to the other editions", "relative links resolve inside the capsule",
                                           "the title is the only # heading (sections ##, subsections ###)"}
