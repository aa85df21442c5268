"""The Gemini edition: a capsule laid out around gemtext pages (the lines come from writers/gemtext.py).

    gemini/index.gmi                 home: the capsule's name, links to the posts and the gemlog
    gemini/gemlog/index.gmi          the gemlog, in the subscription convention (companion/subscription.gmi)
    gemini/gemlog/<date>-<slug>.gmi  one page per source, ending with links to its other editions
    gemini/gemlog/<stem>.epub, .pdf, .txt   those editions (the registry's `uses`), copied beside it
    gemini/gemlog/atom.xml           the same posts as an Atom feed
    gemini/gemlog/images/…           copies of the images the pages link to
    gemini/.meta, gemini/gemlog/.meta  each page's language, as agate reads it (`index.gmi: ;lang=en`)
"""

from __future__ import annotations

import json
from functools import partial
from urllib.parse import quote

from pipeline.document import Document
from pipeline.editions import COLLECTION, edition
from pipeline.settings import Settings
from pipeline.words.langtag import language_or_empty
from pipeline.words.measure import human_size
from pipeline.writers.gemini.gemtext import render_gemtext, text_line
from pipeline.writers.shared.atom import FeedEntry, render_atom, stable_id
from pipeline.writers.shared.posts import PageRender, Post, one_line, plan_posts, render_page_now

GEMLOG = "gemlog"
FEED = f"{GEMLOG}/atom.xml"  # where the feed lives in the capsule (publish tells aggregators its address)
# Labels the tool adds, in the essay's own lowercase.
LABELS = {"gemlog": "gemlog", "feed": "atom feed", "home": "home", "previous": "previous", "next": "next",
          "collection": "every post in one book"}
PAGE = ".gmi"  # a post's page: gemlog/<date>-<slug>.gmi


def page_language(document: Document) -> str:
    """The document's language tag if it is a well-formed BCP 47 tag, else "" (so it cannot inject anything)."""
    return language_or_empty(document.meta.lang)


def capsule_title(settings: Settings) -> str:
    """The capsule's own name (home, gemlog and feed title): `[site] title`, else "gemlog", never a post's title."""
    return one_line(settings.site_title) or LABELS["gemlog"]


def neighbour_links(posts: list[Post], index: int) -> list[str]:
    """`=> older.gmi previous: title`, `=> newer.gmi next: title`: the posts either side by date (newest first)."""
    older = posts[index + 1] if index + 1 < len(posts) else None
    newer = posts[index - 1] if index > 0 else None
    return [f"=> {post.file(PAGE)} {LABELS[label]}: {post.date} {post.title}"
            for label, post in (("previous", older), ("next", newer)) if post is not None]


def edition_links(companions: dict, folder: str = "") -> list[str]:
    """`=> essay.epub ebook (epub, 27 kB)`: one link line per other edition of a post, copied beside it
    (or into `folder`, seen from the home page)."""
    return [f"=> {folder}{c.name} {edition(c.edition).label} ({c.edition}, {human_size(c.size)})"
            for c in companions.values()]


def _image_files(posts: list[Post]) -> tuple[dict[str, dict[str, str]], dict[str, bytes]]:
    """Per page, image URL -> link beside the page; and the files to copy, by path under gemlog/."""
    links: dict[str, dict[str, str]] = {}
    files: dict[str, bytes] = {}
    for post in posts:
        links[post.file(PAGE)] = {}
        for resource in post.document.resources:
            data = resource.path.read_bytes()
            name = resource.name
            if files.get(name, data) != data:  # two sources, two different images of the same name
                folder, _, file_name = name.rpartition("/")
                name = f"{folder}/{post.base}-{file_name}"
            files[name] = data
            links[post.file(PAGE)][resource.url] = quote(name)  # a file name may hold #, ? or %
    return links, files


def _shared_language(posts: list[Post]) -> str:
    languages = {page_language(post.document) for post in posts}
    return languages.pop() if len(languages) == 1 else ""


def _meta_file(languages: dict[str, str]) -> bytes:
    lines = [f"{name}: ;lang={lang}" for name, lang in sorted(languages.items()) if lang]
    return ("\n".join(lines) + "\n").encode("utf-8")


def render_home(posts: list[Post], settings: Settings, collection: dict | None = None) -> str:
    """`gemini/index.gmi`: the capsule's name (and author when given), a link per post, the gemlog and its feed,
    and the collection's books when they were made (`--collect`)."""
    lines = ["# " + capsule_title(settings), ""]
    about = [one_line(settings.site_description), one_line(settings.site_author)]
    lines += [*(text_line(text) for text in about if text), ""] if any(about) else []
    lines += [f"=> {GEMLOG}/{post.file(PAGE)} {post.title}" for post in posts]
    lines += ["", f"=> {GEMLOG}/ {LABELS['gemlog']}", f"=> {GEMLOG}/atom.xml {LABELS['feed']}"]
    if collection:
        lines += ["", f"## {LABELS['collection']}", "", *edition_links(collection, f"{GEMLOG}/")]
    return "\n".join(lines) + "\n"


def render_gemlog_index(posts: list[Post], settings: Settings) -> str:
    """`gemini/gemlog/index.gmi`, as the subscription convention reads a page as a feed: its first `# `
    heading is the feed's title, a `## ` line right after it the subtitle (`[site] description`), and
    each link whose label starts with a date an entry: `=> page YYYY-MM-DD title`, newest first.
    """
    description = one_line(settings.site_description)
    lines = ["# " + capsule_title(settings), *(["## " + description] if description else []), ""]
    lines += [f"=> {post.file(PAGE)} {post.date} {post.title}" for post in posts]
    lines += ["", f"=> atom.xml {LABELS['feed']}", f"=> ../ {LABELS['home']}"]
    return "\n".join(lines) + "\n"


def render_feed(posts: list[Post], settings: Settings) -> bytes:
    """`gemini/gemlog/atom.xml`: links absolute under `base_url` when it is set, else relative to the feed.

    Ids are derived from title and date, not from the URL, so they stay the same when the capsule moves.
    """
    # Not urljoin: urllib only resolves schemes it knows, and gemini:// is not one of them.
    base_url = settings.gemini_base_url
    gemlog = f"{base_url.rstrip('/')}/{GEMLOG}/" if base_url else ""
    entries = [FeedEntry(id=stable_id("entry", post.date, post.title), title=post.title,
                         updated=post.document.modified, link=gemlog + post.file(PAGE),
                         authors=post.document.meta.authors, lang=page_language(post.document),
                         summary=post.document.meta.subtitle or post.document.meta.description)
               for post in posts]
    oldest = posts[-1] if posts else None
    title = capsule_title(settings)
    feed_id = stable_id("feed", title, oldest.date if oldest else "", oldest.title if oldest else "")
    # The gemlog answers at one address, `gemlog/`, and the feed links it there.
    return render_atom(feed_id, title, gemlog or "./", gemlog + "atom.xml" if gemlog else "atom.xml", entries,
                       fallback_author=title, author=one_line(settings.site_author),
                       lang=_shared_language(posts), subtitle=one_line(settings.site_description))


def render_post_page(post: Post, image_links: dict[str, str], footer: list[str]) -> bytes:
    """`gemini/gemlog/<date>-<slug>.gmi`: the post's gemtext, then the `footer` lines."""
    return (render_gemtext(post.document, image_links) + "\n".join(footer) + "\n").encode("utf-8")


def render_site(documents: list[Document], settings: Settings, companions: dict | None = None,
                cached_page: PageRender = render_page_now) -> dict[str, bytes]:
    """Every file of the capsule, by path inside its folder (`index.gmi`, `gemlog/…`).

    Each post's page is asked of `cached_page` with what it shows besides its document (the build's page
    cache answers an unchanged one); the indexes and the feed read only the documents' metadata.
    """
    posts = plan_posts(documents)
    if not posts:
        return {}
    image_links, images = _image_files(posts)
    files: dict[str, bytes] = {}
    for index, post in enumerate(posts):
        editions = (companions or {}).get(post.document.source, {})
        for companion in editions.values():
            files[f"{GEMLOG}/{companion.name}"] = companion  # a copy of that file
        neighbours = neighbour_links(posts, index)
        footer = ["", *edition_links(editions), *([""] if editions else []), *neighbours, *([""] if neighbours else []),
                  f"=> ./ {LABELS['gemlog']}", f"=> ../ {LABELS['home']}"]
        links = image_links[post.file(PAGE)]
        files[f"{GEMLOG}/{post.file(PAGE)}"] = cached_page(post.document, json.dumps([links, footer]),
                                                    partial(render_post_page, post, links, footer))
    for name, data in images.items():
        files[f"{GEMLOG}/{name}"] = data
    collection = (companions or {}).get(COLLECTION, {})
    for companion in collection.values():
        files[f"{GEMLOG}/{companion.name}"] = companion  # a copy of that file
    files["index.gmi"] = render_home(posts, settings, collection).encode("utf-8")
    files[f"{GEMLOG}/index.gmi"] = render_gemlog_index(posts, settings).encode("utf-8")
    files[f"{GEMLOG}/atom.xml"] = render_feed(posts, settings)
    shared = _shared_language(posts)
    for path, languages in ((".meta", {"index.gmi": shared}),
                            (f"{GEMLOG}/.meta", {"index.gmi": shared} |
                             {post.file(PAGE): page_language(post.document) for post in posts})):
        if any(languages.values()):
            files[path] = _meta_file(languages)
    return files
