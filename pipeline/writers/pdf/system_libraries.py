"""The system libraries WeasyPrint loads (Pango, HarfBuzz, fontconfig, GObject): when one is missing, one line
saying which and how to install them, instead of WeasyPrint's OSError and traceback.

WeasyPrint loads them with cffi's `dlopen` when it is imported (weasyprint/text/ffi.py); a missing one raises
`OSError: cannot load library 'libpango-1.0-0': …` (or `… did not manage to locate a library called
'libharfbuzz-0'`), after WeasyPrint printed advice of its own to stdout. The
commands are those of WeasyPrint's installation guide (docs/first_steps.rst, "Installation": Ubuntu
`libpango-1.0-0 libharfbuzz0b libpangoft2-1.0-0`, Fedora `pango`, macOS Homebrew), with Debian's
`libharfbuzz-subset0`, which spares WeasyPrint its slower fontTools subsetter.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from collections.abc import Iterator

from pipeline.errors import ChapbookError

INSTALL = ("Debian/Ubuntu: sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0; "
           "Fedora: sudo dnf install pango; macOS: brew install pango")
# What each library WeasyPrint loads is part of, by the start of its name ("lib" aside); the first match counts.
LIBRARIES = {"gobject": "GLib (GObject)", "pangoft2": "Pango (PangoFT2)", "pango": "Pango", "harfbuzz": "HarfBuzz",
             "fontconfig": "fontconfig"}
# cffi's two wordings: a name with a dot ("libpango-1.0-0") is tried by dlopen first, one without ("libharfbuzz-0")
# only through ctypes.util.find_library.
_CANNOT_LOAD = re.compile(r"(?:cannot load library|did not manage to locate a library called) '([^']+)'")


def missing_library(error: OSError) -> str | None:
    """The library a WeasyPrint import could not load, as named in `error` (`libpango-1.0-0`), or None."""
    found = _CANNOT_LOAD.search(str(error))
    if found is None:
        return None
    return found.group(1) if _part_of(found.group(1)) else None


def _part_of(library: str) -> str | None:
    return next((label for prefix, label in LIBRARIES.items() if library.removeprefix("lib").startswith(prefix)),
                None)


def missing_library_error(library: str) -> ChapbookError:
    """The one-line error for a system library WeasyPrint needs and cannot load."""
    what = _part_of(library) or library
    return ChapbookError(None, f"the PDF editions need {what} ({library}), which is not installed",
                         f"install it: {INSTALL}; or build the other editions with -f")


@contextlib.contextmanager
def explained_library_errors() -> Iterator[None]:
    """Around `import weasyprint`: a system library it cannot load becomes a one-line ChapbookError.

    What WeasyPrint prints while it is imported is held back, and dropped only when the error is explained.
    """
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            yield
    except OSError as error:
        library = missing_library(error)
        if library is None:
            sys.stdout.write(printed.getvalue())
            raise
        raise missing_library_error(library) from None
    sys.stdout.write(printed.getvalue())
