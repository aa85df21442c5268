"""Worker processes for the slow editions (the PDFs), one job at a time each, beside the main process.

Workers are forked once, run their prelude (warming up WeasyPrint) and then take jobs as they come.
Every job is sent with everything it needs, pickled: a worker never relies on what the parent held
when it was forked, so a pool kept for a whole `watch` session lays out the document as it is now.
Log records a worker makes travel back with its answer and are handed to the main process's
loggers when that answer is collected, so warnings come in the build's order, not the workers'.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

log = logging.getLogger("chapbook")

_READY = "ready"  # a worker's first message, once its prelude has run
_NUDGE = "work is waiting"  # to a worker still warming up: stop at the next stage
_IDLE_BEFORE_COLLECTING = 0.05  # seconds without a job after which a worker collects the last job's cycles
# How much a worker may grow through jobs that come back to back before it collects their cycles anyway:
# without it, each job's cycles were frozen for good by the next job's gc.freeze(), and a worker laying
# out 1,000 posts' PDFs one after the other grew to 1.2 GB.
_GROWTH_BEFORE_COLLECTING = 64 * 1024 * 1024


class WorkerDied(Exception):
    """A worker process ended before it answered (most often killed by the system for lack of memory)."""


class RemoteTraceback(Exception):
    """Where an error raised in a worker came from, as its traceback text (shown with --debug)."""

    def __str__(self) -> str:
        return str(self.args[0])


def cores() -> int:
    """The processor cores this process may run on, at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class _Answer:
    value: object = None
    failed: bool = False
    traceback: str = ""
    records: list = field(default_factory=list)
    pid: int = 0
    died: bool = False


@dataclass(eq=False)
class _Worker:
    process: multiprocessing.Process
    connection: object
    ticket: int | None = None  # the job it is laying out; None when idle
    ready: bool = False  # its prelude has run
    nudged: bool = False  # told that a job waits for it
    alive: bool = True
    ending: bool = False  # killed by the pool itself, not by the system
    thread: threading.Thread | None = None


class _Collector(logging.Handler):
    """Keeps a worker's log records (formatted, so they pickle) until its answer is sent."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg, record.args = record.getMessage(), None
        record.exc_info = record.exc_text = None
        self.records.append(record)


def _serve(connection, prelude: tuple[Callable[[], object], ...], inherited: list) -> None:
    """A worker's life: close the parent's ends of the pipes, run the prelude, then answer jobs until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle; it ends the workers
    for other in inherited:
        other.close()  # so a worker sees the end of its pipe when the main process is gone
    collector = _Collector()
    chapbook = logging.getLogger("chapbook")
    chapbook.handlers.clear()
    chapbook.propagate = True
    root = logging.getLogger()
    root.handlers[:] = [collector]
    for step in prelude:
        if not connection.poll():
            _warm_up(step, connection)
    collector.records.clear()
    connection.send(_READY)
    settled = _resident()
    while True:
        # What lives while the worker waits (WeasyPrint's modules, fonts and caches) is left out of the
        # collections that unpickling a job's document sets off: 14 ms -> 3 ms for the essay.
        gc.freeze()
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        if message == _NUDGE:
            continue
        if not _answer(connection, collector, *message):
            return
        if not connection.poll(_IDLE_BEFORE_COLLECTING) or _resident() - settled > _GROWTH_BEFORE_COLLECTING:
            # Idle, or grown by jobs that came at once: collect their cycles now (a layout leaves about
            # 10 MB of them for the essay), before the freeze above would keep them for good.
            gc.unfreeze()
            gc.collect()
            settled = _resident()


def _resident() -> int:
    """This process's resident bytes (0 where /proc is not there to say)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _answer(connection, collector: _Collector, task: Callable, args: tuple) -> bool:
    """Run one job and send its answer and log records; False if the main process is gone."""
    try:
        answer = _Answer(task(*args))
    except Exception as error:  # noqa: BLE001 - sent to the main process, which raises it there
        answer = _Answer(error, failed=True, traceback=traceback.format_exc())
    answer.records, answer.pid = collector.records[:], os.getpid()
    collector.records.clear()
    try:
        _send(connection, answer)
    except OSError:  # the main process is gone: nobody wants the answer
        return False
    return True


def _send(connection, answer: _Answer) -> None:
    """Send an answer; one that does not pickle (an odd exception) is sent as a RuntimeError saying what it was."""
    try:
        connection.send(answer)
    except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError) as error:
        connection.send(_Answer(RuntimeError(f"{type(answer.value).__name__}: {answer.value} ({error})"),
                                failed=True, traceback=answer.traceback, records=answer.records, pid=answer.pid))


def _warm_up(step: Callable[[], object], connection) -> None:
    """Run one prelude step; one that yields is stopped at a yield once a job waits (the main process nudged us)."""
    with contextlib.suppress(Exception):  # warming up is a favour; the real job reports the same problem
        stages = step()
        if isinstance(stages, Iterator):
            for _stage in stages:
                if connection.poll():
                    stages.close()
                    return


class WorkerPool:
    """Forked worker processes taking jobs in the order they are submitted; answers are collected by ticket.

    `prelude` runs in each worker as it starts (and in any worker started to replace one that died).
    Leaving the `with` block ends the workers at once: by then their answers are collected or not wanted.
    """

    def __init__(self, size: int, prelude: tuple[Callable[[], object], ...] = ()) -> None:
        self.size = max(1, size)
        self._prelude = prelude
        self._lock = threading.Condition()
        self._workers: list[_Worker] = []
        self._waiting: deque = deque()  # (ticket, task, args) until a worker is free
        self._spare: deque = deque()  # the same, for jobs offered to workers that would otherwise idle
        self._answers: dict[int, _Answer] = {}
        self._running: set[int] = set()
        self._broken = False  # a worker died: every job not yet answered fails, until replenish()
        self._tickets = itertools.count()
        self.replenish()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def pids(self) -> list[int]:
        """The process ids of the live workers."""
        return [worker.process.pid for worker in self._workers if worker.alive]

    def replenish(self) -> None:
        """Start workers until there are `size` live ones (those that died are replaced)."""
        with self._lock:
            self._broken = False
            # Killed while idle, a worker may not be marked yet (its thread sees the closed pipe a moment
            # later): the process itself is asked, so a save right after the kill gets a live worker,
            # and its thread's late word is that of a worker the pool let go (it held no job).
            gone = [worker for worker in self._workers
                    if worker.alive and worker.ticket is None and not worker.process.is_alive()]
            for worker in gone:
                worker.ending = True
            self._workers = [worker for worker in self._workers if worker.alive and not worker.ending]
            while len(self._workers) < self.size:
                self._start_worker()

    def _start_worker(self) -> None:
        context = multiprocessing.get_context("fork")
        ours, theirs = context.Pipe()
        inherited = [ours, *(worker.connection for worker in self._workers)]
        process = context.Process(target=_serve, args=(theirs, self._prelude, inherited), daemon=True,
                                  name="chapbook worker")
        process.start()
        theirs.close()
        worker = _Worker(process, ours)
        worker.thread = threading.Thread(target=self._receive, args=(worker,), daemon=True)
        worker.thread.start()
        self._workers.append(worker)
        log.debug("worker process %d started", process.pid)

    def submit(self, task: Callable, *args, spare: bool = False) -> int:
        """Queue `task(*args)` (both pickled) for the next free worker; returns the ticket for `result`.

        Workers take jobs in the order they were submitted, `spare` ones (work the caller means to do
        itself, offered to workers that would otherwise idle) only when no other job waits, newest first,
        so they meet the caller, who withdraws spare jobs oldest first, as late as possible.
        """
        with self._lock:
            ticket = next(self._tickets)
            if self._broken:
                self._answers[ticket] = _Answer(died=True)
                return ticket
            (self._spare if spare else self._waiting).append((ticket, task, args))
            self._dispatch()
        return ticket

    def withdraw(self, ticket: int, eager: bool = True) -> bool:
        """Take a job back to run it in the calling process, if no worker has started it.

        Unless `eager`, only while no worker is warming up or idle: such a worker takes the job soon
        and has the job's modules loaded already.
        """
        with self._lock:
            if self._broken or not eager and any(worker.alive and not worker.ready for worker in self._workers):
                return False
            for queue in (self._waiting, self._spare):
                for entry in queue:
                    if entry[0] == ticket:
                        queue.remove(entry)
                        return True
        return False

    def answered(self, ticket: int) -> bool:
        """Whether a job's answer is in: `result` would not wait."""
        with self._lock:
            return ticket in self._answers

    def result(self, ticket: int):
        """Wait for a job's answer and return its value, or raise its error (WorkerDied if its worker died).

        The log records the job made are handed to the main process's loggers first.
        """
        with self._lock:
            while ticket not in self._answers:
                if not any(worker.alive for worker in self._workers):
                    raise WorkerDied()
                self._lock.wait(0.5)
            answer = self._answers.pop(ticket)
        for record in answer.records:
            logging.getLogger(record.name).handle(record)
        if answer.died:
            raise WorkerDied()
        if answer.failed:
            raise answer.value from RemoteTraceback(answer.traceback)
        log.debug("job %d answered by worker process %d", ticket, answer.pid)
        return answer.value

    def cancel(self) -> None:
        """Forget every job not yet collected: queued ones are dropped, workers busy with one are ended.

        `replenish` starts their replacements.
        """
        self._end(lambda worker: worker.ticket is not None)
        with self._lock:
            self._answers.clear()
            self._running.clear()

    def close(self) -> None:
        """End every worker now; jobs still queued or running are abandoned."""
        self._end(lambda worker: True)

    def _end(self, chosen: Callable[[_Worker], bool]) -> None:
        """Drop the queued jobs and kill the `chosen` workers; returns once they are gone."""
        with self._lock:
            self._waiting.clear()
            self._spare.clear()
            ending = [worker for worker in self._workers if chosen(worker)]
            self._workers = [worker for worker in self._workers if worker not in ending]
            for worker in ending:
                worker.ending = True
                worker.process.kill()
        for worker in ending:
            worker.process.join()
            worker.thread.join()
            worker.connection.close()

    def _dispatch(self) -> None:
        """Hand waiting jobs to idle, ready workers, and nudge those still warming up (the lock is held)."""
        for worker in self._workers:
            if not (self._waiting or self._spare):
                return
            if worker.alive and not worker.ready and not worker.nudged and self._waiting:
                worker.nudged = True  # a few bytes: sending them never waits for the worker
                with contextlib.suppress(OSError):
                    worker.connection.send(_NUDGE)
            if not (worker.alive and worker.ready and worker.ticket is None):
                continue
            ticket, task, args = self._waiting.popleft() if self._waiting else self._spare.pop()
            worker.ticket = ticket
            self._running.add(ticket)
            with contextlib.suppress(OSError):  # it died meanwhile: its receiving thread answers the ticket
                worker.connection.send((task, args))

    def _receive(self, worker: _Worker) -> None:
        """One worker's answers, read in a thread of the main process so a worker never waits to be heard."""
        while True:
            try:
                message = worker.connection.recv()
            except (EOFError, OSError):
                message = None
            with self._lock:
                if message is None:
                    worker.alive = False
                    if worker.ending:
                        worker.connection.close()  # nothing more comes from a worker the pool let go
                    else:  # what it was doing and what waits for it cannot be trusted now
                        self._broken = True
                        lost = [ticket for ticket in self._running if ticket == worker.ticket]
                        lost += [entry[0] for queue in (self._waiting, self._spare) for entry in queue]
                        self._waiting.clear()
                        self._spare.clear()
                        self._running.difference_update(lost)
                        self._answers.update({ticket: _Answer(died=True) for ticket in lost})
                    worker.ticket = None
                    self._lock.notify_all()
                    return
                if isinstance(message, str):  # _READY
                    worker.ready = True
                elif worker.ticket in self._running:
                    self._answers[worker.ticket] = message
                    self._running.discard(worker.ticket)
                worker.ticket = None
                self._dispatch()
                self._lock.notify_all()
