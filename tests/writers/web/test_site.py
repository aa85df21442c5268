"""A site with a name and a gemlog readers can follow (issue 27, part 3), through the real command line.

One small gemlog of three dated posts is built with `-f web -f gemini` under a `[site]` table, and read
back as a browser, a feed reader and a Gemini client would: an HTML parser, an XML parser, the gemtext
subscription convention, headless Chromium for the contents box.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ESSAY, ROOT, run_chapbook

from pipeline.check import browser

ATOM = "{http://www.w3.org/2005/Atom}"
SITE = """[site]
title = "notes from the shed"
author = "ada"
description = "small things, written down"
web_base_url = "https://example.org/notes/"
gemini_base_url = "gemini://example.org/"
"""
POSTS = {
    "first.md": "---\ntitle: the first one\ndate: 2024-01-05\n---\n\n# only section\n\nthe oldest post's words.\n",
    "second.md": "---\ntitle: it's the middle\ndate: 2024-02-10\n---\n\n# it's here\n\nthe middle post.\n\n"
                 "# two\n\nmore.\n\n# three\n\n<script>alert(1)</script>\n\nraw html stays text.\n",
    "third.md": "---\ntitle: the newest\ndate: 2024-03-15\n---\n\nno sections at all, one sentence.\n",
}


class _Page(HTMLParser):
    """What a browser and a link preview take from a page: meta tags, links, ids, the title."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.meta, self.links, self.ids, self.anchors, self.title, self._in_title = {}, [], [], [], "", False
        self.feed(text)

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "meta":
            self.meta[attributes.get("property") or attributes.get("name") or ""] = attributes.get("content")
        if tag == "link":
            self.links.append(attributes)
        if tag == "a":
            self.anchors.append(attributes)
        self._in_title = tag == "title"

    def handle_data(self, data) -> None:
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag) -> None:
        self._in_title = False


def _build(folder: Path, *args: str):
    """`chapbook build` run in a project folder of its own, on this tree's pipeline."""
    return run_chapbook("build", *args, cwd=folder, env={"PYTHONPATH": str(ROOT)})


def _project(folder: Path, toml: str) -> Path:
    (folder / "source").mkdir(parents=True)
    for name, text in POSTS.items():
        (folder / "source" / name).write_text(text, encoding="utf-8")
    (folder / "chapbook.toml").write_text(toml, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def gemlog(tmp_path_factory):
    folder = _project(tmp_path_factory.mktemp("gemlog"), SITE)
    result = _build(folder, "-f", "web", "-f", "gemini", "-q")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no note: the settings are written the new way
    return folder / "build"


def _pages(out: Path) -> dict[str, Path]:
    return {path.name: path for path in sorted((out / "web").glob("2024-*.html"))}


def test_one_site_table_names_the_web_site_and_the_capsule(gemlog):
    home = _Page((gemlog / "web" / "index.html").read_text(encoding="utf-8"))
    assert home.title == "notes from the shed" and home.meta["og:site_name"] == "notes from the shed"
    assert home.meta["description"] == "small things, written down"
    for page in _pages(gemlog).values():
        assert _Page(page.read_text(encoding="utf-8")).meta["og:site_name"] == "notes from the shed"
    web_feed = ET.parse(gemlog / "web" / "atom.xml").getroot()
    assert web_feed.find(f"{ATOM}title").text == "notes from the shed"
    assert web_feed.find(f"{ATOM}subtitle").text == "small things, written down"
    assert [name.text for name in web_feed.findall(f"{ATOM}author/{ATOM}name")] == ["ada"]
    assert web_feed.find(f"{ATOM}link[@rel='self']").get("href") == "https://example.org/notes/atom.xml"
    capsule_home = (gemlog / "gemini" / "index.gmi").read_text(encoding="utf-8").splitlines()
    assert capsule_home[:4] == ["# notes from the shed", "", "small things, written down", "ada"]
    capsule_feed = ET.parse(gemlog / "gemini" / "gemlog" / "atom.xml").getroot()
    assert capsule_feed.find(f"{ATOM}title").text == "notes from the shed"
    assert [name.text for name in capsule_feed.findall(f"{ATOM}author/{ATOM}name")] == ["ada"]
    assert capsule_feed.find(f"{ATOM}link[@rel='self']").get("href") == "gemini://example.org/gemlog/atom.xml"


def test_the_gemlog_reads_as_a_feed_by_the_subscription_convention(gemlog):
    """companion/subscription.gmi: first `# ` the title, a `## ` right after it the subtitle, dated link entries."""
    lines = (gemlog / "gemini" / "gemlog" / "index.gmi").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# notes from the shed" and lines[1] == "## small things, written down"
    entries = [re.match(r"=>\s*(\S+)\s+(\d{4}-\d{2}-\d{2})\b\s*(.*)", line) for line in lines]
    dated = [(m.group(2), m.group(3)) for m in entries if m]
    assert dated == [("2024-03-15", "the newest"), ("2024-02-10", "it's the middle"), ("2024-01-05", "the first one")]


def test_each_post_links_the_posts_either_side_in_both_sites(gemlog):
    names = sorted(_pages(gemlog))  # oldest first
    assert len(names) == 3
    for index, name in enumerate(names):
        page = _Page((gemlog / "web" / name).read_text(encoding="utf-8"))
        rels = {anchor["rel"]: anchor["href"] for anchor in page.anchors if anchor.get("rel") in ("prev", "next")}
        expected = {**({"prev": names[index - 1]} if index > 0 else {}),
                    **({"next": names[index + 1]} if index + 1 < len(names) else {})}
        assert rels == expected, name
        capsule = (gemlog / "gemini" / "gemlog" / name.replace(".html", ".gmi")).read_text(encoding="utf-8")
        links = dict(re.findall(r"^=> (\S+) (previous|next): ", capsule, re.MULTILINE))
        assert {kind: target for target, kind in links.items()} == {
            {"prev": "previous"}.get(kind, kind): target.replace(".html", ".gmi") for kind, target in expected.items()}
        for target in links:
            assert (gemlog / "gemini" / "gemlog" / target).is_file()


def test_the_web_feed_carries_each_post_whole_as_its_page_shows_it(gemlog):
    root = ET.parse(gemlog / "web" / "atom.xml").getroot()
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 3
    for entry in entries:
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html"
        page_name = entry.find(f"{ATOM}link").get("href").rsplit("/", 1)[-1]
        page = (gemlog / "web" / page_name).read_text(encoding="utf-8")
        assert content.text.strip() and content.text in page  # the very markup the page shows, nothing else
    middle = next(e for e in entries if e.find(f"{ATOM}title").text == "it's the middle").find(f"{ATOM}content")
    # The author's raw HTML is dealt with as on the page (transforms/raw_html.py): no script reaches a reader.
    assert "<script" not in middle.text and "raw html stays text." in middle.text


def test_the_web_site_has_an_icon_drawn_like_the_cover_and_asks_no_one_else(gemlog):
    icon = gemlog / "web" / "favicon.svg"
    svg = ET.parse(icon).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    texts = [element.text for element in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["n"]  # the site title's first letter, as written
    assert not re.search(r"(?:href|src)=|url\(|https?://(?!www\.w3\.org/2000/svg)", icon.read_text(encoding="utf-8"))
    for page in [gemlog / "web" / "index.html", *_pages(gemlog).values()]:
        icons = [link for link in _Page(page.read_text(encoding="utf-8")).links if link.get("rel") == "icon"]
        assert icons == [{"rel": "icon", "href": "favicon.svg", "type": "image/svg+xml"}], page.name
    feed_icon = ET.parse(gemlog / "web" / "atom.xml").getroot().find(f"{ATOM}icon").text
    assert feed_icon == "https://example.org/notes/favicon.svg"


def test_a_contents_box_only_from_three_sections_and_as_a_details(gemlog):
    pages = {name: path.read_text(encoding="utf-8") for name, path in _pages(gemlog).items()}
    with_box = [name for name, text in pages.items() if 'class="contents"' in text]
    assert with_box == ["2024-02-10-its-the-middle.html"]  # three sections; one section and none get no box
    box = pages[with_box[0]]
    assert re.search(r'<nav class="contents"[^>]*>\s*<details>\s*<summary><h2 id="chapbook_contents">contents</h2>'
                     r"</summary>", box)


def test_slugs_and_anchors_come_from_one_function(gemlog):
    page = _Page((gemlog / "web" / "2024-02-10-its-the-middle.html").read_text(encoding="utf-8"))
    assert "its-here" in page.ids  # "it's here": the apostrophe dropped, as in the file name "its-the-middle"
    assert (gemlog / "gemini" / "gemlog" / "2024-02-10-its-the-middle.gmi").is_file()
    assert any(anchor.get("href") == "#its-here" for anchor in page.anchors)


def test_a_post_without_its_own_summary_is_described_by_the_site(gemlog):
    """A link preview or a search result shows `[site] description` for a post that says nothing of itself."""
    for name, path in _pages(gemlog).items():
        page = _Page(path.read_text(encoding="utf-8"))
        assert page.meta["description"] == page.meta["og:description"] == "small things, written down", name


def test_a_posts_own_summary_wins_and_a_new_site_description_reaches_every_page(tmp_path):
    folder = _project(tmp_path / "own", SITE)
    (folder / "source" / "third.md").write_text(POSTS["third.md"].replace(
        "date: 2024-03-15\n", "date: 2024-03-15\ndescription: one sentence about nothing\n"), encoding="utf-8")
    assert _build(folder, "-f", "web", "-q").returncode == 0
    described = {name: _Page(path.read_text(encoding="utf-8")).meta for name, path in _pages(folder / "build").items()}
    assert {name: (meta["description"], meta["og:description"]) for name, meta in described.items()} == {
        "2024-01-05-the-first-one.html": ("small things, written down",) * 2,
        "2024-02-10-its-the-middle.html": ("small things, written down",) * 2,
        "2024-03-15-the-newest.html": ("one sentence about nothing",) * 2}
    # A rebuild after only chapbook.toml changed: the unchanged posts' pages are not served stale from the cache.
    (folder / "chapbook.toml").write_text(SITE.replace("small things, written down", "the shed, again"))
    assert _build(folder, "-f", "web", "-q").returncode == 0
    pages = _pages(folder / "build")
    assert _Page(pages["2024-01-05-the-first-one.html"].read_text(encoding="utf-8")).meta["description"] == \
        "the shed, again"
    assert _Page((folder / "build" / "web" / "index.html").read_text(encoding="utf-8")).meta["og:description"] == \
        "the shed, again"


def test_the_old_capsule_keys_still_work_with_a_note_and_both_at_once_are_refused(tmp_path):
    folder = _project(tmp_path / "old", 'capsule_title = "the old name"\ncapsule_author = "bea"\n')
    result = _build(folder, "-f", "gemini", "-f", "web")
    assert result.returncode == 0, result.stderr
    assert (folder / "build" / "gemini" / "index.gmi").read_text(encoding="utf-8").startswith("# the old name\n")
    assert _Page((folder / "build" / "web" / "index.html").read_text(encoding="utf-8")).title == "the old name"
    # Once each, though the build reads chapbook.toml more than once.
    notes = [line for line in result.stderr.splitlines() if "chapbook.toml" in line]
    assert len(notes) == 2 and all(line.startswith("warning: ") and "[site] table" in line and "chapbook.toml:"
                                   in line for line in notes), notes
    assert "capsule_title still works; it is now title = … in the [site] table" in notes[0]
    both = _project(tmp_path / "both", 'capsule_title = "old"\n\n[site]\ntitle = "new"\n')
    result = _build(both, "-f", "gemini", "-q")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "chapbook.toml:4:" in result.stderr and "keep [site] title" in result.stderr
    unknown = _project(tmp_path / "unknown", '[site]\nname = "x"\n')
    result = _build(unknown, "-f", "gemini", "-q")
    assert result.returncode == 1 and "chapbook.toml:2: unknown setting 'site.name'" in result.stderr


@pytest.mark.skipif(browser.missing() is not None, reason=f"install: {browser.missing()}")
def test_the_essays_first_words_are_on_a_phones_first_screen_and_its_contents_open_on_a_wide_one(tmp_path):
    result = run_chapbook("build", str(ESSAY), "-o", str(tmp_path), "-f", "web", "-q")
    assert result.returncode == 0, result.stderr
    page = next((tmp_path / "web").glob("2024-*.html"))
    with browser.open_browser() as running:
        with running.open(page, width=320, height=640) as phone:
            first = phone.evaluate("() => document.querySelector('main article > p, main article > div')"
                                   ".getBoundingClientRect().top")
            assert first < 640  # before: the contents box filled 1.5 screens
            assert phone.boxes("nav.contents li") == [] or all(b.width == 0 for b in phone.boxes("nav.contents li"))
        with running.open(page, width=1280) as wide:
            assert len([b for b in wide.boxes("nav.contents li") if b.width > 0]) > 10  # every section listed
