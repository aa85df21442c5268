"""The web edition: a small site of HTML5 pages rendered by the shared XHTML renderer (writers/xhtml.py).

    web/index.html               home: the posts, newest first
    web/<date>-<slug>.html       one page per source (the capsule's names)
    web/<date>-<slug>.epub|pdf|txt  the other editions, beside the page that links them
    web/atom.xml                 the posts as an Atom feed (absolute links when web_base_url is set)
    web/web.css                  the stylesheet (styles/web.css); the reader's own fonts
    web/favicon.svg              the site's icon, drawn like the cover (writers/shared/cover.py)
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
from pipeline.editions import COLLECTION, Companion, edition
from pipeline.files.resources import STYLES
from pipeline.settings import Settings
from pipeline.words.langtag import language_or_empty
from pipeline.words.measure import human_size
from pipeline.writers.shared.atom import FeedEntry, render_atom, stable_id
from pipeline.writers.shared.cover import cover_icon
from pipeline.writers.shared.list_markers import bullet_rules
from pipeline.writers.shared.posts import PageRender, Post, one_line, plan_posts, render_page_now
from pipeline.writers.shared.xhtml import HtmlOptions, render_blocks

STYLESHEET = "web.css"
FEED = "atom.xml"
ICON = "favicon.svg"
# A post with fewer sections than this has no contents box: it would only repeat the headings in view.
CONTENTS_FROM = 3
# No script, no plug-in, no form, no <base>, said to the browser too. (A `default-src 'self'` here would be
# right on a web server but makes the Nu checker call the page's own stylesheet blocked when read as a
# file; `chapbook serve` sends the fuller policy as a header.)
POLICY = "script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
# Labels the site adds, in the essay's own lowercase. Ids the site adds hold "_", which heading slugs never do.
LABELS = {"home": "home", "posts": "posts", "feed": "atom feed", "contents": "contents",
          "editions": "other editions", "previous": "previous", "next": "next", "sequence": "more posts",
          "collection": "every post in one book"}


class Page(Post):
    """A post as the web edition files it: `<date>-<slug>.html`."""

    @property
    def name(self) -> str:
        return self.file(".html")


def plan_pages(documents: list[Document]) -> list[Page]:
    """Every document with its page, named as in the capsule, newest first."""
    return [Page(post.document, post.date, post.base) for post in plan_posts(documents)]


def site_title(pages: list[Page], settings: Settings) -> str:
    """The home page's and the feed's title, and og:site_name: `[site] title`, else the one post's title, or "posts"."""
    return one_line(settings.site_title) or (pages[0].title if len(pages) == 1 else LABELS["posts"])


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
    """The table of contents: sections and their subsections, as nested ordered lists; none under three sections.

    It is a `<details>`, closed: on a phone the text starts on the first screen, and the stylesheet
    shows the list open on wide screens (styles/web.css).
    """
    entries = [heading for heading in outline if heading.level <= 2 and heading.text.strip()]
    if sum(1 for heading in entries if heading.level == 1) < CONTENTS_FROM:
        return ""
    parts, open_sub = ["<ol>"], False
    for index, heading in enumerate(entries):
        link = f'<a href="#{escape(heading.identifier)}">{escape(one_line(heading.text))}</a>'
        if heading.level == 2 and index > 0:
            parts.append(("" if open_sub else "\n<ol>") + f"\n<li>{link}</li>")
            open_sub = True
            continue
        if open_sub:
            parts.append("\n</ol>")
            open_sub = False
        parts.append(("</li>" if index > 0 else "") + f"\n<li>{link}")
    parts.append(("\n</ol>" if open_sub else "") + "</li>\n</ol>")
    return (f'<nav class="contents" aria-labelledby="chapbook_contents">\n<details>\n'
            f'<summary><h2 id="chapbook_contents">{LABELS["contents"]}</h2></summary>\n{"".join(parts)}\n'
            "</details>\n</nav>")


def _neighbours(pages: list[Page], index: int) -> str:
    """Links to the posts either side by date (pages are newest first): `rel="prev"` older, `rel="next"` newer."""
    older = pages[index + 1] if index + 1 < len(pages) else None
    newer = pages[index - 1] if index > 0 else None
    links = [f'<a href="{escape(page.name)}" rel="{rel}">{LABELS[label]}: {escape(page.title)}</a>'
             for label, rel, page in (("previous", "prev", older), ("next", "next", newer)) if page is not None]
    if not links:
        return ""
    return f'<nav class="sequence" aria-label="{LABELS["sequence"]}">\n<p>' + " · ".join(links) + "</p>\n</nav>\n"


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
            + f'<link rel="stylesheet" href="{STYLESHEET}">\n<link rel="icon" href="{ICON}" type="image/svg+xml">\n'
            f'<link rel="alternate" type="application/atom+xml" href="{FEED}" title="{escape(feed_title)}">\n'
            "</head>\n")


def _site_header(body_class: str = "") -> str:
    opening = f'<body class="{body_class}">' if body_class else "<body>"
    return (f'{opening}\n<header>\n<nav aria-label="site">'
            f'<a href="index.html">{LABELS["home"]}</a> · <a href="{FEED}">{LABELS["feed"]}</a></nav>\n</header>\n')


def _edition_items(files: dict[str, Companion]) -> list[str]:
    """One list item per file, `file name -> companion`, labelled with its edition's label, name and size."""
    items = []
    for name, companion in files.items():
        other = edition(companion.edition)  # its label and media type, as the registry declares them
        items.append(f'<li><a href="{escape(name)}" type="{other.media_type}">{other.label} ({other.name}, '
                     f"{human_size(companion.size)})</a></li>")
    return items


def _editions(page: Page, companions: dict) -> str:
    links = _edition_items({page.base + PurePosixPath(c.name).suffix: c for c in companions.values()})
    if not links:
        return ""
    return (f'<nav aria-labelledby="chapbook_editions">\n<h2 id="chapbook_editions">{LABELS["editions"]}</h2>\n'
            f"<ul>\n" + "\n".join(links) + "\n</ul>\n</nav>\n")


def _article_body(page: Page, image_links: dict[str, str]) -> tuple[str, bool]:
    """The post's text as the page shows it (and the feed sends it): its blocks and sidenotes; whether it has any."""
    document = page.document
    options = HtmlOptions(image_src=lambda resource: image_links.get(resource.url, resource.name), math="mathml")
    blocks = with_sidenotes(map_blocks(document.blocks, _deeper_headings))
    rendered = render_blocks(blocks, document, options)
    return rendered.body + "\n" + rendered.notes, 'class="noted"' in rendered.body


def render_page(pages: list[Page], index: int, site: str, base_url: str, image_links: dict[str, str],
                companions: dict, article: tuple[str, bool] | None = None, site_description: str = "") -> str:
    """One post's HTML page: head, the article with its contents and sidenotes, the posts either side, the
    other editions. `article` is the post's `_article_body`, when the caller has it already.

    Its description (`<meta name="description">`, `og:description`) is the post's own (`description`, else
    `subtitle`), else `site_description`, as jekyll-seo-tag falls back to the site's (its drop.rb:
    `page["description"] || page["excerpt"]) || site_description`); no excerpt is cut from the text, so nothing
    the author did not write as a summary stands for one."""
    page = pages[index]
    document, meta = page.document, page.document.meta
    lang = language_or_empty(meta.lang) or "en"
    description = one_line(meta.description or meta.subtitle) or one_line(site_description)
    url = base_url + page.name if base_url else ""
    images = [image_links[resource.url] for resource in document.resources if resource.url in image_links]
    extra = [("og:type", "article"), ("og:title", page.title), ("og:description", description), ("og:url", url),
             ("og:site_name", site), ("og:image", base_url + images[0] if base_url and images else ""),
             ("article:published_time", page.date if meta.day() else ""),
             *(("article:author", name) for name in meta.authors)]
    body, noted = article or _article_body(page, image_links)
    day = meta.day()
    under_title = []
    for kind, text in meta.title_page():
        shown = escape(one_line(text))
        if kind == "date":
            shown = f'<time datetime="{day.isoformat()}">{shown}</time>' if day else shown
        under_title.append(f'<p class="{kind}">{shown}</p>')
    article = (f'<article>\n<header>\n<h1>{escape(page.title)}</h1>\n' + "\n".join(under_title)
               + "\n</header>\n" + _contents(document.outline()) + "\n" + body + "\n</article>\n")
    return (_head(page.title, lang, description, url, extra, f"{site} ({LABELS['feed']})")
            + _site_header("with-sidenotes" if noted else "")
            + f'<main id="text">\n{article}{_neighbours(pages, index)}</main>\n<footer>\n{_editions(page, companions)}'
            f'<p><a href="index.html">{LABELS["home"]}</a> · <a href="{FEED}">{LABELS["feed"]}</a></p>\n'
            "</footer>\n</body>\n</html>\n")


def render_home(pages: list[Page], base_url: str, settings: Settings, collection: dict | None = None) -> str:
    """`index.html`: the site's title (its description and author under it) and every post, newest first, with
    its date and subtitle."""
    site = site_title(pages, settings)
    description, author = one_line(settings.site_description), one_line(settings.site_author)
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
    extra = [("og:type", "website"), ("og:title", site), ("og:url", base_url), ("og:site_name", site),
             ("og:description", description)]
    about = "".join(f'<p class="{kind}">{escape(text)}</p>\n' for kind, text in (("subtitle", description),
                                                                                  ("author", author)) if text)
    return (_head(site, lang, description, base_url, extra, f"{site} ({LABELS['feed']})") + _site_header()
            + f'<main id="text">\n<h1>{escape(site)}</h1>\n{about}<ul class="posts">\n' + "\n".join(items)
            + "\n</ul>\n" + _collection(collection or {}) + "</main>\n</body>\n</html>\n")


def _collection(books: dict) -> str:
    """The home page's links to the collection's books (`--collect`), when they were made."""
    if not books:
        return ""
    return (f'<section aria-labelledby="chapbook_collection">\n<h2 id="chapbook_collection">{LABELS["collection"]}'
            "</h2>\n<ul>\n" + "\n".join(_edition_items({c.name: c for c in books.values()})) + "\n</ul>\n</section>\n")


def render_feed(pages: list[Page], base_url: str, settings: Settings, articles: dict[str, str]) -> bytes:
    """`atom.xml`: the posts, each with its whole text as its page shows it (`content type="html"`), links
    absolute under `base_url` when it is set, else relative to the feed (which sits beside the pages).
    `articles`: each page's article markup, by its base name."""
    site = site_title(pages, settings)
    entries = [FeedEntry(id=stable_id("entry", page.date, page.title), title=page.title,
                         updated=page.document.modified, link=base_url + page.name,
                         authors=page.document.meta.authors, lang=language_or_empty(page.document.meta.lang),
                         summary=page.document.meta.subtitle or page.document.meta.description,
                         content_html=articles[page.base])
               for page in pages]
    oldest = pages[-1]
    languages = {entry.lang for entry in entries}
    return render_atom(stable_id("web feed", site, oldest.date, oldest.title), site, base_url + "index.html",
                       base_url + FEED, entries, fallback_author=site, author=one_line(settings.site_author),
                       lang=languages.pop() if len(languages) == 1 else "", link_type="text/html",
                       subtitle=one_line(settings.site_description), icon=base_url + ICON)


def _images(pages: list[Page]) -> tuple[dict[str, dict[str, str]], dict[str, bytes]]:
    """Per page, image URL -> its copy's path in the site; and the copies, by path.

    Each page's images get a folder named like the page, so two sources' images never collide.
    """
    links = {page.base: {resource.url: f"images/{page.base}/{PurePosixPath(resource.name).name}"
                         for resource in page.document.resources} for page in pages}
    copies = {links[page.base][resource.url]: resource.path.read_bytes()
              for page in pages for resource in page.document.resources}
    return links, copies


def _page_bytes(*arguments) -> bytes:
    return render_page(*arguments).encode("utf-8")


def _cached_article(page: Page, image_links: dict[str, str], cached_page: PageRender) -> tuple[str, bool]:
    """The post's `_article_body`, asked of the page cache as a fragment of its own."""
    data = cached_page(page.document, json.dumps(["article", image_links]),
                       lambda: json.dumps(_article_body(page, image_links)).encode("utf-8"))
    body, noted = json.loads(data)
    return body, noted


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
    site = site_title(pages, settings)
    image_links, files = _images(pages)
    # Rendered once for the page and its feed entry, and kept by the page cache like a page.
    articles = {page.base: _cached_article(page, image_links[page.base], cached_page) for page in pages}
    for index, page in enumerate(pages):
        own = companions.get(page.document.source, {})
        # What the page shows besides its document: the page cache keys on it (the neighbours' titles too).
        shown = [site, base_url, page.base, page.date, image_links[page.base], _editions(page, own),
                 _neighbours(pages, index)]
        files[page.name] = cached_page(page.document, json.dumps(shown), partial(
            _page_bytes, pages, index, site, base_url, image_links[page.base], own, articles[page.base],
            settings.site_description))
        for companion in own.values():
            files[page.base + PurePosixPath(companion.name).suffix] = companion  # a copy of that file
    collection = companions.get(COLLECTION, {})
    files.update({companion.name: companion for companion in collection.values()})
    files["index.html"] = render_home(pages, base_url, settings, collection).encode("utf-8")
    files[FEED] = render_feed(pages, base_url, settings, {base: markup for base, (markup, _) in articles.items()})
    files[STYLESHEET] = (STYLES / STYLESHEET).read_bytes() + bullet_rules().encode("utf-8")
    files[ICON] = cover_icon(site)
    return files
