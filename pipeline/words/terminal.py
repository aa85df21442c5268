"""Text shown on a terminal: control characters from sources or clients escaped, never obeyed.

An ESC sequence in a source's text, a file name or a Gemini request can retitle, recolour or
clear the terminal that prints it; `shown` turns every C0 and C1 control character (and DEL)
into a visible `\\x1b`-style escape before a warning or a log line reaches the terminal.
"""

from __future__ import annotations

import logging
import re

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """`text` with every control character written as a visible escape (`\\x1b`, `\\n`, `\\t`)."""
    return _CONTROLS.sub(lambda match: match.group(0).encode("unicode_escape").decode("ascii"), text)


class EscapingFormatter(logging.Formatter):
    """A logging formatter whose messages show control characters escaped; one record is one line."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as `prefix(record) + message`, its control characters escaped."""
        return self.prefix(record) + shown(record.getMessage())

    def prefix(self, record: logging.LogRecord) -> str:
        """What goes before the message; subclasses name the level as they like."""
        return ""
