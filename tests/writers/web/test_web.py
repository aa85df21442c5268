"""The web edition: the site `chapbook build -f html` writes, read back by the Nu HTML Checker, axe-core in
headless Chromium, the browser's own layout and text, an XML parser and an HTML parser.

One build of the essay and every fixture, and one `chapbook check` over its site, serve every test here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ESSAY, FIXTURE_SOURCES, FIXTURES, ROOT, document_from_text, read_fixture, run_chapbook

from pipeline.check import browser
from pipeline.settings import Settings
from pipeline.writers.web.site import POLICY, plan_pages, render_site

SOURCES = [ESSAY, *FIXTURE_SOURCES]
ESSAY_PAGE = "2024-07-31-my-thoughts-on-generated-images.html"
needs_browser = pytest.mark.skipif(browser.missing(axe=True) is not None,
                                   reason=f"install: {browser.missing(axe=True)}")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The essay and every fixture built with `-f html -f gemini`; the web site checked by `chapbook check`."""
    outdir = tmp_path_factory.mktemp("web-build")
    result = run_chapbook("build", *map(str, SOURCES), "-o", str(outdir), "-f", "html", "-f", "gemini", "-q")
    assert result.returncode == 0, result.stderr
    only_web = tmp_path_factory.mktemp("web-only")
    shutil.copytree(outdir / "web", only_web / "web")
    check = run_chapbook("check", str(only_web), *(f"-s{source}" for source in SOURCES), "--json")
    return outdir, json.loads(check.stdout)["findings"], check


class _Head(HTMLParser):
    """The parts of a page a browser, a feed reader or a link preview reads from its markup."""

    def __init__(self) -> None:
        super().__init__()
        self.lang, self.title, self.meta, self.links, self.tags = "", "", {}, [], []
        self._in_title = False

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "html":
            self.lang = attributes.get("lang", "")
        self._in_title = tag == "title"
        if tag == "meta":
            key = attributes.get("property") or attributes.get("name") or attributes.get("http-equiv")
            self.meta[key] = attributes.get("content")
        if tag == "link":
            self.links.append(attributes)

    def handle_data(self, data) -> None:
        if self._in_title:
            self.title += data

    def handle_endtag(self, tag) -> None:
        self._in_title = False


def parsed(path: Path) -> _Head:
    head = _Head()
    head.feed(path.read_text(encoding="utf-8"))
    return head


def page_of(fixture: str) -> str:
    """The page name a fixture gets (dated by its file when it has no date of its own)."""
    return plan_pages([read_fixture(fixture)])[0].name


def findings_for(findings: list[dict], check: str) -> list[dict]:
    return [finding for finding in findings if finding["check"].startswith(check)]


# what chapbook check says, per kind of check ----------------------------------------------------------

def test_check_runs_on_the_site_and_everything_passes(built):
    _outdir, findings, check = built
    assert check.returncode == 0, [f for f in findings if f["status"] != "ok"]
    assert all(finding["status"] == "ok" for finding in findings)


def test_the_nu_checker_finds_no_error_and_no_warning_on_any_page(built):
    outdir, findings, _check = built
    nu = findings_for(findings, "Nu HTML Checker")
    assert {Path(f["path"]).name for f in nu} >= {p.name for p in (outdir / "web").glob("*.html")}
    assert all(f["status"] == "ok" and f["detail"].startswith("0 errors, 0 warnings") for f in nu)


@needs_browser
def test_axe_finds_no_violation_in_light_or_dark_on_any_page(built):
    outdir, findings, _check = built
    axe = findings_for(findings, "axe-core, light and dark")
    assert len(axe) == len(list((outdir / "web").glob("*.html"))) == len(SOURCES) + 1
    assert all(f["status"] == "ok" and f["detail"] == "0 violations" for f in axe)


@needs_browser
def test_no_page_scrolls_sideways_or_overlaps_at_any_width(built):
    _outdir, findings, _check = built
    layout = findings_for(findings, "layout at 320, 390, 768, 1280 px")
    assert len(layout) == len(SOURCES) + 1 and all(f["status"] == "ok" for f in layout)


@needs_browser
def test_the_voice_survives_the_browser(built):
    _outdir, findings, _check = built
    for check in ("every word of the source, in its case", "no capital the source does not have",
                  "every disclaimer verbatim", "every list item at its depth"):
        results = findings_for(findings, check)
        assert len(results) == len(SOURCES), check
        assert all(f["status"] == "ok" for f in results), [f for f in results if f["status"] != "ok"]


# the site's files ---------------------------------------------------------------------------------------

def test_pages_are_named_like_the_capsule_and_listed_newest_first(built):
    outdir, _findings, _check = built
    web = sorted(p.stem for p in (outdir / "web").glob("*.html") if p.name != "index.html")
    capsule = sorted(p.stem for p in (outdir / "gemini" / "gemlog").glob("*.gmi") if p.name != "index.gmi")
    assert web == capsule and ESSAY_PAGE.removesuffix(".html") in web
    home = (outdir / "web" / "index.html").read_text(encoding="utf-8")
    linked = [name for name in re.findall(r'<a href="([^"]+\.html)">', home) if name != "index.html"]
    assert sorted(linked) == sorted(f"{stem}.html" for stem in web)
    dates = [name[:10] for name in linked]
    assert dates == sorted(dates, reverse=True)


def test_each_page_is_html5_in_its_language_with_its_title_feed_and_preview(built):
    outdir, _findings, _check = built
    for page in plan_pages([read_fixture(str(source)) for source in SOURCES]):
        head = parsed(outdir / "web" / page.name)
        text = (outdir / "web" / page.name).read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>\n")
        assert head.lang == page.document.meta.lang
        assert head.title == head.meta["og:title"] == page.title
        assert head.meta["og:type"] == "article" and head.meta["viewport"].startswith("width=device-width")
        assert {"rel": "alternate", "type": "application/atom+xml", "href": "atom.xml"}.items() <= \
            next(link for link in head.links if link.get("rel") == "alternate").items()
        assert head.meta["Content-Security-Policy"] == POLICY
        assert not any(tag == "script" or any(name.startswith("on") for name in attrs) for tag, attrs in head.tags)
        # every stylesheet and image is a file of the site: nothing comes from another host
        for tag, attrs in head.tags:
            address = attrs.get("src") or (attrs.get("href") if tag == "link" else None)
            assert address is None or "//" not in address, address


def test_the_page_shows_contents_disclaimers_as_notes_and_linked_asterisks(built):
    outdir, _findings, _check = built
    page = (outdir / "web" / ESSAY_PAGE).read_text(encoding="utf-8")
    contents = page[page.index('<nav class="contents"'):page.index("</nav>", page.index('<nav class="contents"'))]
    for heading in read_fixture(str(ESSAY)).outline():
        if heading.level <= 2:
            assert f'href="#{heading.identifier}"' in contents
    assert '<h2 id="chapbook_contents">contents</h2>' in contents
    assert re.search(r'<aside class="disclaimer disclaimer-disclaimer" role="note">\s*<p>\[disclaimer: ', page)
    assert '<a id="asterisk-ref-1" class="asterisk-ref" href="#asterisk-note-1">*generated</a>' in page
    assert '<a id="asterisk-ref-2" class="asterisk-ref" href="#asterisk-note-2">**images,</a>' in page
    assert '<a href="#asterisk-ref-1" class="backlink" role="doc-backlink"' in page
    assert re.search(r'id="asterisk-note-1"[^>]*>\s*<p>\* i tend to avoid', page)


def test_other_editions_are_beside_the_page_with_their_measured_sizes(built):
    outdir, _findings, _check = built
    page = (outdir / "web" / ESSAY_PAGE).read_text(encoding="utf-8")
    links = re.findall(r'<a href="([^"]+)" type="([^"]+)">([a-z ]+) \((epub|pdf|txt), ([0-9.]+) (kB|MB)\)</a>', page)
    assert [(label, kind) for _href, _type, label, kind, _size, _unit in links] == \
        [("ebook", "epub"), ("printable book", "pdf"), ("plain text", "txt")]
    for href, media_type, _label, kind, size, unit in links:
        beside = outdir / "web" / href
        assert beside.read_bytes() == (outdir / f"essay.{kind}").read_bytes()
        assert abs(float(size) * (1000 if unit == "kB" else 1_000_000) - beside.stat().st_size) <= \
            0.05 * beside.stat().st_size
        assert media_type == {"epub": "application/epub+zip", "pdf": "application/pdf", "txt": "text/plain"}[kind]


def test_local_images_are_copied_into_the_site(built):
    outdir, _findings, _check = built
    name = page_of("table-image.md")
    copy = outdir / "web" / "images" / name.removesuffix(".html") / "pixel.png"
    assert copy.read_bytes() == (FIXTURES / "pixel.png").read_bytes()
    assert [attrs["src"] for tag, attrs in parsed(outdir / "web" / name).tags if tag == "img"] == [
        f"images/{name.removesuffix('.html')}/pixel.png"]


def test_the_feed_is_atom_with_an_entry_per_page(built):
    outdir, _findings, _check = built
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(outdir / "web" / "atom.xml").getroot()
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == len(SOURCES)
    for entry in entries:
        link = entry.find(f"{atom}link")
        assert link.get("type") == "text/html" and (outdir / "web" / link.get("href")).is_file()


def test_with_a_base_url_the_feed_and_previews_use_absolute_addresses(tmp_path):
    document = read_fixture("table-image.md")
    files = render_site([document], Settings(web_base_url="https://example.org/essays"), {})
    page = plan_pages([document])[0].name
    feed = ET.fromstring(files["atom.xml"])
    atom = "{http://www.w3.org/2005/Atom}"
    assert feed.find(f"{atom}entry/{atom}link").get("href") == f"https://example.org/essays/{page}"
    (tmp_path / page).write_bytes(files[page])
    head = parsed(tmp_path / page)
    assert head.meta["og:url"] == f"https://example.org/essays/{page}"
    assert head.meta["og:image"] == f"https://example.org/essays/images/{page.removesuffix('.html')}/pixel.png"
    assert {"rel": "canonical", "href": f"https://example.org/essays/{page}"} in head.links


# in the browser -----------------------------------------------------------------------------------------

def test_sidenotes_sit_beside_their_paragraph_when_wide_and_after_it_when_narrow(built, chromium):
    outdir, _findings, _check = built
    page = outdir / "web" / page_of("footnotes.md")
    with chromium.open(page, 1280) as view:
        (paragraph,) = view.boxes("div.noted > p")
        first, second = view.boxes(".sidenote")
        assert first.x >= paragraph.right and second.x >= paragraph.right
        assert paragraph.y <= first.y < paragraph.bottom and second.y >= first.bottom
        view.set_width(390)
        (paragraph,) = view.boxes("div.noted > p")
        first, second = view.boxes(".sidenote")
        assert paragraph.bottom <= first.y < second.y and first.right <= 390
        assert view.inner_text("div.noted").index("later.") < view.inner_text("div.noted").index("the first note")


def test_six_list_levels_leave_room_to_read_on_a_320_px_phone(built, chromium):
    outdir, _findings, _check = built
    with chromium.open(outdir / "web" / page_of("nested-lists.md"), 320) as view:
        assert view.scroll_width() == 320
        sixth = [box for box in view.boxes("article li") if box.text == "level six"]
        assert sixth and sixth[0].width >= 160  # half the screen still holds the deepest item's text
        assert (6, "level six") in view.list_items("article", "nav")


def test_the_dark_scheme_changes_the_colours(built, chromium):
    outdir, _findings, _check = built
    colours = {}
    for scheme in browser.SCHEMES:
        with chromium.open(outdir / "web" / ESSAY_PAGE, 390, scheme=scheme) as view:
            colours[scheme] = view.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert colours["light"] != colours["dark"]
    light, dark = (sum(int(v) for v in re.findall(r"\d+", colours[s])[:3]) for s in browser.SCHEMES)
    assert dark < light


def test_printing_leaves_out_the_site_and_keeps_notes_with_their_text(built, chromium):
    outdir, _findings, _check = built
    with chromium.open(outdir / "web" / page_of("footnotes.md"), 1280) as view:
        view.page.emulate_media(media="print")
        assert view.boxes("body > header")[0].height == 0 and view.boxes("body > footer")[0].height == 0
        (paragraph,) = view.boxes("div.noted > p")
        assert view.boxes(".sidenote")[0].y >= paragraph.bottom


def test_raw_html_is_sanitised_and_the_page_asks_no_host_for_anything(tmp_path, chromium):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    port, connections = listener.getsockname()[1], []

    def accept() -> None:
        while listener.fileno() != -1:
            try:
                connections.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    document = document_from_text(tmp_path, f"""---
title: hostile
---

<script>fetch("http://127.0.0.1:{port}/js")</script>

<img src="http://127.0.0.1:{port}/img.png" alt="x">

<p onclick="alert(1)">a paragraph <a href="javascript:alert(1)">link</a></p>

<iframe src="http://127.0.0.1:{port}/frame"></iframe>

<link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">
""")
    site = tmp_path / "web"
    site.mkdir()
    for name, data in render_site([document], Settings(), {}).items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_bytes(data)
    page = site / plan_pages([document])[0].name
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "onclick" not in html and "javascript:" not in html and str(port) not in html
    try:
        with chromium.open(page, 390, root=site) as view:
            assert view.refused == []
            assert "a paragraph" in view.inner_text("main")
    finally:
        listener.close()
        thread.join()
    assert connections == []


def test_the_checker_catches_a_broken_page(built, tmp_path, chromium):
    """The checks can fail: a page spoilt five ways is reported five ways."""
    from pipeline.check.web import check_site

    outdir, _findings, _check = built
    site = tmp_path / "web"
    site.mkdir()
    for name in ("web.css", "atom.xml", page_of("nested-lists.md")):
        shutil.copy(outdir / "web" / name, site / name)
    page = site / page_of("nested-lists.md")
    text = page.read_text(encoding="utf-8")
    text = text.replace('<html lang="en">', "<html>").replace("level three", "Level three")
    text = text.replace("</article>", '<div id="twice"></div><div id="twice" style="width: 900px">wide</div>'
                        '<img src="https://cdn.example.com/x.png" alt="x"></article>')
    page.write_text(text, encoding="utf-8")
    failed = {f.check for f in check_site([read_fixture("nested-lists.md")], site, chromium)
              if f.status == "fail" and f.path == str(page)}
    assert {"Nu HTML Checker", "axe-core, light and dark schemes", "layout at 320, 390, 768, 1280 px",
            "no script, no request to another host", "no capital the source does not have"} <= failed


def test_serve_shows_the_site_over_http_on_loopback_beside_the_capsule(built, chromium, tmp_path):
    outdir, _findings, _check = built
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(probe.getsockname()[1])
    gemini_port, http_port = ports
    server = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", str(outdir), "--port", str(gemini_port),
                               "--http-port", str(http_port)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env=dict(os.environ, CHAPBOOK_STATE_DIR=str(tmp_path / "state")))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", gemini_port), timeout=1):
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        with chromium.open(f"http://127.0.0.1:{http_port}/{ESSAY_PAGE}", 390) as view:
            assert view.refused == []
            assert view.inner_text("h1") == "my thoughts on generated images"
            assert view.evaluate("getComputedStyle(document.body).margin") == "0px"  # web.css was served
        with chromium.open(f"http://127.0.0.1:{http_port}/", 390) as view:
            assert ESSAY_PAGE in view.evaluate("Array.from(document.links, link => link.href).join(' ')")
    finally:
        server.send_signal(signal.SIGINT)
        _out, errors = server.communicate(timeout=20)
    assert server.returncode == 0, errors
    assert f"at http://127.0.0.1:{http_port}/" in errors and f"gemini://127.0.0.1:{gemini_port}/" in errors
