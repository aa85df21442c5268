"""Where one PDF's time goes: chapbook's own PDF writer, in this process, with timers around WeasyPrint's phases.

Run by run.py as `python phases.py SOURCE [--zlib 9,6] [--previous PDF]` in a fresh process (so `import weasyprint`
is cold); prints one JSON object. The timers are wrapped around functions of the installed
WeasyPrint and pydyf in this process only (chapbook is never patched): each phase's time excludes
the phases nested in it, so the rows add up to the render. `--zlib` also serialises the finished
PDF at each zlib level given (pydyf hard-codes `zlib.compressobj(level=9)` in `Stream.data`), to
compare time and size; the PDF's real serialisation keeps whatever level chapbook uses.
"""

from __future__ import annotations

import argparse
import builtins
import functools
import gc
import hashlib
import inspect
import io
import json
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

OUTSIDE = "outside any phase"
WEASYPRINT_IMPORT = "import weasyprint"
# (row, module, attribute): every reference to the function in weasyprint's modules is wrapped,
# so a change in where WeasyPrint imports it from does not hide it. Missing ones are reported.
WEASYPRINT_PHASES = (
    ("HTML parse", "weasyprint", "HTML.__init__"),
    ("CSS parse", "weasyprint", "CSS.__init__"),
    ("CSS cascade", "weasyprint.css", "get_all_computed_styles"),
    ("box tree", "weasyprint.formatting_structure.build", "build_formatting_structure"),
    ("layout", "weasyprint.layout", "layout_document"),
    ("drawing: pages, links, outlines", "weasyprint.pdf", "generate_pdf"),
    ("drawing: fonts subset and embedded", "weasyprint.pdf.fonts", "build_fonts_dictionary"),
    ("drawing: PDF/UA tags", "weasyprint.pdf.tags", "add_tags"),
    ("serialisation (pydyf PDF.write)", "pydyf", "PDF.write"),
)
ZLIB = "of which zlib"
COMPARISON = "bench only: zlib levels compared"


class Phases:
    """Exclusive wall time per phase (a stack: time goes to the innermost phase), calls and full gc runs."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter = Counter()
        self.full_collections: Counter = Counter()
        self.collections = Counter()
        self.gc_seconds = 0.0
        self.notes: dict[str, object] = {}
        self.stack: list[str] = []
        self.absorbing = 0  # inside warm-up: nested WeasyPrint phases count as warm-up
        self.mark = time.perf_counter()
        self._gc_started = 0.0

    def _switch(self) -> None:
        now = time.perf_counter()
        self.seconds[self.stack[-1] if self.stack else OUTSIDE] += now - self.mark
        self.mark = now

    def begin(self, name: str) -> None:
        """Enter a phase."""
        self._switch()
        self.stack.append(name)
        self.calls[name] += 1

    def end(self) -> None:
        """Leave the innermost phase."""
        self._switch()
        self.stack.pop()

    def wrap(self, name: str, function, absorbs: bool = False):
        """`function` timed as phase `name` (unless it runs inside a phase that absorbs others).

        A generator's time is its iteration's (WeasyPrint's layout_document yields the pages).
        """
        @functools.wraps(function)
        def timed(*args, **kwargs):
            if self.absorbing and not absorbs:
                return function(*args, **kwargs)
            self.begin(name)
            self.absorbing += absorbs
            try:
                result = function(*args, **kwargs)
            finally:
                self.absorbing -= absorbs
                self.end()
            return self._timed_iteration(name, result) if inspect.isgenerator(result) else result
        return timed

    def _timed_iteration(self, name: str, generator):
        while True:
            self.begin(name)
            try:
                item = next(generator)
            except StopIteration:
                return
            finally:
                self.end()
            yield item

    def on_gc(self, stage: str, info: dict) -> None:
        """gc.callbacks hook: counts collections, full ones per phase, and the time they take."""
        if stage == "start":
            self.collections[info["generation"]] += 1
            if info["generation"] == 2:
                self.full_collections[self.stack[-1] if self.stack else OUTSIDE] += 1
            self._gc_started = time.perf_counter()
        else:
            self.gc_seconds += time.perf_counter() - self._gc_started


def _resolve(module_name: str, attribute: str):
    module = sys.modules.get(module_name)
    owner, _, name = attribute.rpartition(".")
    if module is not None and owner:
        module = getattr(module, owner, None)
    return module, name


def _wrap_everywhere(phases: Phases, row: str, module_name: str, attribute: str) -> bool:
    """Wrap a function where it is defined and wherever weasyprint's modules imported it by name."""
    owner, name = _resolve(module_name, attribute)
    original = getattr(owner, name, None) if owner is not None else None
    if original is None:
        return False
    wrapped = phases.wrap(row, original)
    setattr(owner, name, wrapped)
    if "." not in attribute:
        for module_key, module in list(sys.modules.items()):
            if module_key.split(".")[0] in ("weasyprint", "pydyf") and getattr(module, name, None) is original:
                setattr(module, name, wrapped)
    return True


class _TimedCompressor:
    def __init__(self, phases: Phases, compressor) -> None:
        self.phases, self.compressor = phases, compressor

    def compress(self, data: bytes) -> bytes:
        self.phases.begin(ZLIB)
        try:
            return self.compressor.compress(data)
        finally:
            self.phases.end()

    def flush(self, *args) -> bytes:
        self.phases.begin(ZLIB)
        try:
            return self.compressor.flush(*args)
        finally:
            self.phases.end()


class ZlibProxy:
    """Stands in for pydyf's `zlib`: times compression and can force a level (None: the level pydyf asks for)."""

    def __init__(self, phases: Phases, real) -> None:
        self.phases, self.real = phases, real
        self.level: int | None = None  # set while the bench compares levels
        self.levels_seen: set[int] = set()

    def __getattr__(self, name: str):
        return getattr(self.real, name)

    def compressobj(self, level: int = -1, *args, **kwargs):
        compressor = self.real.compressobj(self.level or level, *args, **kwargs)
        if self.level:
            return compressor
        self.levels_seen.add(level)
        return _TimedCompressor(self.phases, compressor)

    def compress(self, data: bytes, level: int = -1, **kwargs) -> bytes:
        if self.level:
            return self.real.compress(data, self.level, **kwargs)
        self.levels_seen.add(level)
        self.phases.begin(ZLIB)
        try:
            return self.real.compress(data, self.level or level, **kwargs)
        finally:
            self.phases.end()


def _compare_levels(phases: Phases, proxy: ZlibProxy, write, timed_write, levels: list[int]):
    """PDF.write wrapped: first serialise at each of `levels` to memory (timed, sized), then as chapbook asks."""
    @functools.wraps(write)
    def write_compared(pdf, output, *args, **kwargs):
        if phases.absorbing:  # a PDF written inside the warm-up (it writes none now): not the one compared
            return timed_write(pdf, output, *args, **kwargs)
        kept = len(pdf.objects)
        phases.begin(COMPARISON)
        for level in levels:
            proxy.level = level
            buffer = io.BytesIO()
            started = time.perf_counter()
            write(pdf, buffer, *args, **kwargs)
            seen = phases.notes.setdefault(f"zlib {level}", {"seconds": 0.0, "bytes": 0, "writes": 0})  # added up
            seen["seconds"] += time.perf_counter() - started
            seen["writes"] += 1
            seen["bytes"] += len(buffer.getvalue())
            seen["sha256"] = hashlib.sha256(buffer.getvalue()).hexdigest()
            del pdf.objects[kept:]  # write() appends the info, object and xref streams; a new write adds them again
            pdf.current_position, pdf.xref_position = 0, None
        proxy.level = None
        phases.end()
        return timed_write(pdf, output, *args, **kwargs)
    return write_compared


def install(phases: Phases, zlib_levels: list[int]) -> None:
    """Time WeasyPrint's first import; once it is imported, wrap its phases (and pydyf's zlib)."""
    real_import = builtins.__import__

    def timing_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level or name.partition(".")[0] != "weasyprint" or "weasyprint" in sys.modules:
            return real_import(name, globals, locals, fromlist, level)
        builtins.__import__ = real_import
        phases.begin(WEASYPRINT_IMPORT)
        try:
            return real_import(name, globals, locals, fromlist, level)
        finally:
            phases.end()
            _wrap_weasyprint(phases, zlib_levels)

    builtins.__import__ = timing_import


def _wrap_weasyprint(phases: Phases, zlib_levels: list[int]) -> None:
    import pydyf
    import weasyprint.css
    import weasyprint.formatting_structure.build
    import weasyprint.layout
    import weasyprint.pdf
    import weasyprint.pdf.fonts
    import weasyprint.pdf.tags  # noqa: F401 - imported so that their functions can be wrapped

    proxy = ZlibProxy(phases, pydyf.zlib)
    pydyf.zlib = proxy
    phases.notes["zlib proxy"] = proxy
    write = pydyf.PDF.write
    missing = [f"{module}.{attribute}" for row, module, attribute in WEASYPRINT_PHASES
               if not _wrap_everywhere(phases, row, module, attribute)]
    if zlib_levels:
        pydyf.PDF.write = _compare_levels(phases, proxy, write, pydyf.PDF.write, zlib_levels)
    phases.notes["not found in this WeasyPrint"] = missing
    _replace(weasyprint.layout.layout_document, _noting_gc(phases, weasyprint.layout.layout_document))
    make_all_pages = getattr(weasyprint.layout, "make_all_pages", None)
    if make_all_pages is not None:
        _replace(make_all_pages, _counting(phases, "layout passes (make_all_pages)", make_all_pages))


def _replace(original, replacement) -> None:
    """Put `replacement` wherever a weasyprint module refers to `original` by name."""
    for module_key, module in list(sys.modules.items()):
        if module_key.startswith("weasyprint"):
            for name, value in list(vars(module).items()):
                if value is original:
                    setattr(module, name, replacement)


def _noting_gc(phases: Phases, layout):
    @functools.wraps(layout)
    def layout_noting_gc(*args, **kwargs):
        phases.notes["gc during layout"] = ("enabled" if gc.isenabled() else "disabled") + \
            f", {gc.get_freeze_count()} objects frozen"
        return layout(*args, **kwargs)
    return layout_noting_gc


def _counting(phases: Phases, name: str, function):
    @functools.wraps(function)
    def counted(*args, **kwargs):
        phases.notes[name] = phases.notes.get(name, 0) + (0 if phases.absorbing else 1)
        return function(*args, **kwargs)
    return counted


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _companions(previous: bytes | None) -> dict:
    """What a build hands the PDF writer: its last PDF, when given (and when this chapbook reads one)."""
    from pipeline import editions

    if previous is None or not hasattr(editions, "PREVIOUS"):
        return {}
    return {editions.PREVIOUS: editions.Companion("pdf", "essay.pdf", previous)}


def measure(source: Path, zlib_levels: list[int], previous: bytes | None = None, save: Path | None = None) -> dict:
    """Read `source`, run the PDF writer's warm-up (if it has one) and render the PDF, timing every phase."""
    phases = Phases()
    gc.callbacks.append(phases.on_gc)
    install(phases, zlib_levels)
    started = time.perf_counter()
    phases.begin("chapbook imports")
    from pipeline.build import prepare
    from pipeline.writers.pdf import book as pdf
    from pipeline.writers.shared import fonts
    phases.end()
    check_coverage = fonts.check_coverage
    timed_coverage = phases.wrap("font coverage check", check_coverage)
    for module in [m for key, m in sys.modules.items() if key.startswith("pipeline")]:
        if getattr(module, "check_coverage", None) is check_coverage:
            module.check_coverage = timed_coverage
    phases.begin("read (pandoc) and transforms")
    document = prepare(source)
    phases.end()
    if hasattr(pdf, "warm_up"):
        phases.wrap("warm-up (pdf.warm_up)", pdf.warm_up, absorbs=True)()
    cpu_self, cpu_children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
    render_started = time.perf_counter()
    phases.begin("chapbook's own part of the render")
    data = pdf.render(document, _companions(previous))
    phases.end()
    render_wall = time.perf_counter() - render_started - phases.seconds.get(COMPARISON, 0.0)
    render_cpu_children = _cpu(resource.RUSAGE_CHILDREN) - cpu_children
    render_cpu_self = _cpu(resource.RUSAGE_SELF) - cpu_self
    coverage_in_render = phases.calls["font coverage check"] > 0
    if not coverage_in_render:  # the check moved out of the render (to the main process): measure it anyway
        timed_coverage(document, getattr(pdf, "GENERATED_TEXT", ""))
    total = time.perf_counter() - started
    gc.callbacks.remove(phases.on_gc)
    proxy = phases.notes.pop("zlib proxy", None)
    if save is not None:
        save.write_bytes(data)
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(data)).pages)
    return {
        "sha256": hashlib.sha256(data).hexdigest(), "seconds": dict(phases.seconds), "calls": dict(phases.calls),
        "full_collections": dict(phases.full_collections), "collections": dict(phases.collections),
        "gc_seconds": phases.gc_seconds, "render_wall": render_wall, "render_cpu_self": render_cpu_self,
        "render_cpu_children": render_cpu_children, "total": total, "bytes": len(data), "pages": pages,
        "coverage_in_render": coverage_in_render,
        "zlib_levels_used": sorted(proxy.levels_seen) if proxy else [],
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "notes": {key: value for key, value in phases.notes.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the phases of one PDF; prints JSON.")
    parser.add_argument("source", type=Path)
    parser.add_argument("--zlib", default="", help="levels to serialise the finished PDF at too, e.g. 9,6")
    parser.add_argument("--previous", type=Path, help="the book's last PDF, handed to the writer as a build does")
    parser.add_argument("--save", type=Path, help="where to write the PDF")
    arguments = parser.parse_args()
    levels = [int(level) for level in arguments.zlib.split(",") if level]
    previous = arguments.previous.read_bytes() if arguments.previous else None
    json.dump(measure(arguments.source, levels, previous, arguments.save), sys.stdout)


if __name__ == "__main__":
    main()
