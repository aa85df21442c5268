"""Posts: where each source is filed in a site of pages (the capsule's gemlog, the web edition).

Both sites name a source's page `<date>-<slug>` and list posts newest first, so a post has the same
address in each; this is the one place that decides it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline.document import Document
from pipeline.words.naming import slug, unique_name


@dataclass(frozen=True)
class Post:
    """One source's place in a site: the date it is filed under and its page's name without suffix."""

    document: Document
    date: str
    base: str

    @property
    def title(self) -> str:
        """The title on one line, as link labels and feeds show it."""
        return one_line(self.document.meta.title)

    def file(self, suffix: str) -> str:
        """The page's file name with `suffix` (`.gmi`, `.html`)."""
        return f"{self.base}{suffix}"


def one_line(text: str) -> str:
    """`text` with every run of whitespace (line breaks too) as one space, as titles and link labels show it."""
    return " ".join(text.split())


def post_date(document: Document) -> str:
    """The YYYY-MM-DD a post is filed under: its own date, else the edition's date (never the clock)."""
    return (document.meta.day() or document.modified.date()).isoformat()


def plan_posts(documents: list[Document]) -> list[Post]:
    """Every document with its page name (`<date>-<slug>`, unique whatever the titles), newest first."""
    posts: list[Post] = []
    taken: set[str] = set()
    for document in documents:
        day = post_date(document)
        base = unique_name(f"{day}-{slug(document.meta.title, fallback=slug(document.stem, fallback='post'))}", taken)
        posts.append(Post(document, day, base))
    return sorted(posts, key=lambda post: (post.date, post.document.modified, post.base), reverse=True)


# How a site asks for one post's page: (its document, what the page shows besides it, as text, a function
# that renders it). The build hands in its page cache; alone, a site renders every page.
PageRender = Callable[[Document, str, Callable[[], bytes]], bytes]


def render_page_now(document: Document, depends_on: str, render: Callable[[], bytes]) -> bytes:
    """A page rendered, nothing remembered: the `cached_page` of a site rendered outside a build."""
    return render()
