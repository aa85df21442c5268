"""The web edition: a small site of HTML5 pages rendered by the shared XHTML renderer (writers/xhtml.py).

    web/index.html               home: the posts, newest first
    web/<date>-<slug>.html       one page per source (the capsule's names)
    web/<date>-<slug>.epub|pdf|txt  the other editions, beside the page that links them
    web/atom.xml                 the posts as an Atom feed (absolute links when web_base_url is set)
    web/web.css                  the stylesheet (styles/web.css); the reader's own fonts
    web/images/<date>-<slug>/…   copies of the images each page shows

No page has a script or asks another host for anything: the Content-Security-Policy each page carries
says so to the browser too. Footnotes become sidenotes, placed by the stylesheet alone.
"""

from __future__ import annotations

import json
from functools import partial
from html import escape
from pathlib import PurePosixPath

from pipeline.ast import Node, attr, map_blocks
from pipeline.document import Document, Heading
from pipeline.editions import edition
from pipeline.files.resources import STYLES
from pipeline.settings import Settings
from pipeline.words.langtag import language_or_empty
from pipeline.words.measure import human_size
from pipeline.writers.shared.atom import FeedEntry, render_atom, stable_id
from pipeline.writers.shared.posts import PageRender, Post, plan_posts, render_page_now
from pipeline.writers.shared.xhtml import HtmlOptions, render_blocks

STYLESHEET = "web.css"
FEED = "atom.xml"
# No script, no plug-in, no form, no <base>, said to the browser too. (A `default-src 'self'` here would be
# right on a web server but makes the Nu checker call the page's own stylesheet blocked when read as a
# file; `chapbook serve` sends the fuller policy as a header.)
POLICY = "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
# Labels the site adds, in the essay's own lowercase. Ids the site adds hold "_", which heading slugs never do.
LABELS = {"home": "home", "posts": "posts", "feed": "atom feed", "contents": "contents",
          "editions": "other editions"}


class Page(Post):
    """A post as the web edition files it: `<date>-<slug>.html`."""

    @property
    def name(self) -> str:
        return self.file(".html")


def plan_pages(documents: list[Document]) -> list[Page]:
    """Every document with its page, named as in the capsule, newest first."""
    return [Page(post.document, post.date, post.base) for post in plan_posts(documents)]


def site_title(pages: list[Page]) -> str:
    """The home page's and the feed's title: the one post's own title, or "posts"."""
    return pages[0].title if len(pages) == 1 else LABELS["posts"]


# sidenotes ----------------------------------------------------------------------------------------------

def _take_notes(value, notes: list[list[Node]], first: int):
    """`value` (inlines, at any depth) with each Note replaced by a numbered call; the notes go to `notes`."""
    if isinstance(value, list):
        return [_take_notes(item, notes, first) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get("t") == "Note":
        notes.append(value["c"])
        number = str(first + len(notes) - 1)
        return {"t": "Link", "c": [attr(f"snref_{number}", ["noteref"]), [{"t": "Str", "c": number}],
                                   [f"#sn_{number}", ""]]}
    return {"t": value["t"], "c": _take_notes(value["c"], notes, first)} if "c" in value else value


def _sidenote(number: int, blocks: list[Node]) -> Node:
    label = {"t": "Span", "c": [attr("", ["sidenote-number"]), [{"t": "Str", "c": str(number)}]]}
    if blocks and blocks[0].get("t") in ("Para", "Plain"):
        blocks = [{"t": blocks[0]["t"], "c": [label, {"t": "Space"}, *blocks[0]["c"]]}, *blocks[1:]]
    else:
        blocks = [{"t": "Para", "c": [label]}, *blocks]
    return {"t": "Div", "c": [attr(f"sn_{number}", ["sidenote"]), blocks]}


def with_sidenotes(blocks: list[Node]) -> list[Node]:
    """Each block that calls footnotes, followed by the notes themselves, both in a `div.noted`.

    The stylesheet shows the notes after their block on narrow screens and beside it, in the margin, on
    wide ones; either way they are read right after the text that calls them.
    """
    counter = [1]

    def change(block: Node) -> Node:
        if block.get("t") not in ("Para", "Plain", "Header", "LineBlock"):
            return block
        notes: list[list[Node]] = []
        changed = {"t": block["t"], "c": _take_notes(block["c"], notes, counter[0])}
        if not notes:
            return block
        text = {"t": "Div", "c": [attr("", ["noted-text"]), [changed]]} if block["t"] == "Plain" else changed
        sidenotes = [_sidenote(counter[0] + i, note) for i, note in enumerate(notes)]
        counter[0] += len(notes)
        return {"t": "Div", "c": [attr("", ["noted"]), [text, {"t": "Div", "c": [attr("", ["sidenotes"]),
                                                                                    sidenotes]}]]}

    return map_blocks(blocks, change)


def _deeper_headings(block: Node) -> Node:
    """Sections one level down: the page's title is its only h1."""
    if block.get("t") != "Header":
        return block
    level, attribute, inlines = block["c"]
    return {"t": "Header", "c": [min(level + 1, 6), attribute, inlines]}


# pages --------------------------------------------------------------------------------------------------

def _contents(outline: list[Heading]) -> str:
    """The table of contents: sections and their subsections, as nested ordered lists."""
    entries = [heading for heading in outline if heading.level <= 2 and heading.text.strip()]
    if not entries:
        return ""
    parts, open_sub = ["<ol>"], False
    for index, heading in enumerate(entries):
        link = f'<a href="#{escape(heading.identifier)}">{escape(" ".join(heading.text.split()))}</a>'
        if heading.level == 2 and index > 0:
            parts.append(("" if open_sub else "\n<ol>") + f"\n<li>{link}</li>")
            open_sub = True
            continue
        if open_sub:
            parts.append("\n</ol>")
            open_sub = False
        parts.append(("</li>" if index > 0 else "") + f"\n<li>{link}")
    parts.append(("\n</ol>" if open_sub else "") + "</li>\n</ol>")
    return (f'<nav class="contents" aria-labelledby="chapbook_contents">\n'
            f'<h2 id="chapbook_contents">{LABELS["contents"]}</h2>\n{"".join(parts)}\n</nav>')


def _head(title: str, lang: str, description: str, canonical: str, extra: list[tuple[str, str]],
          feed_title: str) -> str:
    meta = [f'<meta name="description" content="{escape(description)}">' if description else "",
            f'<link rel="canonical" href="{escape(canonical)}">' if canonical else "",
            *(f'<meta property="{name}" content="{escape(value)}">' for name, value in extra if value)]
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
            f"<title>{escape(title)}</title>\n"
            '<meta name="color-scheme" content="light dark">\n<meta name="generator" content="chapbook">\n'
            + "".join(line + "\n" for line in meta if line)
            + f'<link rel="stylesheet" href="{STYLESHEET}">\n'
            f'<link rel="alternate" type="application/atom+xml" href="{FEED}" title="{escape(feed_title)}">\n'
            "</head>\n")


def _site_header(body_class: str = "") -> str:
    opening = f'<body class="{body_class}">' if body_class else "<body>"
    return (f'{opening}\n<header>\n<nav aria-label="site">'
            f'<a href="index.html">{LABELS["home"]}</a> · <a href="{FEED}">{LABELS["feed"]}</a></nav>\n</header>\n')


def _editions(page: Page, companions: dict) -> str:
    links = []
    for companion in companions.values():
        other = edition(companion.edition)  # its label and media type, as the registry declares them
        name = page.base + PurePosixPath(companion.name).suffix
        links.append(f'<li><a href="{escape(name)}" type="{other.media_type}">{other.label} ({other.name}, '
                     f"{human_size(len(companion.data))})</a></li>")
    if not links:
        return ""
    return (f'<nav aria-labelledby="chapbook_editions">\n<h2 id="chapbook_editions">{LABELS["editions"]}</h2>\n'
            f"<ul>\n" + "\n".join(links) + "\n</ul>\n</nav>\n")


def render_page(page: Page, site: str, base_url: str, image_links: dict[str, str], companions: dict) -> str:
    """One post's HTML page: head, the article with its contents and sidenotes, the other editions."""
    document, meta = page.document, page.document.meta
    lang = language_or_empty(meta.lang) or "en"
    description = " ".join((meta.description or meta.subtitle).split())
    url = base_url + page.name if base_url else ""
    images = [image_links[resource.url] for resource in document.resources if resource.url in image_links]
    extra = [("og:type", "article"), ("og:title", page.title), ("og:description", description), ("og:url", url),
             ("og:site_name", site), ("og:image", base_url + images[0] if base_url and images else ""),
             ("article:published_time", page.date if meta.day() else ""),
             *(("article:author", name) for name in meta.authors)]
    options = HtmlOptions(image_src=lambda resource: image_links.get(resource.url, resource.name))
    blocks = with_sidenotes(map_blocks(document.blocks, _deeper_headings))
    rendered = render_blocks(blocks, document, options)
    day = meta.day()
    under_title = []
    for kind, text in meta.title_page():
        shown = escape(" ".join(text.split()))
        if kind == "date":
            shown = f'<time datetime="{day.isoformat()}">{shown}</time>' if day else shown
        under_title.append(f'<p class="{kind}">{shown}</p>')
    article = (f'<article>\n<header>\n<h1>{escape(page.title)}</h1>\n' + "\n".join(under_title)
               + "\n</header>\n" + _contents(document.outline()) + "\n" + rendered.body + "\n" + rendered.notes
               + "\n</article>\n")
    sidenotes = "with-sidenotes" if 'class="noted"' in rendered.body else ""
    return (_head(page.title, lang, description, url, extra, f"{site} ({LABELS['feed']})") + _site_header(sidenotes)
            + f'<main id="text">\n{article}</main>\n<footer>\n{_editions(page, companions)}'
            f'<p><a href="index.html">{LABELS["home"]}</a> · <a href="{FEED}">{LABELS["feed"]}</a></p>\n'
            "</footer>\n</body>\n</html>\n")


def render_home(pages: list[Page], base_url: str) -> str:
    """`index.html`: the site's title and every post, newest first, with its date and subtitle."""
    site = site_title(pages)
    languages = {language_or_empty(page.document.meta.lang) for page in pages}
    lang = languages.pop() if len(languages) == 1 and "" not in languages else "en"
    items = []
    for page in pages:
        summary = " ".join((page.document.meta.subtitle or page.document.meta.description).split())
        own_lang = language_or_empty(page.document.meta.lang)
        opening = f'<li lang="{own_lang}">' if own_lang and own_lang != lang else "<li>"
        items.append(f'{opening}<time datetime="{page.date}">{page.date}</time> '
                     f'<a href="{escape(page.name)}">{escape(page.title)}</a>'
                     + (f"<br>\n{escape(summary)}" if summary else "") + "</li>")
    extra = [("og:type", "website"), ("og:title", site), ("og:url", base_url), ("og:site_name", site)]
    return (_head(site, lang, "", base_url, extra, f"{site} ({LABELS['feed']})") + _site_header()
            + f'<main id="text">\n<h1>{escape(site)}</h1>\n<ul class="posts">\n' + "\n".join(items)
            + "\n</ul>\n</main>\n</body>\n</html>\n")


def render_feed(pages: list[Page], base_url: str) -> bytes:
    """`atom.xml`: the posts, with links absolute under `base_url` when it is set, else relative to the feed."""
    site = site_title(pages)
    entries = [FeedEntry(id=stable_id("entry", page.date, page.title), title=page.title,
                         updated=page.document.modified, link=base_url + page.name,
                         authors=page.document.meta.authors, lang=language_or_empty(page.document.meta.lang),
                         summary=page.document.meta.subtitle or page.document.meta.description)
               for page in pages]
    oldest = pages[-1]
    languages = {entry.lang for entry in entries}
    return render_atom(stable_id("web feed", site, oldest.date, oldest.title), site, base_url + "index.html",
                       base_url + FEED, entries, fallback_author=site,
                       lang=languages.pop() if len(languages) == 1 else "", link_type="text/html")


def _images(pages: list[Page]) -> tuple[dict[str, dict[str, str]], dict[str, bytes]]:
    """Per page, image URL -> its copy's path in the site; and the copies, by path.

    Each page's images get a folder named like the page, so two sources' images never collide.
    """
    links = {page.base: {resource.url: f"images/{page.base}/{PurePosixPath(resource.name).name}"
                         for resource in page.document.resources} for page in pages}
    copies = {links[page.base][resource.url]: resource.path.read_bytes()
              for page in pages for resource in page.document.resources}
    return links, copies


def render_site(documents: list[Document], settings: Settings, companions: dict | None = None,
                cached_page: PageRender = render_page_now) -> dict[str, bytes]:
    """Every file of the site, by path inside `web/`.

    Each post's page is asked of `cached_page` with what it shows besides its document (the build's page
    cache answers an unchanged one); the home page and the feed read only the documents' metadata.
    """
    pages = plan_pages(documents)
    if not pages:
        return {}
    companions = companions or {}
    base_url = settings.web_base_url.rstrip("/") + "/" if settings.web_base_url else ""
    site = site_title(pages)
    image_links, files = _images(pages)
    for page in pages:
        own = companions.get(page.document.source, {})
        shown = [site, base_url, page.base, page.date, image_links[page.base], _editions(page, own)]
        files[page.name] = cached_page(page.document, json.dumps(shown), partial(
            lambda *arguments: render_page(*arguments).encode("utf-8"), page, site, base_url, image_links[page.base],
            own))
        for companion in own.values():
            files[page.base + PurePosixPath(companion.name).suffix] = companion.data
    files["index.html"] = render_home(pages, base_url).encode("utf-8")
    files[FEED] = render_feed(pages, base_url)
    files[STYLESHEET] = (STYLES / STYLESHEET).read_bytes()
    return files
