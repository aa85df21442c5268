"""The one list of editions: what each is called, which writer makes it, what it writes, how it is checked.

Everything else derives from this list, as pandoc's writers and Sphinx's builders do: the CLI's
`-f` choices, the build plan, the cache key, the order editions are made in, and `chapbook check`.
Adding an edition means one writer module under `pipeline/writers/` and one record here.

A writer module for a per-source edition has `render(document, companions) -> bytes`; for a folder
edition, `render_site(documents, settings, companions) -> {path inside the folder: bytes}` (or, for
a file it copies, the Companion itself). The companions are the finished files of the editions named
in `uses` (see `Companion`), and of those in `uses_if_built` that the build makes anyway (the EPUB's
page list comes from the PDF of the same build, but `-f epub` alone lays out no PDF for it). A
`worker` edition's render also takes `cores`: how many cores the build leaves the job (1 when every
core has a worker job of its own); it may lay the book out in more than one process with them, and
what it writes must not depend on it.

Optional hooks a writer module may define:
- `precheck(document)`: warnings about the document that need no rendering (the PDF's font
  coverage). The build calls it in the main process for each source of each job it makes, before
  the job is rendered or while a worker renders it; render() then need not repeat them.
- `warm_up()`: loads what render() needs, run by worker processes while the sources are read. It
  may be a generator: after each yield the worker stops warming up if a job is already waiting.
- `prepare(document) -> object`: the part of a per-source render() that needs none of the companions
  the job waits for (the EPUB's pages, nav and word index, before the PDF's page list). The build
  calls it in the main process, after warming up, for each job about to wait for a worker's file,
  and hands the result to render() as companions[PREPARED]; render() makes it itself when it is not
  there, and writes the same bytes either way. render() must not change it: `watch` hands the same
  prepared result to the job's early writing (without the worker's file) and to its real one.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Edition:
    """One edition: its name (for `-f`), writer module, output, stylesheets, checker and how it is made."""

    name: str
    writer: str  # module path; see the module docstring for what it must define
    # A file suffix ("-booklet.pdf": one `<stem>-booklet.pdf` per source) or a folder ending in "/"
    # ("gemini/": one folder for every source).
    output: str
    summary: str
    # What a reader's link to a file of this edition says ("ebook"), in the essay's lowercase, and the
    # file's media type: the capsule, the web site and the preview servers all read these two.
    label: str = ""
    media_type: str = ""
    stylesheets: tuple[str, ...] = ()  # files in styles/ it reads, so a change to them rebuilds it
    checker: str | None = None  # "module:function": (document, path) or, for a folder, (documents, folder)
    worker: bool = False  # laid out in the worker process while the other editions are written
    uses: tuple[str, ...] = ()  # editions whose finished files it receives as companions
    # Editions it receives as companions only when the build makes them for another reason; it is then
    # made after them (and, in `watch`, written first without them, then again once they are there).
    uses_if_built: tuple[str, ...] = ()
    # Its writer receives its own output of the last build, if there is one (companions[PREVIOUS]),
    # to save work; what it writes must not depend on it.
    reads_previous: bool = False
    # It only copies and links the files it uses: while `watch` waits for a slow one (the PDF), it is
    # written first with that edition's last file, then again once the new one is there, so its pages
    # show an edit at once (the build's announcement and cache entry are for the second writing only).
    links_uses: bool = False
    # Made only when asked for by name (`-f zine`), not by `-f all`: an edition for some sources only
    # (a zine holds a short post) or for one decision (a paperback's cover), which refuses the others.
    on_request: bool = False

    @property
    def is_folder(self) -> bool:
        """Whether it writes one folder for all sources rather than a file per source."""
        return self.output.endswith("/")

    def path(self, outdir: Path, stem: str = "") -> Path:
        """Where it is written: the folder, or the file of the source named `stem`."""
        return outdir / self.output.rstrip("/") if self.is_folder else outdir / f"{stem}{self.output}"

    def load_writer(self):
        """The writer module."""
        return importlib.import_module(self.writer)

    def load_checker(self):
        """The checker function, or None when the edition has none."""
        if self.checker is None:
            return None
        module, _, function = self.checker.partition(":")
        return getattr(importlib.import_module(module), function)


class Companion:
    """A finished file of another edition, handed to a writer that links, copies or transforms it.

    Made from its bytes, or from its `path`, which is read only when the bytes are asked for: a
    folder edition that copies a thousand posts' files puts the companion itself among its files (a
    copy of that file), and the build compares the copy with the file by their remembered digests
    instead of reading both (pipeline/build/__init__.py, write_files).
    """

    __slots__ = ("edition", "name", "path", "_data")

    def __init__(self, edition: str, name: str, data: bytes | None = None, path: Path | None = None) -> None:
        if data is None and path is None:
            raise ValueError("a companion needs its bytes or its path")
        self.edition = edition
        self.name = name  # its file name in the output folder, e.g. "essay.epub"
        self.path = path
        self._data = data

    @property
    def data(self) -> bytes:
        """The file's bytes."""
        if self._data is None:
            self._data = self.path.read_bytes()
        return self._data

    @property
    def size(self) -> int:
        """The file's size in bytes, without reading it."""
        return len(self._data) if self._data is not None else self.path.stat().st_size

    def __repr__(self) -> str:
        return f"Companion({self.edition!r}, {self.name!r}, {self.path or f'{self.size} bytes'})"


PREVIOUS = "previous"  # the companion that is an edition's own output of the last build (reads_previous)
PREPARED = "prepared"  # the result of the writer's prepare(document), made while the job waited (see above)
COLLECTION = "collection"  # a folder edition's companions: the book of every post, {edition: Companion}

EDITIONS: tuple[Edition, ...] = (
    Edition("epub", "pipeline.writers.epub.book", ".epub", "EPUB 3 ebook", "ebook", "application/epub+zip",
            stylesheets=("epub.css",), checker="pipeline.check.epub:check_epub", uses_if_built=("pdf",)),
    Edition("kepub", "pipeline.writers.epub.kepub", ".kepub.epub", "Kobo ebook (kepub)", "Kobo ebook",
            "application/epub+zip", checker="pipeline.check.epub:check_epub", uses=("epub",)),
    Edition("pdf", "pipeline.writers.pdf.book", ".pdf", "PDF book, tagged", "printable book", "application/pdf",
            stylesheets=("print.css",), checker="pipeline.check.pdf:check_pdf", worker=True, reads_previous=True),
    Edition("booklet", "pipeline.writers.pdf.booklet", "-booklet.pdf",
            "the PDF's pages two-up to print, fold and staple", "booklet to fold", "application/pdf",
            checker="pipeline.check.printing:check_booklet", uses=("pdf",)),
    Edition("zine", "pipeline.writers.pdf.zine", "-zine.pdf", "a short post as an 8-page one-sheet zine",
            "zine to fold", "application/pdf", stylesheets=("print.css",),
            checker="pipeline.check.printing:check_zine", worker=True, on_request=True),
    Edition("print", "pipeline.writers.pdf.pdfx", "-print.pdf", "PDF/X-4 with bleed for a print shop",
            "print-shop file", "application/pdf", stylesheets=("print.css",),
            checker="pipeline.check.printing:check_print", worker=True),
    Edition("cover", "pipeline.writers.pdf.cover", "-cover.pdf",
            "the paperback's wraparound cover (back, spine, front) for the printer, PDF/X-4",
            "paperback cover", "application/pdf", checker="pipeline.check.printing:check_cover", uses=("print",),
            on_request=True),
    Edition("jpg", "pipeline.writers.store_cover", "-cover.jpg", "the ebook's cover as a JPEG for store uploads",
            "cover image", "image/jpeg", checker="pipeline.check.printing:check_store_cover"),
    Edition("txt", "pipeline.writers.text", ".txt", "plain text", "plain text", "text/plain",
            checker="pipeline.check.text:check_text"),
    Edition("gemini", "pipeline.writers.gemini.capsule", "gemini/", "Gemini capsule with a gemlog", "Gemini capsule",
            "text/gemini", checker="pipeline.check.gemini:check_capsule", uses=("epub", "pdf", "txt"),
            links_uses=True),
    Edition("web", "pipeline.writers.web.site", "web/", "web site: a page per source, feed, other editions",
            "web site", "text/html", stylesheets=("web.css",), checker="pipeline.check.web:check_site",
            uses=("epub", "pdf", "txt"), links_uses=True),
)
BY_NAME = {edition.name: edition for edition in EDITIONS}
# Names an edition was known by before; `-f` still takes them.
ALIASES = {"html": "web"}


def edition(name: str) -> Edition:
    """The edition called `name` or one of its old names (KeyError if there is none)."""
    return BY_NAME[ALIASES.get(name, name)]


def names() -> tuple[str, ...]:
    """Every edition's name, in the registry's order."""
    return tuple(BY_NAME)


def canonical(name: str) -> str:
    """The edition's own name for `name`, which may be an old name (an alias)."""
    return ALIASES.get(name, name)


def media_types() -> dict[str, str]:
    """File suffix -> media type of every per-source edition's files (".epub": "application/epub+zip")."""
    types: dict[str, str] = {}
    for item in EDITIONS:
        if not item.is_folder:
            types.setdefault("." + item.output.rsplit(".", 1)[-1], item.media_type)
    return types


def in_build_order(chosen: list[str]) -> list[Edition]:
    """The chosen editions and those they use, each placed after every edition it uses (or uses if built)."""
    wanted = list(dict.fromkeys(chosen))
    for name in wanted:  # grows as it is read: every edition used, through any chain
        wanted += [used for used in BY_NAME[name].uses if used not in wanted]
    ordered: list[Edition] = []

    def add(name: str, seen: tuple[str, ...] = ()) -> None:
        if name in seen:
            raise ValueError(f"editions use each other in a circle: {' -> '.join((*seen, name))}")
        current = BY_NAME[name]
        for used in (*current.uses, *(used for used in current.uses_if_built if used in wanted)):
            add(used, (*seen, name))
        if current not in ordered:
            ordered.append(current)
    for name in wanted:
        add(name)
    return ordered
