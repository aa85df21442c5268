"""Errors that carry a file, a line and a sentence, printed by the CLI as one line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class ChapbookError(Exception):
    """A problem the writer can fix: where it is, what is wrong, what to do."""

    path: Path | str | None
    problem: str
    remedy: str = ""
    line: int | None = None
    exit_status = 1  # a class attribute, not a field: the CLI exits with it

    def __reduce__(self):
        # Errors raised in the PDF worker process travel back to the CLI by pickling.
        return (type(self), (self.path, self.problem, self.remedy, self.line))

    def __str__(self) -> str:
        where = str(self.path) if self.path is not None else "chapbook"
        if self.line is not None:
            where += f":{self.line}"
        message = f"{where}: {self.problem}"
        if self.remedy:
            message += f"; {self.remedy}"
        return message


class Interrupted(ChapbookError):
    """Work stopped by Ctrl-C at a safe point, said in one line like any error; the exit status is 128 + SIGINT,
    as shells report a command killed by it and rclone exits (lib/atexit/atexit_unix.go), so a script's `$?`
    tells an interruption from a failure."""

    exit_status = 130
