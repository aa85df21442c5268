"""`chapbook watch`'s loop: build, then rebuild on every save, with warm PDF workers kept for the session.

`chapbook watch` runs it in the main thread; `chapbook serve --watch` in a thread beside its servers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

from pipeline.build import Written, build, check_output_folder, session_workers
from pipeline.errors import ChapbookError
from pipeline.files.resources import STYLES

# watchfiles yields a batch of changes once none came for this long (its default, 50 ms, put 50-100 ms
# between a save and the rebuild); an editor's save is a burst of events well under 10 ms apart.
WATCH_STEP_MS = 10


class WatchSession:
    """Builds `sources` into `outdir` now and after every change to their folders or styles/.

    `on_rebuilt(written, seconds)` hears of each build; `on_error(line)` of a build that failed, which
    never ends the session. Use it as a context manager: the PDF workers live as long as it does.
    """

    def __init__(self, sources: list[Path], outdir: Path, editions: list[str],
                 on_rebuilt: Callable[[list[Written], float], None], on_error: Callable[[str], None]) -> None:
        self.sources, self.outdir, self.editions = sources, outdir, editions
        self.on_rebuilt, self.on_error = on_rebuilt, on_error
        self.workers = None

    def __enter__(self) -> WatchSession:
        check_output_folder(self.outdir)  # a source error is worth waiting out; an unusable folder is not
        self.workers = session_workers(self.sources, self.editions)
        self._held = self.workers or nullcontext()
        self._held.__enter__()
        return self

    def __exit__(self, *exc_info) -> None:
        self._held.__exit__(*exc_info)

    def rebuild(self) -> None:
        """Build what changed, and report it; a failed build is reported and the session goes on."""
        started = time.perf_counter()
        if self.workers:
            self.workers.replenish()  # one that died while idle is replaced before it is needed
        try:
            written = build(self.sources, self.outdir, self.editions, pool=self.workers)
        except ChapbookError as error:
            self.on_error(str(error))
            return
        except Exception as error:  # noqa: BLE001 - one bad save must not end the watch
            self.on_error(f"chapbook: unexpected {type(error).__name__} ({error}); still watching; "
                          "chapbook build --debug shows where")
            return
        finally:
            if self.workers:
                self.workers.replenish()  # one this rebuild lost warms up again while the author writes
        self.on_rebuilt(written, time.perf_counter() - started)

    def follow(self, stop: threading.Event | None = None) -> None:
        """Rebuild after each batch of saves until `stop` is set (or, in the main thread, Ctrl-C)."""
        import watchfiles

        folders = {path.resolve().parent for path in self.sources} | ({STYLES} if STYLES.is_dir() else set())
        output = self.outdir.resolve()

        def outside_output(_change, name: str) -> bool:
            return not Path(name).is_relative_to(output)

        for _changes in watchfiles.watch(*folders, watch_filter=outside_output, step=WATCH_STEP_MS,
                                         stop_event=stop, raise_interrupt=stop is None):
            self.rebuild()
