"""`chapbook watch` as a writer uses it: a real watch process, one word changed, each edition's file replaced."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sources import ESSAY

from pipeline.editions import edition as edition_named
from pipeline.editions import names

# The word the edits change, in "computers are now genuinely pretty good at creating media"; each edit
# puts a word no earlier edit used, so no output can come back from the cache.
SENTENCE = "computers are now genuinely {} good"
WORDS = ("pretty", "rather", "quite", "really", "fairly", "truly", "awfully", "mighty", "wholly", "very",
         "plainly", "simply", "surely", "clearly", "jolly", "terribly", "oddly", "frankly", "wildly", "fully")
_REBUILT = re.compile(r"^rebuilt (\d+) of (\d+) output\(s\) in ([0-9.]+) s")


@dataclass
class WatchResult:
    """Seconds from each save to each file's change, per edition (every output is renamed into place)."""

    editions: list[str]
    first_build: float = 0.0
    reported: list[float] = field(default_factory=list)  # watch's own "rebuilt ... in N s"
    latency: dict[str, list[float]] = field(default_factory=dict)  # the edition's last file's last change
    first_file: dict[str, list[float]] = field(default_factory=dict)  # a folder edition's first file changed
    # A folder edition's files other than its copies of the PDF family's files, each at its first change:
    # when every page shows the edit.
    pages: dict[str, list[float]] = field(default_factory=dict)
    # Per file (relative to the output folder): seconds to its first change after each edit.
    files: dict[str, list[float]] = field(default_factory=dict)
    missed: dict[str, int] = field(default_factory=dict)  # edits after which an edition's files were not replaced


class _Lines:
    """The watch process's output, read on a thread so that waiting for a line can time out."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.lines.put(line.rstrip("\n"))

    def rebuilt(self, timeout: float) -> float:
        """Wait for the next "rebuilt ... in N s" line; returns N."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise SystemExit("chapbook watch printed no 'rebuilt' line in time; its output:\n"
                                 + "\n".join(self.seen[-30:])) from None
            self.seen.append(line)
            match = _REBUILT.match(line)
            if match:
                return float(match.group(3))


def _snapshot(folder: Path) -> dict[Path, tuple[int, int]]:
    found = {}
    for path in folder.rglob("*"):
        try:
            status = path.stat()
        except FileNotFoundError:  # renamed away between the listing and the stat
            continue
        # Not a file being written: atomic_write's `.<name>.<pid>.<random>.part`, renamed into place once whole.
        if path.is_file() and not (path.name.startswith(".") and path.name.endswith(".part")):
            found[path] = (status.st_ino, status.st_mtime_ns)
    return found


class _Changes:
    """Every version of every file in a folder from now on, polled on a thread: {path: [mtime_ns, ...]}.

    A file's modification time is when it was written (renamed into place), so polling late only
    loses a version replaced again within one poll, never shifts a time.
    """

    def __init__(self, folder: Path, every: float = 0.01) -> None:
        self.folder, self.every = folder, every
        self.before = _snapshot(folder)
        self.seen: dict[Path, list[int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        last = dict(self.before)
        while not self._stop.is_set():
            self._look(last)
            time.sleep(self.every)
        self._look(last)

    def _look(self, last: dict[Path, tuple[int, int]]) -> None:
        for path, stamp in _snapshot(self.folder).items():
            if last.get(path) != stamp:
                last[path] = stamp
                self.seen.setdefault(path, []).append(stamp[1])

    def stop(self) -> dict[Path, list[int]]:
        self._stop.set()
        self._thread.join()
        return self.seen


def _owner(path: Path, outputs: dict[str, Path]) -> str | None:
    for name, output in outputs.items():
        if path == output or path.is_relative_to(output):
            return name
    return None


def measure_watch(folder: Path, env: dict, chapbook: str, editions: list[str], edits: int) -> WatchResult:
    """Start `chapbook watch` on a copy of the essay, wait for its first build, then make `edits` one-word edits.

    For each edit the clock starts when the saved file is closed and stops at the modification time
    of each file's first change (every output is written to a temporary file and renamed into place;
    the output folder is polled while the rebuild runs, so a folder written twice shows both times).
    """
    project = folder / "watch-project"
    shutil.rmtree(project, ignore_errors=True)
    (project / "source").mkdir(parents=True)
    source = project / "source" / "essay.md"
    text = ESSAY.read_text(encoding="utf-8")
    if SENTENCE.format(WORDS[0]) not in text:
        raise SystemExit(f"the essay no longer has the sentence the watch benchmark edits: {SENTENCE.format(WORDS[0])}")
    source.write_text(text, encoding="utf-8")
    out = project / "out"
    outputs = {name: edition_named(name).path(out, source.stem) for name in editions}
    result = WatchResult(editions, latency={name: [] for name in editions}, first_file={name: [] for name in editions},
                         pages={name: [] for name in editions}, missed={name: 0 for name in editions})
    command = [chapbook, "watch", str(source), "-o", str(out)] + [flag for name in editions for flag in ("-f", name)]
    env = dict(env, PYTHONUNBUFFERED="1", CHAPBOOK_CACHE_DIR=str(project / "cache"))
    process = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    try:
        lines = _Lines(process)
        result.first_build = lines.rebuilt(timeout=600)
        time.sleep(1.0)  # the watcher is armed after the first build's report
        for number in range(edits):
            text = text.replace(SENTENCE.format(WORDS[number % len(WORDS)]),
                                SENTENCE.format(WORDS[(number + 1) % len(WORDS)]), 1)
            changes = _Changes(out)
            source.write_text(text, encoding="utf-8")
            saved = time.time_ns()
            result.reported.append(lines.rebuilt(timeout=300))
            _record(result, changes.stop(), saved, out, outputs)
            time.sleep(0.5)
    finally:
        _stop(process)
    return result


def _record(result: WatchResult, seen: dict[Path, list[int]], saved: int, out: Path,
            outputs: dict[str, Path]) -> None:
    """One edit's changes: per file its first change; per edition its first, last and last page's change."""
    copies = {edition_named(name).output for name in names() if _pdf_family(name)}
    changed: dict[str, list[tuple[Path, list[int]]]] = {name: [] for name in result.editions}
    for path, times in seen.items():
        name = _owner(path, outputs)
        if name is None:
            continue
        changed[name].append((path, times))
        seconds = max(0, times[0] - saved) / 1e9
        result.files.setdefault(path.relative_to(out).as_posix(), []).append(seconds)
    for name, items in changed.items():
        if not items:
            result.missed[name] += 1
            continue
        result.latency[name].append(max(0, max(t[-1] for _, t in items) - saved) / 1e9)
        result.first_file[name].append(max(0, min(t[0] for _, t in items) - saved) / 1e9)
        pages = [t[0] for path, t in items if not any(path.name.endswith(suffix) for suffix in copies)]
        if pages:
            result.pages[name].append(max(0, max(pages) - saved) / 1e9)


def _pdf_family(name: str) -> bool:
    """A file edition laid out in a worker (the PDF, the print file) or made from one (the booklet)."""
    made = edition_named(name)
    return not made.is_folder and (made.worker or any(edition_named(used).worker for used in made.uses))


def _stop(process: subprocess.Popen) -> None:
    """Ctrl-C, as a user stops it; its whole session (the watch and its workers) is killed if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
