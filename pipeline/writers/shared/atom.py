"""Atom 1.0 feeds (RFC 4287), built with xml.etree so every title and name is escaped correctly."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Fixed, so the same title and date always give the same id (RFC 4287 4.2.6: ids never change).
_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://chapbook.invalid/atom-ids")


@dataclass(frozen=True)
class FeedEntry:
    """One post of a feed: what a feed reader lists and where the post lives."""

    id: str
    title: str
    updated: datetime
    link: str
    authors: tuple[str, ...] = ()
    lang: str = ""
    summary: str = ""
    content_html: str = ""  # the post itself as HTML, sent as `content type="html"` (RFC 4287 4.1.3)


def stable_id(*parts: str) -> str:
    """A `urn:uuid:` derived from `parts` (e.g. title and date): the same parts, the same id, no clock."""
    return uuid.uuid5(_ID_NAMESPACE, "\n".join(parts)).urn


def timestamp(moment: datetime) -> str:
    """An RFC 3339 date-time in UTC, as Atom wants it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _add(parent: ET.Element, name: str, text: str = "", **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, name, attributes)
    if text:
        element.text = text
    return element


def _add_authors(parent: ET.Element, names: tuple[str, ...]) -> None:
    for name in names:
        _add(_add(parent, "author"), "name", name)


def render_atom(feed_id: str, title: str, home: str, self_link: str, entries: list[FeedEntry],
                fallback_author: str, lang: str = "", link_type: str = "text/gemini", author: str = "",
                subtitle: str = "", icon: str = "") -> bytes:
    """An Atom feed document: `entries` newest first, each with id, title, updated, link and author.

    The feed names `author` when given. RFC 4287 4.1.1 lets a feed omit atom:author only if every entry
    has one; when some entry has none and no `author` is given, the feed names `fallback_author` (the
    capsule's own name, never an invented person).
    """
    # The namespace as a plain xmlns attribute: ElementTree's default_namespace option rejects unqualified
    # attributes (href, rel) and register_namespace would change global state.
    feed = ET.Element("feed", {"xmlns": ATOM} | ({XML_LANG: lang} if lang else {}))
    _add(feed, "id", feed_id)
    _add(feed, "title", title)
    if subtitle:
        _add(feed, "subtitle", subtitle)
    updated = max((entry.updated for entry in entries), default=datetime(2000, 1, 1, tzinfo=UTC))
    _add(feed, "updated", timestamp(updated))
    if author:
        _add_authors(feed, (author,))
    elif any(not entry.authors for entry in entries) or not entries:
        _add_authors(feed, (fallback_author,))
    _add(feed, "link", href=home, rel="alternate", type=link_type)
    _add(feed, "link", href=self_link, rel="self", type="application/atom+xml")
    _add(feed, "generator", "chapbook")
    if icon:
        _add(feed, "icon", icon)
    for entry in entries:
        element = _add(feed, "entry", **({XML_LANG: entry.lang} if entry.lang else {}))
        _add(element, "id", entry.id)
        _add(element, "title", entry.title)
        _add(element, "updated", timestamp(entry.updated))
        _add_authors(element, entry.authors)
        _add(element, "link", href=entry.link, rel="alternate", type=link_type)
        if entry.summary:
            _add(element, "summary", entry.summary)
        if entry.content_html:  # escaped by ElementTree: a reader gets the markup back as text, then renders it
            _add(element, "content", entry.content_html, type="html")
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"
