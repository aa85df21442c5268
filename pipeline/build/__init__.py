"""Builds: which editions for which sources, the cache, the PDFs in worker processes, atomic writes."""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from pipeline.build.cache import (
    BuildCache,
    DigestMemo,
    DigestsOnce,
    environment_snapshot,
    file_digest,
    input_key,
    relative_name,
    resolved,
)
from pipeline.build.document_cache import DocumentCache, release
from pipeline.build.page_cache import PageCache
from pipeline.build.parse_cache import ParseCache
from pipeline.build.workers import WorkerDied, WorkerPool, cores
from pipeline.document import Document
from pipeline.editions import COLLECTION, EDITIONS, PREPARED, PREVIOUS, Companion, Edition, in_build_order
from pipeline.editions import edition as edition_named
from pipeline.errors import ChapbookError
from pipeline.files.atomic import atomic_write, probe_writable, remove_stale_parts
from pipeline.files.paths import cache_folder, is_inside, plain_file_inside
from pipeline.reader import pandoc_arguments, pandoc_json, pandoc_path, read_document
from pipeline.settings import Settings, apply, as_dict, load_project_settings
from pipeline.transforms import apply_transforms
from pipeline.transforms.collection import EDITIONS as COLLECTED
from pipeline.transforms.collection import STEM as COLLECTION_STEM
from pipeline.transforms.collection import collect

log = logging.getLogger("chapbook")


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
    """One output to make: an edition, the sources it needs, where it goes, its cache key, the jobs it uses."""

    edition: Edition
    sources: tuple[Path, ...]
    output: Path
    key: str
    uses: tuple[Job, ...] = ()
    collection: bool = False  # the book of every post (transforms/collection.py), not one source's edition


def available_editions() -> list[str]:
    """The editions whose writer module exists in this installation, in the registry's order."""
    return [edition.name for edition in EDITIONS if importlib.util.find_spec(edition.writer) is not None]


def default_sources(folder: Path = Path("source")) -> list[Path]:
    """Every `source/*.md`, in name order; a symbolic link among them to a file outside the project is refused.

    Named on the command line, such a file is built: the author chose it.
    """
    sources = sorted(folder.glob("*.md"))
    project = Path.cwd()
    for source in sources:
        if source.is_symlink() and not is_inside(source, project):
            raise ChapbookError(source, f"this source is a symbolic link to {source.resolve()}, outside the project",
                                "name it on the command line to publish it anyway, or remove the link")
    return sources


def _epoch_time(epoch: str) -> datetime | None:
    """SOURCE_DATE_EPOCH as a time, or None (with a warning) when it is no whole number of seconds up to 9999."""
    if not epoch:
        return None
    try:
        if epoch.isascii() and epoch.isdigit():
            return datetime.fromtimestamp(int(epoch), tz=UTC)
    except (OverflowError, OSError, ValueError):
        pass
    log.warning("SOURCE_DATE_EPOCH=%s is not a whole number of seconds between 1970 and 9999; ignored: the editions "
                "are stamped with the source's date or file time", epoch[:40])
    return None


def edition_time(document: Document, environment: dict[str, str]) -> datetime:
    """The time stamped into editions: SOURCE_DATE_EPOCH if set, else the source's date, else its mtime."""
    epoch = _epoch_time(environment.get("SOURCE_DATE_EPOCH", "").strip())
    if epoch is not None:
        return epoch
    day = document.meta.day()
    if day is not None:
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return datetime.fromtimestamp(int(document.source.stat().st_mtime), tz=UTC)


def _parse_cache() -> ParseCache:
    return ParseCache(cache_folder(dict(os.environ)), list(pandoc_arguments()), pandoc_path())


def cached_parse():
    """The pandoc call, answered from the parse cache in the build cache's folder when it can be."""
    return _parse_cache().cached(pandoc_json)


def open_document_cache(digests: DigestMemo | None = None) -> DocumentCache:
    """The cache of transformed documents in the build cache's folder (a build makes one and keeps it).

    `digests` is the build's memo of file digests (BuildCache.digests), if it has one.
    """
    return DocumentCache(cache_folder(dict(os.environ)), _parse_cache().identity(), digests)


def prepare(path: Path, overrides: dict | None = None, project: Settings | None = None,
            documents: DocumentCache | None = None) -> Document:
    """Read one source (the one pandoc call) and apply every transform.

    `project` is the project's settings (chapbook.toml), loaded once per build; read here when not given.
    `overrides` are the command line's settings, checked (`command_line_settings`). With `documents`
    (the build's document cache) an unchanged source is not read at all: its document comes from the
    cache, its blocks read back only when an edition renders them.
    """
    project = project if project is not None else load_project_settings(Path.cwd())

    def make(seen_tree: Callable[[dict], None] = lambda tree: None) -> Document:
        parse = cached_parse()

        def parse_seen(source: Path, text: str) -> dict:
            tree = parse(source, text)
            seen_tree(tree)
            return tree
        return apply_transforms(read_document(path, project, overrides, parse=parse_seen))

    document = documents.prepared(path, project, overrides, make) if documents is not None else make()
    return replace(document, modified=edition_time(document, dict(os.environ)))


def command_line_settings(project: Settings, overrides: dict | None) -> tuple[Settings, dict]:
    """The project's settings with the command line's applied, and the command line's values as checked.

    The one place the command line's settings are applied; each source's reading layers the checked
    values over its own metadata.
    """
    settings = apply(project, overrides or {}, "command line")
    return settings, {name: getattr(settings, name) for name in overrides or {}}


def check_output_folder(outdir: Path) -> None:
    """Refuse an output folder that is a file or cannot be written, before any work is done."""
    if outdir.exists() and not outdir.is_dir():
        raise ChapbookError(outdir, "the output folder is a file", "choose another folder with -o")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        probe_writable(outdir)  # never through a planted link (O_EXCL | O_NOFOLLOW)
    except OSError as error:
        raise ChapbookError(outdir, f"cannot write to the output folder ({error.strerror})",
                            "choose another folder with -o or fix its permissions") from None


def _check_sources(sources: list[Path], outdir: Path) -> None:
    stems: dict[str, Path] = {}
    for source in sources:
        if source.stem in stems and resolved(source) == resolved(stems[source.stem]):
            raise ChapbookError(source, "this source is named twice", "name each source once")
        if source.stem in stems:
            raise ChapbookError(source, f"another source ({stems[source.stem]}) has the same name",
                                "rename one; outputs are named after the file")
        stems[source.stem] = source
        if resolved(outdir) == resolved(source.parent):
            raise ChapbookError(outdir, "the output folder is the source folder",
                                "choose another folder with -o; chapbook never writes into the source folder")


def _check_outputs(jobs: list[Job], sources: list[Path]) -> None:
    """Refuse a build that would write over a source, or into a folder that holds one (real paths compared)."""
    real_sources = {resolved(source): source for source in sources}  # strings: a thousand Paths cost 0.1 s
    for job in jobs:
        output = resolved(job.output)
        if output in real_sources:
            raise ChapbookError(real_sources[output], f"writing {job.output} would overwrite this source",
                                "choose another folder with -o; chapbook never writes over a source")
        if job.edition.is_folder:
            inside = next((source for real, source in real_sources.items()
                           if real == output or real.startswith(output.rstrip(os.sep) + os.sep)), None)
            if inside is not None:
                raise ChapbookError(inside, f"this source lies inside {job.output}, which the {job.edition.name} "
                                    "edition writes", "move the source, or choose another folder with -o")


def _worker_died(job: Job) -> ChapbookError:
    """The error for a worker process killed under the build (the OOM killer's SIGKILL, seen from here)."""
    return ChapbookError(job.output, f"the {job.edition.name} worker process died before it finished (killed by the "
                         "system, most often for lack of memory)", "close other programs or split the source, "
                         "then build again")


def plan(sources: list[Path], outdir: Path, editions: list[str], settings: Settings,
         digests: DigestMemo | None = None) -> list[Job]:
    """Every output the build would make, in an order where each job follows the jobs it uses.

    `digests` is the build's memo of file digests, so an unchanged source is not read to make its keys.

    With `[collection] book` on, each of the collection's editions chosen gets one more job, the book of
    every post, which the capsule and the web site use (and link from their home pages).
    """
    environment = environment_snapshot()
    settings_json = json.dumps(as_dict(settings), sort_keys=True)
    digests = DigestsOnce(digests)  # a source is in the keys of each of its editions and of the folders
    jobs: list[Job] = []
    made: dict[tuple[str, Path | None], Job] = {}  # (edition, source; None for a folder) -> its job
    collected: list[Job] = []
    named = next((source for source in sources if source.stem == COLLECTION_STEM), None)
    if settings.collection_book and named is not None:
        raise ChapbookError(named, f"this source's editions would take the collection's names ({COLLECTION_STEM}.epub"
                            " and the rest)", "rename the source, or build without --collect")
    ordered = in_build_order(editions)
    built = {edition.name for edition in ordered}
    for edition in ordered:
        for name in edition.uses_if_built:
            if name not in built:
                log.debug("%s: made without the %s edition, which this build does not make (see docs/editions.md)",
                          edition.name, name)
        groups = [tuple(sources)] if edition.is_folder else [(source,) for source in sources]
        used_names = (*edition.uses, *(name for name in edition.uses_if_built if name in built))
        for group in groups:
            uses = tuple(dict.fromkeys(made[(name, None if edition_named(name).is_folder else source)]
                                       for name in used_names for source in group))
            # The bound books in the registry's order (the EPUB is made after the PDF whose pages it lists).
            uses += tuple(sorted(collected, key=lambda job: EDITIONS.index(job.edition))) \
                if edition.is_folder and edition.links_uses else ()
            key = input_key(edition.name, list(group), settings_json, environment, edition.stylesheets,
                            [job.key for job in uses], digests)
            output = edition.path(outdir, group[0].stem)
            job = Job(edition, group, output, key, uses)
            jobs.append(job)
            made[(edition.name, None if edition.is_folder else group[0])] = job
        if settings.collection_book and edition.name in COLLECTED and not edition.is_folder:
            key = input_key(f"{edition.name} collection", list(sources), as_dict(settings), environment,
                            edition.stylesheets, digests=digests)
            collected.append(Job(edition, tuple(sources), edition.path(outdir, COLLECTION_STEM), key,
                                 collection=True))
            jobs.append(collected[-1])
    return jobs


def warm_up(module_name: str) -> Iterator[None]:
    """Import a writer and run its warm_up() if it has one, yielding where a writer's warm-up may stop early.

    A writer's warm_up() may be a generator: each yield ends a stage after which the worker stops
    warming if a job is already waiting. A failure here is left to the real render, which reports it.
    """
    try:
        writer = importlib.import_module(module_name)
        stages = writer.warm_up() if hasattr(writer, "warm_up") else None
        if isinstance(stages, Iterator):
            yield from stages
    except Exception:  # noqa: BLE001 - the real render reports the same problem, with its context
        return


def companions_of(job: Job, leaving_out: tuple[Job, ...] = ()) -> dict:
    """The finished files of the jobs `job` uses (but those `leaving_out`), read from where they were written.

    Per-source editions get {edition: Companion}; folder editions {source: {edition: Companion}}, and the
    collection's books as companions[COLLECTION] = {edition: Companion}. An edition that reads_previous
    also gets its own last output, if any, as companions[PREVIOUS].
    """
    found: dict = {}
    for used in job.uses:
        if used.edition.is_folder or used in leaving_out:
            continue  # a folder edition is used as a whole by no edition today
        companion = Companion(used.edition.name, used.output.name, path=used.output)  # read when asked
        if used.collection:
            found.setdefault(COLLECTION, {})[used.edition.name] = companion
        elif job.edition.is_folder:
            found.setdefault(used.sources[0], {})[used.edition.name] = companion
        else:
            found[used.edition.name] = companion
    previous = plain_file_inside(job.output.parent, job.output.name) if job.edition.reads_previous else None
    if previous is not None:
        found[PREVIOUS] = Companion(job.edition.name, previous.name, previous.read_bytes())
    return found


def render_job(job: Job, documents: dict[Path, Document], settings: Settings, cores: int = 1,
               leaving_out: tuple[Job, ...] = (), pages: PageCache | None = None,
               prepared: object = None) -> dict[Path, bytes | Companion]:
    """Run one writer; returns the files to write (absolute paths) and their bytes.

    A worker edition's writer is told the `cores` the job may use (see pipeline/editions.py); a folder
    edition's writer gets `pages`, the build's page cache, to render only the pages whose inputs changed.
    The jobs `leaving_out` (ones it uses only if built, not finished yet) are not handed to it.
    `prepared` is what the writer's prepare(document) made for this job, if it was called; its render
    receives it as companions[PREPARED].
    """
    writer = job.edition.load_writer()
    companions = companions_of(job, leaving_out)
    if prepared is not None:
        companions[PREPARED] = prepared
    if job.edition.is_folder:
        memo = pages.for_edition(job.edition.name, settings) if pages is not None else None
        files = writer.render_site([documents[source] for source in job.sources], settings, companions,
                                   **({"cached_page": memo} if memo else {}))
        return {job.output / relative: data for relative, data in files.items()}
    document = job_document(job, documents, settings)
    if job.edition.worker:
        return {job.output: writer.render(document, companions, cores)}
    return {job.output: writer.render(document, companions)}


def job_document(job: Job, documents: dict[Path, Document], settings: Settings) -> Document:
    """The document a per-source job renders: its source's, or for the collection's book every post's."""
    return collect([documents[source] for source in job.sources], settings) if job.collection \
        else documents[job.sources[0]]


def remove_unmade(previous: dict[str, str], made: list[Path], folder: Path,
                  digests: DigestMemo | None = None) -> tuple[Path, ...]:
    """Remove the files an earlier build wrote into `folder` that this one no longer makes.

    `previous` maps paths relative to `folder` to the digests they were written with. A capsule
    page whose source was removed would otherwise stay published. A file edited since chapbook
    wrote it is kept, with a warning; nothing outside `folder` or behind a symbolic link is touched.
    """
    made_names = {relative_name(path, folder) for path in made}
    removed = []
    for name, digest in sorted(previous.items()):
        path = plain_file_inside(folder, name) if name not in made_names else None
        if path is None:
            continue
        if file_digest(path, digests) != digest:
            log.warning("%s: kept, although no source makes it any more: it was edited after chapbook wrote it; "
                        "delete it by hand if it should go", path)
            continue
        path.unlink()
        removed.append(path)
    return tuple(removed)


def write_files(job: Job, files: dict[Path, bytes | Companion], digests: DigestMemo) -> None:
    """Write a job's files; a folder edition's file that already holds these very bytes is left as it is.

    Its time then says when its content last changed (`watch` writes a capsule twice: its pages, then
    the PDF's copy), and a capsule host sees only the files that did.
    """
    for path, data in sorted(files.items()):
        if job.edition.is_folder and _holds(path, data, digests):
            continue
        data = data.data if isinstance(data, Companion) else data
        atomic_write(path, data)
        digests.written(path, data)


def _holds(path: Path, data: bytes | Companion, digests: DigestMemo) -> bool:
    """Whether the regular file at `path` holds `data`, or the same bytes as the companion it copies.

    A copy is compared by the two files' digests, remembered since chapbook wrote them: neither is read.
    """
    try:
        status = os.lstat(path)
        if not stat.S_ISREG(status.st_mode):
            return False
        if isinstance(data, Companion):
            return data.path is not None and status.st_size == data.size \
                and digests.digest(path) == digests.digest(data.path)
        return status.st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _size(data: bytes | Companion) -> int:
    return data.size if isinstance(data, Companion) else len(data)


def _write(job: Job, files: dict[Path, bytes | Companion], documents: dict[Path, Document], cache: BuildCache,
           started: float) -> Written:
    write_files(job, files, cache.digests)
    folder = job.edition.is_folder
    removed = remove_unmade(cache.written_files(job.output), list(files), job.output, cache.digests) if folder else ()
    resources = [path for source in job.sources for path in documents[source].local_files()]
    cache.record(job.output, job.key, resources, list(files) if folder else [])
    return Written(job.edition.name, job.output, sum(_size(data) for data in files.values()),
                   time.perf_counter() - started, removed=removed)


def build(sources: list[Path], outdir: Path, editions: list[str], overrides: dict | None = None,
          force: bool = False, on_written: Callable[[Written], None] | None = None,
          on_started: Callable[[str], None] | None = None, pool: WorkerPool | None = None) -> list[Written]:
    """Read each source once, then write every requested edition (and those they use) whose inputs changed.

    Errors in reading stop the build before any output is touched. Worker editions (the PDFs) are
    laid out in worker processes, one per core, each queued as soon as its source is read, while the
    main process reads the rest and writes the other editions. `pool` lends workers that outlive the
    build (watch keeps them warm); without it the build starts its own when it has worker jobs.
    """
    cache = BuildCache(cache_folder(dict(os.environ)))  # first: it forgets the last build's resolved paths
    _check_sources(sources, outdir)
    project = load_project_settings(Path.cwd())  # read once per build, handed down
    settings, overrides = command_line_settings(project, overrides)
    jobs = plan(sources, outdir, editions, settings, cache.digests)
    _check_outputs(jobs, sources)
    results: list[Written] = []
    stale: list[Job] = []
    for job in jobs:
        fresh = not force and cache.is_fresh([job.output], job.key)
        if fresh and not any(used in stale for used in job.uses):
            log.debug("%s: its inputs did not change; kept", job.output)
            size = job.output.stat().st_size if job.output.is_file() else 0
            results.append(_announce(Written(job.edition.name, job.output, size, 0.0, cached=True), on_written))
        else:
            stale.append(job)
    if not stale:
        return results
    # One job alone is made in this process: a worker would only add its start-up, unless it is already warm.
    separate = [job for job in stale if job.edition.worker] if pool is not None or len(stale) > 1 else []
    # The quick editions of one source are offered to workers that would otherwise idle; the main
    # process takes back, in plan order, each that no worker has started.
    spare = [job for job in stale if not (job.edition.worker or job.uses or job.edition.is_folder)] if separate else []
    # In a watch session, a worker job no page links (the print file) waits until the pages are written:
    # the core it would take goes to the editions the writer is looking at.
    links = {used for job in stale if job.edition.links_uses for used in job.uses}
    later = [job for job in separate if job not in links] if pool is not None and links else []
    with _workers_for(separate, pool) as workers:
        # Each worker job's share of the cores: one each when there are as many worker jobs as cores.
        run = _Run(workers, settings, cache, on_written, on_started, results, max(1, cores() // max(1, len(separate))))
        documents = open_document_cache(cache.digests)
        run.pages = PageCache(cache_folder(dict(os.environ)), documents)
        for source in _reading_order(stale, separate):
            reading = time.perf_counter()
            run.documents[source] = prepare(source, overrides, project, documents)
            log.debug("%s: read (one pandoc call) and transformed in %.2f s", source, time.perf_counter() - reading)
            for job in [*separate, *spare]:  # PDFs first; one that uses other jobs is sent after them, below
                if job in later:
                    continue
                if not job.uses and job not in run.sent and set(job.sources) <= run.documents.keys():
                    run.send(job, spare=not job.edition.worker)
            release(run.documents[source])  # its blocks are read back by each edition that renders it
        check_output_folder(outdir)
        remove_stale_parts(outdir)
        try:
            quick, waiting = _quick_first(stale, separate)
            # In a watch session, a quick job an idle worker is making (the text, the cover image) is
            # collected between the early writings below, once it is done, not waited for before them.
            making = [job for job in quick if not run.take(job, separate, wait=pool is None)]
            # Every job that can be shown without a worker's new file shows the edit now, before anything
            # waits for a worker: a folder that only links that file (the capsule, the web site) with the
            # file as the last build left it, the EPUB without the PDF's page list (write_early decides).
            for job in waiting if pool is not None else ():
                run.write_early(job)
                making = [made for made in making if not run.take(made, separate, wait=False)]
            for job in making:
                run.take(job, separate)
            for job in later:
                if not job.uses:
                    run.send(job)
            run.warm_up(waiting)
            for job in waiting:
                run.take(job, separate)
            for job in list(run.pending):
                run.finish(job)
        finally:  # each recorded output is on disk, even if a later edition failed or was interrupted
            cache.save()
    return results


def _reading_order(stale: list[Job], separate: list[Job]) -> list[Path]:
    """The sources to read, those a worker job lays out first (each in name order).

    A worker starts on a PDF as soon as its source is read: with one post of a thousand edited, it
    lays that post out while the others come from the document cache, not after them.
    """
    laid_out = sorted({source for job in separate for source in job.sources if not job.uses})
    return laid_out + sorted({source for job in stale for source in job.sources} - set(laid_out))


def _quick_first(stale: list[Job], separate: list[Job]) -> tuple[list[Job], list[Job]]:
    """The jobs waiting for no worker job (even through another), then those that do, each in plan order.

    The text edition is then written while the PDF is laid out, not after the booklet that waits
    for it. Among the waiting, a folder that only links workers' files (links_uses) comes first, so
    its pages get the new PDF as soon as it lands, not after the booklet made from it. The order
    depends only on the plan, so outputs are announced the same way every time.
    """
    waiting: set[Job] = set(separate)
    for job in stale:  # plan order: what a job uses comes before it
        if any(used in waiting for used in job.uses):
            waiting.add(job)
    late = [job for job in stale if job in waiting]
    # Moved ahead only when nothing it uses is made later in this process (a worker's file is collected).
    linking = [job for job in late if job.edition.links_uses
               and all(used.edition.worker or used not in waiting for used in job.uses)]
    return [job for job in stale if job not in waiting], linking + [job for job in late if job not in linking]


def session_workers(sources: list[Path], editions: list[str]) -> WorkerPool | None:
    """Workers for a session of builds (`watch`): one per core, no more than the worker jobs of a full build.

    They warm up the chosen worker editions' writers as they start and again whenever one is replaced;
    None if no chosen edition is laid out in a worker. The caller closes them.
    """
    modules = list(dict.fromkeys(edition.writer for edition in in_build_order(editions) if edition.worker))
    if not modules:
        return None
    return _warming(min(cores(), len(modules) * max(1, len(sources))), modules)


def _warming(size: int, modules: list[str]) -> WorkerPool:
    """`size` workers, each warming up the writer `modules` as it starts."""
    return WorkerPool(size, prelude=tuple(partial(warm_up, module) for module in modules))


@contextmanager
def _workers_for(jobs: list[Job], lent: WorkerPool | None) -> Iterator[WorkerPool | None]:
    """The workers for `jobs`: the lent pool (its unfinished jobs cancelled if the build fails), or our own.

    The lender replaces workers that died (`WorkerPool.replenish`). Our own has one worker per core,
    never more than there are jobs, each warming up the writers it will run while the sources are
    read; it ends with the build, at once if the build failed.
    """
    if not jobs:
        yield None
    elif lent is not None:
        try:
            yield lent
        except BaseException:
            lent.cancel()
            raise
    else:
        modules = list(dict.fromkeys(job.edition.writer for job in jobs))
        with _warming(min(cores(), len(jobs)), modules) as pool:
            log.debug("%s: made in %d worker process(es) while the other editions are written",
                      ", ".join(modules), pool.size)
            yield pool


@dataclass
class _Run:
    """A build's progress: documents read, worker jobs sent and not yet collected, outputs written."""

    workers: WorkerPool | None
    settings: Settings
    cache: BuildCache
    on_written: Callable[[Written], None] | None
    on_started: Callable[[str], None] | None
    results: list[Written]
    cores_each: int  # the cores a worker job may use (render_job)
    documents: dict[Path, Document] = field(default_factory=dict)
    sent: set[Job] = field(default_factory=set)
    checked: set[Job] = field(default_factory=set)
    early: set[Job] = field(default_factory=set)  # written before a worker job they use was done (write_early)
    pending: dict[Job, tuple[float, int]] = field(default_factory=dict)  # sent, not collected: (time, ticket)
    pages: PageCache | None = None
    prepared: dict[Job, object] = field(default_factory=dict)  # the writer's prepare(document), until rendered

    def send(self, job: Job, spare: bool = False) -> None:
        """Queue `job` for a worker with the documents it needs, and only those."""
        documents = {source: self.documents[source] for source in job.sources}
        self.sent.add(job)
        ticket = self.workers.submit(render_job, job, documents, self.settings, self.cores_each, spare=spare)
        self.pending[job] = (time.perf_counter(), ticket)
        self.precheck(job)  # while a worker lays it out

    def precheck(self, job: Job) -> None:
        """Run the writer's precheck(document), if it has one, on each of the job's sources, once."""
        if job in self.checked:
            return
        self.checked.add(job)
        check = getattr(job.edition.load_writer(), "precheck", None)
        for source in job.sources if check else ():
            check(self.documents[source])

    def warm_up(self, waiting: list[Job]) -> None:
        """Warm up, in this process, the writers of the jobs about to wait for a worker's file.

        Their imports then run beside the layout, not after it (the EPUB's, for the PDF's page list).
        """
        if not self.pending:
            return
        for module in dict.fromkeys(job.edition.writer for job in waiting if not job.edition.worker):
            for _stage in warm_up(module):
                pass

    def prepare(self, job: Job) -> None:
        """Run the writer's prepare(document), if it has one, for a job about to wait for a worker's file.

        The part of its render that needs no such file is then made while the worker works (the
        EPUB's pages, nav and word index while the PDF is laid out), not after. A failure here is
        left to the real render, which reports it.
        """
        waited = [used.output.name for used in job.uses if used in self.pending]
        if not waited or job in self.prepared or job.edition.is_folder or job.edition.worker:
            return
        writer = job.edition.load_writer()
        if not hasattr(writer, "prepare"):
            return
        started = time.perf_counter()
        try:
            self.prepared[job] = writer.prepare(job_document(job, self.documents, self.settings))
        except Exception:  # noqa: BLE001 - the real render makes the same part again and reports the problem
            log.debug("%s: not prepared; made when it is rendered", job.output, exc_info=True)
            return
        log.debug("%s: prepared in %.2f s while %s is made", job.output, time.perf_counter() - started,
                  ", ".join(waited))

    def take(self, job: Job, separate: list[Job], wait: bool = True) -> bool:
        """Make or collect `job` after collecting what it uses; a worker job not yet sent is sent.

        Without `wait`, a job a worker is still making is left to collect later (False).
        """
        self.prepare(job)
        for used in job.uses:
            if used in self.pending:
                self.finish(used)
        if separate and job.edition.worker:
            if job not in self.sent:
                self.send(job)
        elif job in self.pending:
            return self.finish(job, wait)
        else:
            self.make(job)
        return True

    def finish(self, job: Job, wait: bool = True) -> bool:
        """Collect a queued job, or make it here if no worker has started it and none is about to; write it.

        Without `wait`, a job a worker is still making is left pending (False).
        """
        started, ticket = self.pending[job]
        if self.workers.withdraw(ticket, eager=not job.edition.worker):
            del self.pending[job]
            self.make(job, started if job.edition.worker else None)  # a quick edition's time is its own
            return True
        if not wait and not self.workers.answered(ticket):
            return False
        del self.pending[job]
        if self.on_started:
            self.on_started(job.edition.name)
        try:
            files = self.workers.result(ticket)
        except WorkerDied:
            if job.edition.worker:
                raise _worker_died(job) from None
            files = render_job(job, self.documents, self.settings, pages=self.pages)  # made here instead
        self.write(job, files, started)
        return True

    def write_early(self, job: Job) -> None:
        """Write, once, a job waiting for a pending worker job, as it can be without that job's new file.

        An edition that links the file (links_uses) is written with the file as the last build left
        it, if every file it uses is there; one that uses the file only if built (the EPUB, the PDF's
        page list) is written without it; one made from such an early file (the kepub from the EPUB)
        is made from it. The cache records only the job's real writing, after the
        worker's file is in place, so an interrupted watch leaves it stale.
        """
        waiting = tuple(used for used in job.uses if used in self.pending)
        early_uses = [used for used in job.uses if used in self.early]
        if (not waiting and not early_uses) or job in self.early:
            return
        if not waiting:  # made from a file written early (the kepub from the EPUB without its page list)
            files = render_job(job, self.documents, self.settings, pages=self.pages)
            how = "from the early"
            waiting = tuple(early_uses)
        elif job.edition.links_uses and all(used.output.is_file() for used in job.uses):
            files, how = render_job(job, self.documents, self.settings, pages=self.pages), "with the last build's"
        elif all(used.edition.name in job.edition.uses_if_built for used in waiting):
            self.prepare(job)  # kept for its real writing, once the worker's file is there
            files = render_job(job, self.documents, self.settings, leaving_out=waiting, pages=self.pages,
                               prepared=self.prepared.get(job))
            how = "without"
        else:
            return
        self.early.add(job)
        write_files(job, files, self.cache.digests)
        log.debug("%s: written %s %s until the new one is done", job.output, how,
                  ", ".join(used.output.name for used in waiting))

    def make(self, job: Job, started: float | None = None) -> None:
        """Render a job in this process, then write it."""
        started = time.perf_counter() if started is None else started
        self.precheck(job)
        if self.on_started:
            self.on_started(job.edition.name)
        self.write(job, render_job(job, self.documents, self.settings, self.cores_each, pages=self.pages,
                                   prepared=self.prepared.pop(job, None)), started)

    def write(self, job: Job, files: dict[Path, bytes | Companion], started: float) -> None:
        """Write a job's files, record them in the cache and announce them; drop the blocks its sources held."""
        self.results.append(_announce(_write(job, files, self.documents, self.cache, started), self.on_written))
        for source in job.sources:
            release(self.documents[source])


def _announce(item: Written, on_written: Callable[[Written], None] | None) -> Written:
    if on_written:
        on_written(item)
    return item
