"""Builds: which editions for which sources, the cache, the PDF in its own process, atomic writes."""

from __future__ import annotations

import importlib
import importlib.util
import logging
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from pipeline.atomic import atomic_write, remove_stale_parts
from pipeline.cache import BuildCache, cache_folder, environment_snapshot, file_digest, input_key
from pipeline.document import Document
from pipeline.errors import ChapbookError
from pipeline.reader import read_document
from pipeline.settings import load_project_settings
from pipeline.transforms import apply_transforms

log = logging.getLogger("chapbook")

# Edition name -> (writer module, file extension). A single-file writer has render(document) -> bytes;
# a capsule writer (extension None) has render_capsule(documents) -> {path relative to OUTDIR: bytes}.
EDITIONS = {
    "epub": ("pipeline.writers.epub", "epub"),
    "pdf": ("pipeline.writers.pdf", "pdf"),
    "txt": ("pipeline.writers.text", "txt"),
    "gemini": ("pipeline.writers.gemini", None),
}
# The files in styles/ each edition reads; a change to another edition's stylesheet rebuilds nothing here.
EDITION_STYLES = {"epub": ("epub.css",), "pdf": ("print.css",), "txt": (), "gemini": ()}
# The slowest edition; it is laid out in a worker process while the others are written.
SEPARATE_PROCESS = "pdf"


@dataclass(frozen=True)
class Written:
    """One finished output, for the build summary."""

    edition: str
    path: Path
    size: int
    seconds: float
    cached: bool = False
    removed: tuple[Path, ...] = ()  # files of an earlier build this one no longer makes


@dataclass(frozen=True)
class Job:
    """One output to make: an edition, the sources it needs, where it goes, its cache key."""

    edition: str
    sources: tuple[Path, ...]
    output: Path
    key: str


def available_editions() -> list[str]:
    """The editions whose writer module exists in this installation."""
    return [name for name, (module, _ext) in EDITIONS.items() if importlib.util.find_spec(module) is not None]


def default_sources(folder: Path = Path("source")) -> list[Path]:
    """Every `source/*.md`, in name order."""
    return sorted(folder.glob("*.md"))


def edition_time(document: Document, environment: dict[str, str]) -> datetime:
    """The time stamped into editions: SOURCE_DATE_EPOCH if set, else the source's date, else its mtime."""
    epoch = environment.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    day = document.meta.day()
    if day is not None:
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
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
        probe = outdir / f".chapbook-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise ChapbookError(outdir, f"cannot write to the output folder ({error.strerror})",
                            "choose another folder with -o or fix its permissions") from None


def _check_sources(sources: list[Path], outdir: Path) -> None:
    stems: dict[str, Path] = {}
    for source in sources:
        if source.stem in stems and source.resolve() == stems[source.stem].resolve():
            raise ChapbookError(source, "this source is named twice", "name each source once")
        if source.stem in stems:
            raise ChapbookError(source, f"another source ({stems[source.stem]}) has the same name",
                                "rename one; outputs are named after the file")
        stems[source.stem] = source
        if outdir.resolve() == source.parent.resolve():
            raise ChapbookError(outdir, "the output folder is the source folder",
                                "choose another folder with -o; chapbook never writes into the source folder")


def plan(sources: list[Path], outdir: Path, editions: list[str], overrides: dict) -> list[Job]:
    """Every output the build would make, with the key of its inputs."""
    environment = environment_snapshot()
    jobs = []
    for edition in editions:
        extension = EDITIONS[edition][1]
        if extension is None:
            key = input_key(edition, sources, overrides, environment, EDITION_STYLES[edition])
            jobs.append(Job(edition, tuple(sources), outdir / edition, key))
        else:
            for source in sources:
                key = input_key(edition, [source], overrides, environment, EDITION_STYLES[edition])
                jobs.append(Job(edition, (source,), outdir / f"{source.stem}.{extension}", key))
    return jobs


def warm_up(module_name: str) -> None:
    """Import a writer and run its warm_up() if it has one; a failure here is left to its render()."""
    try:
        writer = importlib.import_module(module_name)
        if hasattr(writer, "warm_up"):
            writer.warm_up()
    except Exception:  # noqa: BLE001 - the real render reports the same problem, with its context
        return


def render_job(job: Job, documents: dict[Path, Document]) -> dict[Path, bytes]:
    """Run one writer; returns the files to write (absolute paths) and their bytes."""
    module_name, extension = EDITIONS[job.edition]
    writer = importlib.import_module(module_name)
    if extension is None:
        files = writer.render_capsule([documents[source] for source in job.sources])
        return {job.output.parent / relative: data for relative, data in files.items()}
    return {job.output: writer.render(documents[job.sources[0]])}


def _inside(folder: Path, relative: str) -> Path | None:
    """`folder / relative` if it is a plain file inside `folder`, reached through no symbolic link."""
    parts = Path(relative).parts
    if not parts or Path(relative).is_absolute() or ".." in parts:
        return None
    path = folder
    for part in parts:
        path = path / part
        if path.is_symlink():
            return None
    return path if path.is_file() else None


def remove_unmade(previous: dict[str, str], made: list[Path], folder: Path) -> tuple[Path, ...]:
    """Remove the files an earlier build wrote into `folder` that this one no longer makes.

    `previous` maps paths relative to `folder` to the digests they were written with. A capsule
    page whose source was removed would otherwise stay published. A file edited since chapbook
    wrote it is kept, with a warning; nothing outside `folder` or behind a symbolic link is touched.
    """
    made_names = {path.relative_to(folder).as_posix() for path in made}
    removed = []
    for name, digest in sorted(previous.items()):
        path = _inside(folder, name) if name not in made_names else None
        if path is None:
            continue
        if file_digest(path) != digest:
            log.warning("%s: kept, although no source makes it any more: it was edited after chapbook wrote it; "
                        "delete it by hand if it should go", path)
            continue
        path.unlink()
        removed.append(path)
    return tuple(removed)


def _write(job: Job, files: dict[Path, bytes], documents: dict[Path, Document], cache: BuildCache,
           started: float) -> Written:
    for path, data in sorted(files.items()):
        atomic_write(path, data)
    folder = EDITIONS[job.edition][1] is None
    removed = remove_unmade(cache.written_files(job.output), list(files), job.output) if folder else ()
    resources = [r.path for source in job.sources for r in documents[source].resources]
    cache.record(job.output, job.key, resources, list(files) if folder else [])
    return Written(job.edition, job.output, sum(len(d) for d in files.values()), time.perf_counter() - started,
                   removed=removed)


def build(sources: list[Path], outdir: Path, editions: list[str], overrides: dict | None = None,
          force: bool = False, on_written: Callable[[Written], None] | None = None,
          on_started: Callable[[str], None] | None = None) -> list[Written]:
    """Read each source once, then write every requested edition whose inputs changed.

    Errors in reading stop the build before any output is touched; the PDF is laid out in a worker
    process while the other editions are written, so both cores work.
    """
    overrides = overrides or {}
    _check_sources(sources, outdir)
    cache = BuildCache(cache_folder(dict(os.environ)))
    jobs = plan(sources, outdir, editions, overrides)
    results: list[Written] = []
    stale = []
    for job in jobs:
        if not force and cache.is_fresh([job.output], job.key):
            log.debug("%s: its inputs did not change; kept", job.output)
            size = job.output.stat().st_size if job.output.is_file() else 0
            results.append(_announce(Written(job.edition, job.output, size, 0.0, cached=True), on_written))
        else:
            stale.append(job)
    if not stale:
        return results
    separate = [job for job in stale if job.edition == SEPARATE_PROCESS] if len(stale) > 1 else []
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) if separate else _NoPool() as pool:
        if separate:  # the worker warms its writer up (WeasyPrint: about a second) while pandoc reads
            pool.submit(warm_up, EDITIONS[SEPARATE_PROCESS][0])
            log.debug("%s: made in a worker process while the other editions are written", SEPARATE_PROCESS)
        documents = {}
        for source in sorted({s for job in stale for s in job.sources}):
            reading = time.perf_counter()
            documents[source] = prepare(source, overrides)
            log.debug("%s: read (one pandoc call) and transformed in %.2f s", source, time.perf_counter() - reading)
        check_output_folder(outdir)
        remove_stale_parts(outdir)
        futures = [(job, time.perf_counter(), pool.submit(render_job, job, documents)) for job in separate]
        try:
            for job in stale:
                if job in separate:
                    continue
                if on_started:
                    on_started(job.edition)
                started = time.perf_counter()
                results.append(_announce(_write(job, render_job(job, documents), documents, cache, started),
                                         on_written))
            for job, started, future in futures:
                if on_started:
                    on_started(job.edition)
                results.append(_announce(_write(job, future.result(), documents, cache, started), on_written))
        finally:  # each recorded output is on disk, even if a later edition failed or was interrupted
            cache.save()
    return results


def _announce(item: Written, on_written: Callable[[Written], None] | None) -> Written:
    if on_written:
        on_written(item)
    return item


class _NoPool:
    """Stands in for the process pool when nothing runs in a separate process."""

    def __enter__(self) -> _NoPool:
        return self

    def __exit__(self, *exc_info) -> None:
        return None
