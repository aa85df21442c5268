"""The chapbook command line: thin wrappers that parse options, call the library and report."""

from __future__ import annotations

import atexit
import gc
import logging
import signal
import sys
import time
from pathlib import Path

import click

from pipeline import __version__
from pipeline.editions import ALIASES, canonical
from pipeline.editions import edition as edition_named
from pipeline.editions import names as edition_names
from pipeline.errors import ChapbookError
from pipeline.settings import SETTINGS
from pipeline.words.measure import human_size
from pipeline.words.terminal import EscapingFormatter, shown


class _WarningFormatter(EscapingFormatter):
    def prefix(self, record: logging.LogRecord) -> str:
        return "warning: " if record.levelno >= logging.WARNING else "  "


def _configure_logging(quiet: bool, verbose: bool) -> None:
    logger = logging.getLogger("chapbook")
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_WarningFormatter())
    logger.addHandler(handler)
    logger.setLevel(logging.ERROR if quiet else logging.DEBUG if verbose else logging.WARNING)
    logger.propagate = False


def _canonical_formats(context, parameter, formats: tuple[str, ...]) -> tuple[str, ...]:
    """Old edition names (`-f html`) as the editions' own names (`web`)."""
    return tuple(canonical(name) for name in formats)


def _format_option(help_text: str = "Edition to build; repeat for several."):
    """The -f/--format option: an edition's name (or an old name), repeated; "all" by default."""
    choices = click.Choice((*edition_names(), *ALIASES, "all"))
    return click.option("-f", "--format", "formats", multiple=True, type=choices, default=("all",),
                        show_default=True, callback=_canonical_formats, help=help_text)


def _edition_options(command):
    """The SOURCES, --outdir and --format options `build` and `watch` share."""
    command = _format_option()(command)
    command = click.option("-o", "--outdir", type=click.Path(path_type=Path), default=Path("build"),
                           show_default=True, help="Folder the editions are written to.")(command)
    return click.argument("sources", nargs=-1, type=click.Path(path_type=Path))(command)


def _setting_options(command):
    """A --name option for each setting declared with flag=True (see pipeline/settings.py)."""
    for setting in reversed([s for s in SETTINGS if s.flag]):
        helped = setting.help[:1].upper() + setting.help[1:] + "."
        if isinstance(setting.default, bool):  # a bare --name; absent leaves the file's or metadata's value
            command = click.option(setting.option, setting.name, is_flag=True, default=None, help=helped)(command)
            continue
        kind = click.Choice(setting.choices) if setting.choices else \
            click.IntRange(setting.minimum, setting.maximum) if isinstance(setting.default, int) else str
        command = click.option(setting.option, setting.name, type=kind, help=helped)(command)
    return command


def _chosen_editions(formats: tuple[str, ...]) -> list[str]:
    """The editions `-f` asks for, in build order; asking for one not installed is an error."""
    from pipeline.build import available_editions

    available = available_editions()
    missing = [f for f in formats if f != "all" and f not in available]
    if missing:
        raise ChapbookError(None, f"the {', '.join(missing)} edition is not available in this installation",
                            "run make to install everything")
    return [f for f in available if f in formats or ("all" in formats and not edition_named(f).on_request)]


def _print_written(item) -> None:
    timing = "unchanged" if item.cached else f"{item.seconds:.2f} s"
    click.echo(f"  {item.edition:<7} {item.path}  {human_size(item.size)}  {timing}")
    for path in item.removed:
        click.echo(f"  {item.edition:<7} removed {path} (no source makes it any more)")


def _run(action, debug: bool, redact=None) -> None:
    """Run `action`, turning chapbook errors into one line on stderr and exit status 1 (130 for work Ctrl-C
    stopped at a safe point, pipeline.errors.Interrupted).

    With `redact` (publish: a function hiding secrets), every error and `--debug` traceback goes through it,
    unexpected errors included.
    """
    try:
        action()
    except ChapbookError as error:
        if debug and redact is None:
            raise
        if debug:
            _print_traceback(error, redact)
        else:
            click.echo(shown(redact(str(error)) if redact else str(error)), err=True)  # "chapbook: …" without a path
        sys.exit(error.exit_status)
    except OSError as error:
        from pipeline.writers.pdf.system_libraries import missing_library, missing_library_error

        library = missing_library(error)  # WeasyPrint imported by a path that did not explain it already
        if debug or library is None:
            raise
        click.echo(str(missing_library_error(library)), err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("chapbook: interrupted; earlier outputs are untouched", err=True)
        sys.exit(130)
    except Exception as error:
        if redact is None:
            raise
        _print_traceback(error, redact)
        sys.exit(1)


def _print_traceback(error: BaseException, redact) -> None:
    import traceback

    text = "".join(traceback.format_exception(error))
    click.echo("\n".join(shown(line) for line in redact(text).splitlines()), err=True)


def installed_version() -> str:
    """chapbook's version as its package metadata says (what pip installed), else the source's own `__version__`.

    Both come from the one declaration in pipeline/__init__.py (pyproject.toml reads it for the metadata).
    """
    from importlib import metadata

    try:
        return metadata.version("chapbook")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return __version__


def _print_version(context: click.Context, _parameter, value: bool) -> None:
    if value and not context.resilient_parsing:
        click.echo(f"chapbook, version {installed_version()}")
        context.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and exit.")
def main() -> None:
    """chapbook: one Markdown essay in; EPUB, PDF, plain text and a Gemini capsule out, in the author's voice."""
    # The process ends with the command: Python's last full collection at shutdown would walk every
    # object only to free memory the system takes back anyway (18 ms of each build of the essay).
    atexit.register(gc.freeze)


@main.command()
@_edition_options
@_setting_options
@click.option("--check", "then_check", is_flag=True, help="Run chapbook check on what was built.")
@click.option("--force", is_flag=True, help="Rebuild every edition, even those whose inputs did not change.")
@click.option("--collect", is_flag=True, help="Also bind every post into one book (gemlog.epub, .pdf, .txt), "
              "as [collection] book = true does.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print more about each step.")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def build(sources: tuple[Path, ...], outdir: Path, formats: tuple[str, ...], then_check: bool, force: bool,
          collect: bool, quiet: bool, verbose: bool, debug: bool, **setting_values) -> None:
    """Build editions of SOURCES (default: every source/*.md) into OUTDIR."""
    from pipeline.build import build as run_build
    from pipeline.build import default_sources

    _configure_logging(quiet, verbose)
    overrides = {key: value for key, value in setting_values.items() if value is not None}
    overrides |= {"collection_book": True} if collect else {}

    def action() -> None:
        paths = list(sources) or default_sources()
        if not paths:
            raise ChapbookError("source", "no Markdown sources found", "give a file, or put .md files in source/")
        editions = _chosen_editions(formats)
        started = time.perf_counter()
        progress = not quiet and sys.stdout.isatty()
        written = run_build(paths, outdir, editions, overrides, force=force,
                            on_written=None if quiet else _print_written,
                            on_started=(lambda edition: click.echo(f"  {edition:<7} …\r", nl=False))
                            if progress else None)
        if not quiet:
            fresh = [item for item in written if not item.cached]
            click.echo(f"built {len(fresh)} of {len(written)} output(s) from {len(paths)} source(s) "
                       f"in {time.perf_counter() - started:.2f} s")
        if then_check:
            logging.getLogger("chapbook").setLevel(logging.ERROR)  # the build has shown its warnings once
            if not _report_check(paths, outdir, as_json=False, quiet=quiet, overrides=overrides):
                sys.exit(1)

    _run(action, debug)


def _report_check(paths: list[Path], outdir: Path, as_json: bool, quiet: bool, overrides: dict | None = None,
                  strict: bool = False) -> bool:
    """Run the checks (with the build's --wrap and --paper), print each finding and a summary; True if all pass.

    A skipped check is no failure; with `strict`, one skipped for want of a tool is (not one that no tool
    would decide: list depth in an untagged print file).
    """
    import json

    from pipeline.build import command_line_settings, prepare
    from pipeline.check import as_json as findings_as_json
    from pipeline.check import check_build
    from pipeline.settings import load_project_settings

    project = load_project_settings(Path.cwd())
    _, checked = command_line_settings(project, overrides)
    findings = check_build([prepare(path, checked, project) for path in paths], outdir)
    failed = [f for f in findings if f.status == "fail"]
    skipped = [f for f in findings if f.status == "skipped"]
    warnings = [f for f in findings if f.status == "warning"]
    wanting = [f for f in skipped if f.wants_a_tool]
    passed = len(findings) - len(failed) - len(skipped) - len(warnings)
    if as_json:
        click.echo(json.dumps({"findings": findings_as_json(findings), "failed": len(failed),
                               "skipped": len(skipped), "warnings": len(warnings), "passed": passed},
                              indent=1, ensure_ascii=False))
    else:
        for finding in findings:
            if not quiet or finding.status != "ok":
                click.echo(str(finding))
        click.echo(f"{passed} passed, {len(warnings)} warnings, {len(failed)} failed, {len(skipped)} skipped")
        if strict and wanting:
            click.echo(f"--strict: {len(wanting)} skipped check(s) count as failures; install what each names",
                       err=True)
    return not failed and not (strict and wanting)


@main.command()
@click.argument("outdir", required=False, type=click.Path(path_type=Path), default=Path("build"))
@click.option("-s", "--source", "sources", multiple=True, type=click.Path(path_type=Path),
              help="Source the editions were built from (default: every source/*.md).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="Print only failures, skips and the summary.")
@click.option("--strict", is_flag=True, help="Fail when a check was skipped for want of a tool (for CI).")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def check(outdir: Path, sources: tuple[Path, ...], as_json: bool, quiet: bool, strict: bool, debug: bool) -> None:
    """Validate the editions in OUTDIR and check that they keep the author's voice.

    Every check whose tool is installed runs; each skipped one is named with the command that installs
    what it needs. The exit status is 1 when a check failed (or, with --strict, was skipped).
    """
    from pipeline.build import default_sources

    _configure_logging(quiet=True, verbose=False)

    def action() -> None:
        paths = list(sources) or default_sources()
        if not paths:
            raise ChapbookError("source", "no Markdown sources found", "name them with --source")
        if outdir.is_file():
            raise ChapbookError(outdir, "this is a file, not an output folder", "name the folder chapbook build wrote")
        if not outdir.is_dir():
            raise ChapbookError(outdir, "no such output folder", "run chapbook build first")
        if not _report_check(paths, outdir, as_json, quiet, strict=strict):
            sys.exit(1)

    _run(action, debug)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def new(folder: Path, debug: bool) -> None:
    """Start a project in FOLDER (new or empty): a first post in source/, chapbook.toml listing every
    setting, a .gitignore."""
    from pipeline.project import new_project

    def action() -> None:
        for path in new_project(folder):
            click.echo(f"  wrote {path}")
        click.echo(f"made a project in {folder}; next: cd {folder} && chapbook build")

    _run(action, debug)


@main.command()
@click.argument("outdir", required=False, type=click.Path(path_type=Path), default=Path("build"))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=1965, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--http-port", default=8065, show_default=True, type=click.IntRange(0, 65535),
              help="Port for the web edition (OUTDIR/web) over HTTP.")
@click.option("--watch", "watching", is_flag=True,
              help="Build first and rebuild on every save, as chapbook watch does; an open web page reloads itself.")
@click.option("-s", "--source", "sources", multiple=True, type=click.Path(path_type=Path),
              help="With --watch: a source to build (default: every source/*.md).")
@_format_option("With --watch: an edition to build; repeat for several.")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def serve(outdir: Path, host: str, port: int, http_port: int, watching: bool, sources: tuple[Path, ...],
          formats: tuple[str, ...], debug: bool) -> None:
    """Serve OUTDIR/gemini over real Gemini (TLS) and OUTDIR/web over HTTP, to read them before publishing."""
    from pipeline.serve.web import serve_outputs

    if not watching:
        if sources or formats != ("all",):
            raise click.UsageError("--source and --format go with --watch")
        _run(lambda: serve_outputs(outdir, host, port, http_port), debug)
        return
    _configure_logging(quiet=False, verbose=False)

    def action() -> None:
        import threading

        with _watch_session(sources, outdir, formats) as session:
            session.rebuild()
            stop = threading.Event()
            follower = threading.Thread(target=session.follow, args=(stop,), name="chapbook-watch", daemon=True)
            follower.start()
            try:
                serve_outputs(outdir, host, port, http_port, live=True)
            finally:
                stop.set()
                follower.join(timeout=10)

    _run(action, debug)


@main.command()
@click.argument("outdir", required=False, type=click.Path(path_type=Path), default=Path("build"))
@click.option("--web", is_flag=True, help="Send OUTDIR/web, the web site, instead of the capsule (to publish_web_to).")
@click.option("--to", "destination", metavar="DESTINATION",
              help="sftp://user@host[:port]/path, titan://host[:port]/path (the capsule only) or a folder "
                   "(default: publish_to, or publish_web_to with --web).")
@click.option("--dry-run", is_flag=True, help="Print what would be sent, replaced and deleted; touch nothing.")
@click.option("--accept-new-host-key", is_flag=True, help="Trust an SSH host seen the first time (accept-new).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary.")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def publish(outdir: Path, web: bool, destination: str | None, dry_run: bool, accept_new_host_key: bool, quiet: bool,
            debug: bool) -> None:
    """Send OUTDIR/gemini (or, with --web, OUTDIR/web) to where it is served: only what changed, then tell
    Antenna about the capsule's feed if asked."""
    import contextlib
    import os

    from pipeline.publish import SITES, describe, feed_address, notify_antenna
    from pipeline.publish import publish as publish_folder
    from pipeline.publish.redact import address_secrets, redact
    from pipeline.publish.titan import read_token
    from pipeline.settings import PROJECT_FILE, load_project_settings
    from pipeline.writers.gemini.capsule import FEED

    secrets: set[str] = set()
    # A job started in the background (a script's `&`, a CI runner) inherits SIGINT ignored; publish's
    # Ctrl-C handling (stop between files, say how far it got) must hear it all the same, as watch does.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def hidden(text: str) -> str:
        return redact(text, secrets)

    def say(text: str, err: bool = False) -> None:
        click.echo(shown(hidden(text)), err=err)

    def progress(action, number: int, total: int) -> None:
        say(f"  [{number}/{total}] {describe(action)}")

    def action() -> None:
        settings = load_project_settings(Path.cwd())
        site = SITES["web" if web else "gemini"]
        for address in (destination or "", settings.publish_to, settings.publish_web_to, settings.antenna_url):
            secrets.update(address_secrets(address))
        with contextlib.suppress(ChapbookError):  # an unreadable token file is reported where it is used
            secrets.add(read_token(dict(os.environ), settings.titan_token_file or None))
        secrets.discard("")
        configured = getattr(settings, site.setting)
        where = "--to" if destination else f"{site.setting} in {Path.cwd() / PROJECT_FILE}" if configured else ""
        target = site.destination(destination or configured, where)
        report = publish_folder(site.built_folder(outdir), target, dry_run=dry_run, site=site.name,
                                accept_new_host_key=accept_new_host_key, token_file=settings.titan_token_file or None,
                                progress=None if quiet or not sys.stdout.isatty() else progress,
                                timeout=settings.publish_timeout)
        for note in report.notes:
            say(note, err=True)
        if dry_run and not quiet:
            for step in report.actions:
                say(describe(step))
        say(report.summary())
        if site.pings_antenna and settings.antenna_url and report.changed and not dry_run:
            say(notify_antenna(settings.antenna_url, feed_address(target, settings.gemini_base_url, FEED),
                               timeout=settings.publish_timeout))

    _run(action, debug, hidden)


@main.command()
@_edition_options
@click.option("-v", "--verbose", is_flag=True, help="Print more about each step (which worker made each PDF).")
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def watch(sources: tuple[Path, ...], outdir: Path, formats: tuple[str, ...], verbose: bool, debug: bool) -> None:
    """Rebuild on every save: only the editions whose inputs changed, with what was rebuilt and how long it took.

    The PDF workers start once, warm up while the author writes, and serve every rebuild.
    """
    _configure_logging(quiet=False, verbose=verbose)

    def action() -> None:
        with _watch_session(sources, outdir, formats) as session:
            session.rebuild()
            try:
                session.follow()
            except KeyboardInterrupt:
                click.echo("stopped watching")

    _run(action, debug)


def _watch_session(sources: tuple[Path, ...], outdir: Path, formats: tuple[str, ...]):
    """The session `watch` and `serve --watch` share: the sources (default: source/*.md) and how it reports."""
    from pipeline.build import default_sources
    from pipeline.build.watch import WatchSession

    editions = _chosen_editions(formats)
    paths = list(sources) or default_sources()
    if not paths:
        raise ChapbookError("source", "no Markdown sources found", "give a file, or put .md files in source/")
    for path in paths:
        if not path.is_file():  # a rebuild's error is worth waiting out; a source that is not there is not
            raise ChapbookError(path, "no such file" if not path.exists() else "not a file",
                                "check the name: chapbook watch takes Markdown files")
    # A background job starts with SIGINT ignored, and watchfiles stops only on a KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def rebuilt(written, seconds: float) -> None:
        fresh = [item for item in written if not item.cached]
        for item in fresh:
            _print_written(item)
        click.echo(f"rebuilt {len(fresh)} of {len(written)} output(s) in {seconds:.2f} s; "
                   "watching for changes (Ctrl-C stops)")

    return WatchSession(paths, outdir, editions, rebuilt, lambda line: click.echo(shown(line), err=True))
