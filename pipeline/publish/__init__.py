"""`chapbook publish`: a built folder (the capsule, the web site, any edition folder) sent to where it is served.

    publish(folder, destination, site="gemini") -> PublishReport

The destination keeps a manifest of the digests chapbook published (`.chapbook-manifest.json`; for Titan,
which cannot read files back as they are stored, in chapbook's state folder). Only what changed is sent,
each file under a temporary name renamed into place where the protocol allows, pages before indexes,
feeds and the home page; files chapbook published that no source makes any more are deleted, unless
they changed at the destination since. The manifest names the site it records, so one site is never
published over another (which would delete it). The network is touched here and nowhere else.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.errors import ChapbookError, Interrupted
from pipeline.publish.destination import Destination, parse_destination
from pipeline.publish.plan import (
    FIRST_SITE,
    Action,
    digest,
    folder_files,
    manifest_after,
    manifest_site,
    manifest_so_far,
    plan_publish,
    read_manifest,
    render_manifest,
    unconfirmed,
)
from pipeline.publish.redact import redact
from pipeline.publish.sites import SITES, site_label
from pipeline.words.measure import human_size

__all__ = ["SITES", "Action", "Destination", "PublishReport", "feed_address", "notify_antenna",
           "parse_destination", "publish"]

DEFAULT_TIMEOUT = 30  # seconds; the setting publish_timeout (pipeline/settings.py) changes it
VERBS = {"send": "send", "replace": "replace", "delete": "delete", "keep": "keep", "leave": "leave",
         "unchecked": "leave"}


@dataclass
class PublishReport:
    """What a publish did (or, with dry_run, would do), and notes to show (a pinned certificate, a new host key)."""

    destination: str
    actions: list[Action]
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)

    def count(self, *kinds: str) -> int:
        """How many actions are of one of `kinds`."""
        return sum(action.kind in kinds for action in self.actions)

    @property
    def changed(self) -> bool:
        """Whether anything was (or would be) sent or deleted."""
        return bool(self.count("send", "replace", "delete"))

    def summary(self) -> str:
        """One line: what travelled, what stayed."""
        if not self.changed:
            return f"nothing changed: {self.count('keep')} file(s) already at {self.destination}, nothing sent"
        verb = "would publish to" if self.dry_run else "published to"
        parts = [f"{self.count('send')} sent", f"{self.count('replace')} replaced", f"{self.count('delete')} deleted",
                 f"{self.count('keep')} unchanged"]
        if self.count("leave", "unchecked"):
            parts.append(f"{self.count('leave', 'unchecked')} left in place")
        return f"{verb} {self.destination}: " + ", ".join(parts)


def describe(action: Action) -> str:
    """A plan or progress line: `send gemlog/page.gmi (31 kB)`."""
    size = f" ({human_size(action.size)})" if action.kind in ("send", "replace") else ""
    reason = f" ({action.reason})" if action.reason else ""
    return f"{VERBS[action.kind]:<8}{action.path}{size}{reason}"


def _state_folder(environ: dict[str, str]) -> Path:
    from pipeline.serve.capsule import state_folder

    return state_folder(environ)


def open_transport(destination: Destination, environ: dict[str, str], *, accept_new_host_key: bool = False,
                   token_file: str | Path | None = None, known_hosts: Path | None = None,
                   client_keys: list[Path] | None = None, notes: list[str] | None = None,
                   timeout: float = DEFAULT_TIMEOUT, dry_run: bool = False):
    """Connect to `destination`; the transport reads, writes and deletes files there (with `dry_run`, it is
    only read, and nothing on this machine is written either: not even a new host key)."""
    notes = notes if notes is not None else []
    if destination.scheme == "file":
        from pipeline.publish.local import FolderTransport

        return FolderTransport(destination)
    if destination.scheme == "sftp":
        from pipeline.publish.sftp import SFTPTransport

        return SFTPTransport(destination, known_hosts or Path.home() / ".ssh" / "known_hosts",
                             accept_new_host_key, client_keys, notes, timeout, dry_run)
    from pipeline.publish.titan import TitanTransport, read_token
    from pipeline.publish.tofu import PINS_FILE, Pins

    state = _state_folder(environ)
    key = hashlib.sha256(str(destination).encode("utf-8")).hexdigest()[:16]
    return TitanTransport(destination, read_token(environ, token_file), Pins(state / PINS_FILE, notes, dry_run),
                          state / "publish" / f"titan-{destination.host}-{destination.port}-{key}.json", timeout)


def _refuse_self(folder: Path, destination: Destination) -> None:
    if destination.scheme == "file":
        target, source = Path(destination.path).resolve(), folder.resolve()
        if target == source or source in target.parents or target in source.parents:
            raise ChapbookError(str(destination), f"the destination overlaps the folder being published ({folder})",
                                "publish to a folder outside it")


def _refuse_other_site(destination: Destination, held: str | None, site: str) -> None:
    if held is not None and held != site:
        raise ChapbookError(str(destination), f"chapbook published the {site_label(held)} here (its manifest says so), "
                            f"and publishing the {site_label(site)} over it would delete it",
                            f"give the {site_label(site)} a folder of its own"
                            + (f" ({SITES[site].setting})" if site in SITES else ""))


@contextmanager
def _nothing_changed_yet():
    """A failure while looking at the destination says that nothing was changed there yet."""
    try:
        yield
    except ChapbookError as error:
        raise replace(error, problem=f"{error.problem}; nothing was changed yet") from None


class _StopRequest:
    requested = False


@contextmanager
def _stopped_by_ctrl_c():
    """While files are sent, Ctrl-C (SIGINT) asks the loop to stop before the next file instead of cutting one
    in half; a second Ctrl-C stops at once. Only the main thread can take signals; elsewhere nothing changes."""
    stop = _StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def ask(signum, frame):
        if stop.requested:
            raise KeyboardInterrupt
        stop.requested = True

    previous = signal.signal(signal.SIGINT, ask)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)


def page_type(folder: Path, relative: str) -> str:
    """The MIME type a file is sent with: pages carry charset and the language their `.meta` records."""
    from pipeline.publish.titan import file_type
    from pipeline.serve.capsule import sidecar_parameters

    mime = file_type(relative)
    return mime + sidecar_parameters(folder / relative) if mime.startswith("text/gemini") else mime


def publish(folder: Path, destination: Destination | str, *, dry_run: bool = False,
            accept_new_host_key: bool = False, environ: dict[str, str] | None = None,
            token_file: str | Path | None = None, known_hosts: Path | None = None,
            client_keys: list[Path] | None = None, site: str = FIRST_SITE,
            progress: Callable[[Action, int, int], None] | None = None,
            timeout: float = DEFAULT_TIMEOUT) -> PublishReport:
    """Bring `destination` to the files of `folder` (the `site` its manifest records); with `dry_run`, only say how.

    Raises ChapbookError with one line (and how many changes were made before) when anything fails; what
    was already sent is complete, and the next publish finishes the job. Every network step (connecting,
    logging in, each read and write) is given up after `timeout` seconds.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ChapbookError(folder, "nothing to publish here", "run chapbook build first")
    destination = parse_destination(destination) if isinstance(destination, str) else destination
    _refuse_self(folder, destination)
    environ = dict(os.environ) if environ is None else environ
    notes: list[str] = []
    changing = False  # once true, a Ctrl-C that cuts through can have left the destination part-way
    try:
        transport = open_transport(destination, environ, accept_new_host_key=accept_new_host_key,
                                   token_file=token_file, known_hosts=known_hosts, client_keys=client_keys,
                                   notes=notes, timeout=timeout, dry_run=dry_run)
    except KeyboardInterrupt:
        raise _cut_short(destination, changing=False) from None  # connecting: nothing sent yet
    try:
        files = {path: source for path, source in folder_files(folder).items() if transport.accepts(path)}
        contents = {path: source.read_bytes() for path, source in files.items()}
        local = {path: digest(data) for path, data in contents.items()}
        with _nothing_changed_yet():
            recorded = transport.load_manifest()
        _refuse_other_site(destination, manifest_site(recorded), site)
        manifest = read_manifest(recorded)
        with _nothing_changed_yet():
            sizes = transport.sizes(sorted(local))
            gone = {path: transport.sha256(path, manifest[path].size) for path in sorted(set(manifest) - set(local))}
            # A file of the same size the manifest does not vouch for is read back (bounded by that size) and
            # hashed: after an interrupted publish it is usually the very file, and rsync would not resend it.
            same = {path for path in unconfirmed(local, manifest, sizes)
                    if transport.sha256(path, local[path].size) == local[path].sha256}
        actions = plan_publish(local, manifest, sizes, gone, same)
        report = PublishReport(str(destination), actions, dry_run, notes)
        if dry_run:
            return report
        removed = getattr(transport, "remove_leftovers", list)()
        if removed:
            notes.append(f"removed {len(removed)} temporary file(s) an interrupted publish left there")
        changes = [action for action in actions if action.kind in ("send", "replace", "delete")]
        kept = [action for action in actions if action.kind == "keep"]
        changing = True
        with _stopped_by_ctrl_c() as stop:
            for number, action in enumerate(changes, 1):
                if stop.requested:
                    transport.save_manifest(render_manifest(manifest_so_far(manifest, local,
                                                                            kept + changes[:number - 1]), site))
                    sent = sum(step.kind != "delete" for step in changes[:number - 1])
                    raise Interrupted(str(destination), f"stopped by Ctrl-C: {sent} file(s) sent, {number - 1} of "
                                        f"{len(changes)} changes made; the files sent are complete and the manifest "
                                        "there records them", "publish again to finish")
                try:
                    if action.kind == "delete":
                        transport.delete(action.path)
                    else:
                        transport.put(action.path, contents[action.path], page_type(folder, action.path))
                except ChapbookError as error:
                    raise replace(error, problem=f"{error.problem} at {action.path}; {number - 1} of "
                                  f"{len(changes)} changes were made before") from None
                if progress:
                    progress(action, number, len(changes))
        after = manifest_after(local, manifest, actions)
        if changes or after != manifest:
            transport.save_manifest(render_manifest(after, site))
        return report
    except KeyboardInterrupt:
        raise _cut_short(destination, changing) from None
    finally:
        transport.close()


def _cut_short(destination: Destination, changing: bool) -> Interrupted:
    """The line for a Ctrl-C that stopped publish at once: before any change, or (a second Ctrl-C) mid-file."""
    if not changing:
        return Interrupted(str(destination), "stopped by Ctrl-C before anything was changed there",
                           "publish again when you are ready")
    return Interrupted(str(destination), "stopped at once by a second Ctrl-C, in the middle of a file: the files "
                       "sent before it are complete, the one being sent may be left as a temporary file, and the "
                       "manifest there does not record this run yet", "publish again to finish (it keeps what "
                       "arrived whole, sends the rest and removes the temporary file)")


def feed_address(destination: Destination, base_url: str, feed_path: str) -> str:
    """The public gemini:// address of the feed: under `base_url`, else where a Titan destination serves it."""
    if base_url:
        return f"{base_url.rstrip('/')}/{feed_path}"
    if destination.scheme == "titan":
        host = f"[{destination.host}]" if ":" in destination.host else destination.host
        port = "" if destination.port == 1965 else f":{destination.port}"
        return f"gemini://{host}{port}{destination.file_path(feed_path)}"
    raise ChapbookError(str(destination), "cannot tell the feed's public address to Antenna",
                        'set gemini_base_url in chapbook.toml (e.g. "gemini://example.org/")')


def notify_antenna(antenna_url: str, feed_url: str, environ: dict[str, str] | None = None,
                   timeout: float = DEFAULT_TIMEOUT) -> str:
    """Send the feed's address to an aggregator that takes it as the query (Antenna's `submit?<feed URL>`)."""
    from urllib.parse import quote, urlsplit

    from pipeline.publish.destination import host_name_problem
    from pipeline.publish.tofu import PINS_FILE, Pins, gemini_request
    from pipeline.words.terminal import shown

    shown_url = redact(antenna_url)
    if shown(antenna_url) != antenna_url or " " in antenna_url:
        # A line break would end the Gemini request early and send the rest as a second line.
        raise ChapbookError(shown(shown_url), "antenna_url holds control characters or spaces",
                            'write e.g. antenna_url = "gemini://warmedal.se/~antenna/submit"')
    parts = urlsplit(antenna_url)
    if parts.scheme != "gemini" or not parts.hostname or parts.query or host_name_problem(parts.hostname):
        raise ChapbookError(shown_url, "antenna_url must be a gemini:// address without a query, naming a host "
                            "DNS can look up", 'write e.g. antenna_url = "gemini://warmedal.se/~antenna/submit"')
    environ = dict(os.environ) if environ is None else environ
    pins = Pins(_state_folder(environ) / PINS_FILE)
    request = f"{antenna_url}?{quote(feed_url, safe=':/')}"
    response = gemini_request(parts.hostname, parts.port or 1965, request, pins, shown=shown_url, timeout=timeout,
                              doing="telling Antenna about the feed (the capsule itself is published)",
                              named_by="named by antenna_url")
    if response.status // 10 not in (2, 3):
        raise ChapbookError(shown_url, f"the ping was refused: {response.status} {redact(response.meta)}; the "
                            "capsule itself is published", "ping again later with chapbook publish")
    return f"told {shown_url} about {feed_url}"
