"""The document model every transform and writer works on: metadata, pandoc blocks, where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from pipeline.ast import Node, stringify, walk_blocks
from pipeline.settings import Settings

DEFAULT_LANG = "en"  # a source that names no language


@dataclass(frozen=True)
class Metadata:
    """What the source says about itself, as plain strings in the author's own case."""

    title: str
    lang: str = DEFAULT_LANG
    date: str = ""
    subtitle: str = ""
    authors: tuple[str, ...] = ()
    identifier: str = ""
    description: str = ""
    rights: str = ""
    cover: str = ""  # a cover image inside the source's folder (the EPUB draws one without it)
    # EPUB Accessibility 1.1 (docs/accessibility.md): the author's own summary, who evaluated the book,
    # and an exemption the European Accessibility Act allows (a11y:exemption).
    accessibility_summary: str = ""
    certified_by: str = ""
    exemption: str = ""

    def day(self) -> date | None:
        """The date's YYYY-MM-DD, or None when `date` does not start with one."""
        return iso_day(self.date)

    def title_page(self) -> list[tuple[str, str]]:
        """What a title page shows under the title, as (kind, text): subtitle, authors, date; empty ones left out."""
        lines = (("subtitle", self.subtitle), ("authors", ", ".join(self.authors)), ("date", self.date))
        return [(kind, text) for kind, text in lines if text]


def iso_day(text: str) -> date | None:
    """The YYYY-MM-DD a metadata date starts with, or None."""
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


@dataclass(frozen=True)
class Resource:
    """A local file an edition may embed: the URL the source wrote, where it is, what it is, its name in an edition."""

    url: str
    path: Path
    media_type: str
    name: str


@dataclass(frozen=True)
class Heading:
    """One entry of the outline: level (1 = section), anchor id and text."""

    level: int
    identifier: str
    text: str


@dataclass(frozen=True)
class Document:
    """One source, read once: its metadata, its pandoc AST blocks and its settings."""

    source: Path
    meta: Metadata
    blocks: list[Node]
    settings: Settings = field(default_factory=Settings)
    # When this edition was made: SOURCE_DATE_EPOCH, else the source's date (set by build.prepare).
    modified: datetime = datetime(2000, 1, 1, tzinfo=UTC)
    resources: tuple[Resource, ...] = ()  # the usable local images, found by transforms.images

    @property
    def stem(self) -> str:
        """The output name: the source file's stem, never the title."""
        return self.source.stem

    @property
    def resource_folder(self) -> Path:
        """The only folder (besides styles/) a build may read resources from."""
        return self.source.parent.resolve()

    def local_files(self) -> list[Path]:
        """Every file besides the source that its editions read (its images and its cover image), so a
        change to any of them rebuilds them."""
        files = [resource.path for resource in self.resources]
        if self.meta.cover:
            from pipeline.files.resources import resolve_local

            cover, _reason = resolve_local(self.meta.cover, self.resource_folder)
            files += [cover] if cover else []
        return files

    def with_blocks(self, blocks: list[Node]) -> Document:
        """A copy with other blocks (transforms return new documents)."""
        return replace(self, blocks=blocks)

    def outline(self) -> list[Heading]:
        """Every heading in order, for tables of contents and bookmarks."""
        return [Heading(b["c"][0], b["c"][1][0], stringify(b["c"][2]))
                for b in walk_blocks(self.blocks) if b.get("t") == "Header"]
