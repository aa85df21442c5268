"""Builds: which editions, for which sources, written atomically into the output folder."""

from __future__ import annotations

import importlib
import importlib.util
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from pipeline.atomic import atomic_write
from pipeline.document import Document
from pipeline.errors import ChapbookError
from pipeline.reader import read_document
from pipeline.settings import load_project_settings
from pipeline.transforms import apply_transforms

# Edition name -> writer module. A single-file writer has EXTENSION and render(document) -> bytes;
# a capsule writer has render_capsule(documents) -> {relative path: bytes}.
EDITIONS = {
    "epub": "pipeline.writers.epub",
    "pdf": "pipeline.writers.pdf",
    "txt": "pipeline.writers.text",
    "gemini": "pipeline.writers.gemini",
}


@dataclass(frozen=True)
class Written:
    """One finished output, for the build summary."""

    edition: str
    path: Path
    size: int
    seconds: float


def available_editions() -> list[str]:
    """The editions whose writer module exists in this installation."""
    return [name for name, module in EDITIONS.items() if importlib.util.find_spec(module) is not None]


def default_sources(folder: Path = Path("source")) -> list[Path]:
    """Every `source/*.md`, in name order."""
    return sorted(folder.glob("*.md"))


def edition_time(document: Document, environment: dict[str, str]) -> datetime:
    """The time stamped into editions: SOURCE_DATE_EPOCH if set, else the source's date, else its mtime."""
    epoch = environment.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    try:
        return datetime.fromisoformat(document.meta.date[:10]).replace(tzinfo=UTC)
    except ValueError:
        return datetime.fromtimestamp(int(document.source.stat().st_mtime), tz=UTC)


def prepare(path: Path, overrides: dict | None = None) -> Document:
    """Read one source (the one pandoc call) and apply every transform."""
    project = load_project_settings(Path.cwd())
    document = apply_transforms(read_document(path, project, overrides))
    return replace(document, modified=edition_time(document, dict(os.environ)))


def check_output_folder(outdir: Path) -> None:
    """Refuse an output folder that is a file or cannot be written, before any work is done."""
    if outdir.exists() and not outdir.is_dir():
        raise ChapbookError(outdir, "the output folder is a file", "choose another folder with -o")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        probe = outdir / ".chapbook-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise ChapbookError(outdir, f"cannot write to the output folder ({error.strerror})",
                            "choose another folder with -o or fix its permissions") from None


def _check_sources(sources: list[Path], outdir: Path) -> None:
    stems: dict[str, Path] = {}
    for source in sources:
        if source.stem in stems:
            raise ChapbookError(source, f"another source ({stems[source.stem]}) has the same name",
                                "rename one; outputs are named after the file")
        stems[source.stem] = source
        if outdir.resolve() == source.parent.resolve():
            raise ChapbookError(outdir, "the output folder is the source folder",
                                "choose another folder with -o; chapbook never writes into the source folder")


def write_edition(edition: str, documents: list[Document], outdir: Path) -> list[Written]:
    """Render one edition for every document and write each file atomically."""
    writer = importlib.import_module(EDITIONS[edition])
    written = []
    if hasattr(writer, "render_capsule"):
        started = time.perf_counter()
        files = writer.render_capsule(documents)
        for relative, data in sorted(files.items()):
            atomic_write(outdir / relative, data)
        root = outdir / edition
        size = sum(len(data) for data in files.values())
        written.append(Written(edition, root, size, time.perf_counter() - started))
        return written
    for document in documents:
        started = time.perf_counter()
        data = writer.render(document)
        path = outdir / f"{document.stem}.{writer.EXTENSION}"
        atomic_write(path, data)
        written.append(Written(edition, path, len(data), time.perf_counter() - started))
    return written


def build(sources: list[Path], outdir: Path, editions: list[str], overrides: dict | None = None,
          on_written: Callable[[Written], None] | None = None) -> list[Written]:
    """Read every source once, then write every requested edition; errors stop before any output."""
    _check_sources(sources, outdir)
    documents = [prepare(source, overrides) for source in sources]
    check_output_folder(outdir)
    results = []
    for edition in editions:
        for item in write_edition(edition, documents, outdir):
            results.append(item)
            if on_written:
                on_written(item)
    return results
