"""One call run in a forked child process, alongside the caller's own work.

The PDF's second half is laid out this way while the first is laid out where the call was made,
which is often one of the build's worker processes. Those are daemonic, and multiprocessing lets a
daemonic process start no children (its pools assert), so the child is forked directly. It dies with
its parent (PR_SET_PDEATHSIG): a worker ended by `watch` or by the system takes its half with it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):  # not Linux: it ends once it has written its answer
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class ForkedCall:
    """`function(*args)` running in a forked child: `result()` waits for it, `cancel()` ends it."""

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        reading, writing = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns into the caller's code
            os.close(reading)
            _answer(writing, function, args)
        os.close(writing)
        self._reading = reading
        self._done = False

    def result(self) -> Any:
        """The call's return value; an exception it raised is raised here (a RuntimeError if it could not
        be pickled), and a child that died without answering (killed) is a RuntimeError."""
        with os.fdopen(self._reading, "rb") as stream:
            try:
                succeeded, value = pickle.load(stream)
            except EOFError:
                succeeded, value = False, None
        _pid, status = os.waitpid(self.pid, 0)
        self._done = True
        if not succeeded:
            raise value if value is not None else RuntimeError(
                f"the forked process {self.pid} ended without an answer (wait status {status})")
        return value

    def cancel(self) -> None:
        """End the child if its result was not collected (the caller's own part failed)."""
        if self._done:
            return
        self._done = True
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self._reading)


def _answer(writing: int, function: Callable[..., Any], args: tuple) -> None:
    status = 0
    try:
        _die_with_parent()
        try:
            answer = (True, function(*args))
        except Exception as error:  # noqa: BLE001 - handed to the parent, which raises it
            answer = (False, error)
        with os.fdopen(writing, "wb") as stream:
            try:
                data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
            except (pickle.PicklingError, TypeError, AttributeError):
                data = pickle.dumps((False, RuntimeError(f"{type(answer[1]).__name__}: {answer[1]}")))
            stream.write(data)
    except BaseException:  # noqa: BLE001 - nothing may escape into the parent's code in the child
        status = 1
    finally:
        os._exit(status)
