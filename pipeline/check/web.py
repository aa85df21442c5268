"""Judging the web edition as a validator and a browser see it.

The Nu HTML Checker on every page and the stylesheet; then each page in headless Chromium
(pipeline/check/browser.py): axe-core in the light and dark schemes, the layout at phone to desktop widths
(no sideways scrolling, no overlapping text, sidenotes beside or after their text), no script and no
request to another host, and the voice check on the page's `innerText` with list depths from the DOM.
Links inside the site and the Atom feed are read back too.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.check import browser, readback
from pipeline.check.findings import Finding
from pipeline.check.validators import Skipped, nu_messages, nu_problems
from pipeline.check.voice import voice_findings, words
from pipeline.document import Document
from pipeline.files.paths import is_inside
from pipeline.words.measure import SIZE_UNITS
from pipeline.writers.web.site import FEED, plan_pages

WIDTHS = (320, 390, 768, 1280)
DARK_RULES = ("color-contrast", "link-in-text-block")
WIDE = 1280  # sidenotes sit in the margin at this width, and after their text at the others
# Blocks of text that must never cover each other.
TEXT_BLOCKS = "main p, main li, main h1, main h2, main h3, main h4, main pre, main table, main figure, aside, .sidenote"
_SCRIPTING_JS = """() => document.scripts.length + Array.from(document.querySelectorAll('*')).filter(element =>
  Array.from(element.attributes).some(a => a.name.startsWith('on') || /^\\s*javascript:/i.test(a.value))).length"""
_SIDENOTES_JS = """() => Array.from(document.querySelectorAll('div.noted'), noted => {
  const text = noted.firstElementChild.getBoundingClientRect();
  return Array.from(noted.querySelectorAll(':scope > .sidenotes > .sidenote'), note => {
    const box = note.getBoundingClientRect();
    return [note.id, text.left, text.right, text.top, text.bottom, box.left, box.right, box.top, box.bottom,
            noted.matches(':is(td, th, div.sidenote) div.noted')];
  });
}).flat()"""


class _Links(HTMLParser):
    """Every href and src in a page, and the src of each image apart."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.targets += [value for name, value in attrs if name in ("href", "src") and value]
        if tag == "img":
            self.images += [value for name, value in attrs if name == "src" and value]


def _image_finding(page: Path, site: Path, document: Document) -> Finding:
    """Every image of the source is a file the page shows, byte for byte: none missing, none merged into
    another (two names that flatten alike once made one file, and the page showed one picture twice)."""
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    shown = set()
    for source in parser.images:
        parts = urlsplit(source)
        resolved = page.parent / unquote(parts.path)
        if not (parts.scheme or parts.netloc) and is_inside(resolved, site) and resolved.is_file():
            shown.add(resolved.read_bytes())
    missing = [resource.url for resource in document.resources if resource.path.read_bytes() not in shown]
    return Finding("fail" if missing else "ok", str(page), "every image of the source shown, none merged",
                   ", ".join(missing[:5]) + (" not shown" if missing else ""))


def _broken_links(page: Path, site: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    broken = []
    for target in parser.targets:
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not parts.path:
            continue  # links out of the site, and anchors within the page
        resolved = page.parent / unquote(parts.path)
        if not is_inside(resolved, site) or not resolved.is_file():
            broken.append(target)
    return broken


def _feed_finding(site: Path, pages: list[Path]) -> Finding:
    label = str(site / FEED)
    try:
        feed = ET.parse(site / FEED).getroot()
    except (OSError, ET.ParseError) as error:
        return Finding("fail", label, "Atom feed", str(error))
    atom = "{http://www.w3.org/2005/Atom}"
    entries = feed.findall(f"{atom}entry")
    links = [entry.find(f"{atom}link").get("href", "") for entry in entries if entry.find(f"{atom}link") is not None]
    names = {page.name for page in pages}
    unknown = [link for link in links if link.rsplit("/", 1)[-1] not in names]
    ok = feed.tag == f"{atom}feed" and len(entries) == len(names) and not unknown
    return Finding("ok" if ok else "fail", label, "Atom feed: an entry per page, linking it",
                   f"{len(entries)} entries" + (f"; unknown links {', '.join(unknown[:3])}" if unknown else ""))


def _nu_findings(site: Path, pages: list[Path]) -> list[Finding]:
    # The pages only: the stylesheet is chapbook's own file, and a second Java run would double the time.
    messages = nu_messages(pages)
    if isinstance(messages, Skipped):
        return [Finding("skipped", str(site), "Nu HTML Checker", str(messages))]
    findings = []
    for path in pages:
        problems = [m for m in nu_problems(messages) if Path(m.path).resolve() == path.resolve()]
        errors = sum(1 for m in problems if m.severity == "error")
        findings.append(Finding("fail" if problems else "ok", str(path), "Nu HTML Checker",
                                f"{errors} errors, {len(problems) - errors} warnings"
                                + (f"; first: line {problems[0].line}: {problems[0].message}" if problems else "")))
    return findings


def _sidenote_problems(view: browser.PageView) -> list[str]:
    """Sidenotes that are not in the margin beside their text (wide screens) or right after it (narrow ones)."""
    problems, first_of = [], set()
    for name, left, right, top, bottom, note_left, note_right, note_top, _bottom, in_cell in view.evaluate(
            _SIDENOTES_JS):
        # Notes called in a table cell or in another note stay after their text at every width (web.css):
        # a cell has no margin of its own.
        if view.width >= WIDE and not in_cell:
            # The first note of a block starts beside its text; the others follow it down the margin.
            starts_beside = note_top < bottom or (left, top) in first_of
            first_of.add((left, top))
            if note_left < right - 0.5 or not starts_beside:
                problems.append(f"{name} is not beside its text at {view.width} px")
        elif not (note_top >= bottom - 0.5 and note_left >= left - 0.5 and note_right <= view.width + 0.5):
            problems.append(f"{name} is not after its text at {view.width} px")
    return problems


def _layout_problems(view: browser.PageView) -> list[str]:
    problems = []
    if view.scroll_width() > view.width:
        problems.append(f"scrolls sideways at {view.width} px ({', '.join(view.wider_than_viewport()[:2])})")
    problems += [f"{a} overlaps {b} at {view.width} px" for a, b in view.overlapping(TEXT_BLOCKS)[:2]]
    return problems + _sidenote_problems(view)


def _page_findings(chromium: browser.Browser, page: Path, site: Path, document: Document | None) -> list[Finding]:
    """One page opened once: axe in both schemes, then the layout at every width, text and requests."""
    label = str(page)
    with chromium.open(page, WIDE, root=site) as view:
        violations = [f"light: {violation}" for violation in view.axe()]
        view.set_scheme("dark")
        # Only colours change with the scheme: in the dark, axe's default colour rules (contrast, links
        # told apart from text) are the ones whose answer can differ, and running only them halves the time.
        violations += [f"dark: {violation}" for violation in view.axe(rules=DARK_RULES)]
        view.set_scheme("light")
        scripting = view.evaluate(_SCRIPTING_JS)
        chrome = " ".join(view.inner_text(part) for part in ("body > header", "body > footer") if view.boxes(part))
        reading = readback.Reading(view.inner_text("main"), view.list_items("article", "nav, .sidenotes"),
                                   math="mathml")
        layout = []
        for width in sorted(WIDTHS, reverse=True):
            view.set_width(width)
            layout += _layout_problems(view)
        refused = list(view.refused)
    findings = [Finding("fail" if violations else "ok", label, "axe-core, light and dark schemes",
                        "; ".join(violations[:3]) if violations else "0 violations"),
                Finding("fail" if layout else "ok", label, f"layout at {', '.join(map(str, WIDTHS))} px",
                        "; ".join(layout[:3]) if layout else "no sideways scrolling, no overlaps, sidenotes placed"),
                Finding("fail" if refused or scripting else "ok", label, "no script, no request to another host",
                        ", ".join(refused[:3]) or (f"{scripting} scripts or handlers" if scripting else ""))]
    capitals = sorted({word for word in words(chrome) if word != word.lower() and word not in SIZE_UNITS})
    findings.append(Finding("fail" if capitals else "ok", label, "the site's own labels in lowercase",
                            ", ".join(capitals[:5])))
    return findings + (voice_findings(document, reading, label) if document is not None else [])


def check_site(documents: list[Document], site: Path, chromium: browser.Browser | None = None) -> list[Finding]:
    """Findings for the web edition in `site` (OUTDIR/web): Nu, axe, layout, links, feed, the voice.

    The pages are opened in `chromium` when given (Playwright runs one browser per thread), else in a
    browser started for the check.
    """
    if not site.is_dir():
        return []
    pages = sorted(site.glob("*.html"))
    findings = _nu_findings(site, pages)
    for page in pages:
        broken = _broken_links(page, site)
        findings.append(Finding("fail" if broken else "ok", str(page), "links resolve inside the site",
                                ", ".join(broken[:5])))
    findings.append(_feed_finding(site, [page for page in pages if page.name != "index.html"]))
    by_name = {page.name: page.document for page in plan_pages(documents)}
    findings += [_image_finding(page, site, by_name[page.name]) for page in pages
                 if by_name.get(page.name) is not None and by_name[page.name].resources]
    install = browser.missing(axe=True)
    if install:
        return [*findings, Finding("skipped", str(site), "browser checks (axe-core, layout, voice)",
                                   f"install it: {install}")]
    if chromium is not None:
        return findings + [f for page in pages for f in _page_findings(chromium, page, site, by_name.get(page.name))]
    with browser.open_browser() as started:
        return findings + [f for page in pages for f in _page_findings(started, page, site, by_name.get(page.name))]
