"""`make bench`: every speed goal of chapbook in one run, side by side with the stock route, alternating.

Cases (BENCH_ONLY=essay,20x,posts,gemlog,watch,phases,engine picks some; BENCH_RUNS=3 runs each):
- essay, 20x: chapbook on the four formats the stock route makes (the ratio), all eight editions
  (no ratio), `--force` over the last build, nothing changed, peak memory (a run of its own);
- posts: a gemlog of 30 posts cut from the essay, against the stock route run per file; cores used;
- gemlog: 100, 300 and 1,000 posts: cold, nothing changed, one edit, the largest process (gemlog.py);
- watch: a real `chapbook watch`, one-word edits, seconds from the save to each file's first change, per
  edition and per file, with the default editions and with the stock route's four formats and the web site;
- phases: where the essay's and the 20x essay's PDF spend their time inside chapbook's writer
  (phases.py), and zlib level 6 against 9 for the 20x PDF;
- engine: what each reach of the PDF engine room buys: the essay's PDF editions with every reach on,
  each switched off alone and all off (engine.py; CHAPBOOK_ENGINE).
Then the machine's facts and every goal with PASS or MISS.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import engine
from gemlog import SIZES as GEMLOG_SIZES
from gemlog import compare_gemlog
from processes import Sample, peak_memory, timed, timed_all
from sources import ESSAY, ROOT, make_essays, make_posts
from watching import WatchResult, measure_watch

from pipeline.editions import edition as edition_named

BIN = Path(sys.executable).parent
CHAPBOOK = str(BIN / "chapbook")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CASES = ("essay", "20x", "posts", "gemlog", "watch", "phases", "engine")
ONLY = [case.strip() for case in os.environ.get("BENCH_ONLY", ",".join(CASES)).split(",") if case.strip()]
WATCH_EDITS = int(os.environ.get("BENCH_WATCH_EDITS", "5"))
STOCK_FORMATS = ("epub", "pdf", "txt", "gemini")  # what the stock route makes: the fair comparison
FOUR = [flag for name in STOCK_FORMATS for flag in ("-f", name)]
GOALS = {"essay": 0.6, "20x": 0.5, "posts": 0.1}
MEMORY_GOAL = 2**30
WATCH_GOALS = {"pdf": 0.8}
WATCH_OTHERS = 0.3  # every edition but the PDF family (issue 27)
WATCH_UNJUDGED = ("booklet",)  # made from the PDF: part of the PDF family, no goal of its own
LABEL = 62  # width of a row's label
# A line of `chapbook build` without -q: "  pdf     build/essay.pdf  97 kB  1.23 s".
_WRITTEN = re.compile(r"^  (\S+) +\S.*  ([0-9.]+) s$")
COLD = ("cold = --force into a fresh, empty output folder with an empty build cache (the engine data `make` "
        "leaves in the cache folder copied in)")


@dataclass
class Verdict:
    """One goal: what was measured against what was promised."""

    goal: str
    measured: str
    passed: bool

    def line(self) -> str:
        return f"  {'PASS' if self.passed else 'MISS'}  {self.goal:<{LABEL}} {self.measured}"


@dataclass
class Bench:
    """The run's shared state: its temporary folder, environment and the verdicts so far."""

    folder: Path
    env: dict
    verdicts: list[Verdict] = field(default_factory=list)
    fresh: int = 0
    engine_data: Path | None = None  # a cache folder holding only the engine data `make` writes (cold_cache)

    def fresh_folder(self, name: str) -> Path:
        """A new, empty folder (for an output folder or a cache) that no earlier run used."""
        self.fresh += 1
        path = self.folder / "runs" / f"{name}-{self.fresh}"
        path.mkdir(parents=True)
        return path

    def with_cache(self, cache: Path) -> dict:
        return dict(self.env, CHAPBOOK_CACHE_DIR=str(cache))

    def cold_cache(self) -> dict:
        """The environment of a cold build: a fresh cache folder holding only what `make` puts there.

        `make` writes the PDF engine's data (WeasyPrint's parsed C declarations, the default language's
        hyphenation patterns: pipeline/writers/pdf/engine/) once per installation, as Python writes its
        .pyc files; a build makes them only when they are missing. A cold build is the first build of a
        project, not of an installation: it finds them, as the stock route finds its own .pyc files.
        `first_build_ever` measures the build that makes them too.
        """
        cache = self.fresh_folder("cache")
        if self.engine_data is None:
            self.engine_data = self.fresh_folder("installed")
            for module in ("weasyprint_start", "hyphenation"):
                subprocess.run([sys.executable, "-m", f"pipeline.writers.pdf.engine.{module}"], cwd=ROOT,
                               env=self.with_cache(self.engine_data), check=True, capture_output=True)
        shutil.copytree(self.engine_data, cache, dirs_exist_ok=True)
        return self.with_cache(cache)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def timing_row(label: str, samples: list[Sample]) -> str:
    """A table row: median wall, its range, median CPU time of the process tree and the cores that makes."""
    walls = [sample.wall for sample in samples]
    spread = f"{min(walls):.2f}-{max(walls):.2f}" if len(walls) > 1 else ""
    cpu = median([sample.cpu for sample in samples])
    return (f"  {label:<{LABEL}} {median(walls):7.2f} s {spread:>12}  {cpu:7.2f} s"
            f"  {median([sample.cores for sample in samples]):4.2f}")


def table_head(title: str, columns: bool = True) -> None:
    print(f"\n== {title} (load {load()}) ==")
    if columns:
        print(f"  {'':<{LABEL}} {'median':>9} {'range':>12}  {'CPU':>9}  cores")


def stock_commands(source: Path, out: Path) -> list[list[str]]:
    """The stock route: one tool run per format (pandoc for EPUB, PDF through WeasyPrint and text; md2gemini)."""
    import pypandoc

    pandoc = pypandoc.get_pandoc_path()
    gemini = out / "stock-gemini"
    gemini.mkdir(parents=True, exist_ok=True)
    stem = source.stem
    return [[pandoc, str(source), "-o", str(out / f"{stem}.epub")],
            [pandoc, str(source), "--pdf-engine=weasyprint", "-o", str(out / f"{stem}.pdf")],
            [pandoc, str(source), "-t", "plain", "-o", str(out / f"{stem}.txt")],
            [str(BIN / "md2gemini"), "-w", "-d", str(gemini), str(source)]]


def chapbook_build(sources: list[Path], out: Path, formats: list[str], force: bool = True,
                   quiet: bool = True) -> list[str]:
    return ([CHAPBOOK, "build", *map(str, sources), "-o", str(out), *formats] + (["--force"] if force else [])
            + (["-q"] if quiet else []))


def eight_editions(bench: Bench, sources: list[Path], times: list[Sample], seconds: list[dict[str, float]]) -> None:
    """A cold build of all eight editions; the seconds chapbook prints for each edition's jobs, added up per edition."""
    lines: list[str] = []
    env = bench.cold_cache()
    times.append(timed(chapbook_build(sources, bench.fresh_folder("out"), [], quiet=False), ROOT, env, lines))
    run: dict[str, float] = {}
    for line in lines:
        match = _WRITTEN.match(line)
        if match:
            run[match.group(1)] = run.get(match.group(1), 0.0) + float(match.group(2))
    seconds.append(run)


def per_edition(seconds: list[dict[str, float]]) -> str:
    """Each edition's median seconds over the runs."""
    names = list(dict.fromkeys(name for run in seconds for name in run))
    return ", ".join(f"{name} {median([run.get(name, 0.0) for run in seconds]):.2f}" for name in names)


def rotated(steps: list, run: int) -> list:
    """The steps in a different order each run, so that no command always runs first (or after the same one)."""
    shift = run % len(steps)
    return steps[shift:] + steps[:shift]


def compare_essay(bench: Bench, name: str, source: Path) -> None:
    """One source: chapbook on the stock route's four formats (cold, over its last build, unchanged), all eight, stock.
    """
    times: dict[str, list[Sample]] = {key: [] for key in ("cold", "force", "unchanged", "stock", "eight", "first")}

    def chapbook_four() -> None:
        out, env = bench.fresh_folder("out"), bench.cold_cache()
        times["cold"].append(timed(chapbook_build([source], out, FOUR), ROOT, env))
        times["force"].append(timed(chapbook_build([source], out, FOUR), ROOT, env))
        times["unchanged"].append(timed(chapbook_build([source], out, FOUR, force=False), ROOT, env))
        first = bench.with_cache(bench.fresh_folder("cache"))  # nothing at all in the cache folder
        times["first"].append(timed(chapbook_build([source], bench.fresh_folder("out"), FOUR), ROOT, first))

    def stock() -> None:
        times["stock"].append(timed_all(stock_commands(source, bench.fresh_folder("stock")), ROOT, bench.env))

    seconds: list[dict[str, float]] = []
    eight_runs = 1 if name == "20x" else RUNS  # no goal, and a minute a run at 20x

    def eight() -> None:
        if len(times["eight"]) < eight_runs:
            eight_editions(bench, [source], times["eight"], seconds)

    table_head(f"{name} ({source.stat().st_size / 1000:.0f} kB): median of {RUNS} alternating runs; {COLD}")
    for run in range(RUNS):
        for step in rotated([chapbook_four, stock, eight], run):
            step()
    memory = peak_memory(chapbook_build([source], bench.fresh_folder("out"), FOUR), ROOT,
                         bench.with_cache(bench.fresh_folder("cache")))
    print(timing_row("chapbook -f epub -f pdf -f txt -f gemini, cold", times["cold"]))
    print(timing_row("  the same, --force over its own last build", times["force"]))
    print(timing_row("  the same, nothing changed (no --force)", times["unchanged"]))
    print(timing_row("  the same, first build after installing (engine data made)", times["first"]))
    print(timing_row("stock route: pandoc (epub, weasyprint pdf, plain), md2gemini", times["stock"]))
    print(timing_row(f"chapbook, all eight editions, cold ({len(times['eight'])} run(s), no ratio)", times["eight"]))
    print(f"    each edition's job, as chapbook prints it (s): {per_edition(seconds)}")
    print(f"  peak memory of the cold four-format build and its workers (a run of its own): {memory / 2**20:.0f} MiB")
    stock_median = median([sample.wall for sample in times["stock"]])
    cold = median([sample.wall for sample in times["cold"]]) / stock_median
    force = median([sample.wall for sample in times["force"]]) / stock_median
    print(f"  ratio chapbook / stock: cold {cold:.2f}, --force over the last build {force:.2f}")
    goal = GOALS[name]
    bench.verdicts.append(Verdict(f"{name}: cold four formats <= {goal} x stock", f"{cold:.2f} x", cold <= goal))
    if name == "20x":
        bench.verdicts.append(Verdict("20x: peak memory under 1 GiB", f"{memory / 2**20:.0f} MiB",
                                      memory < MEMORY_GOAL))


def compare_posts(bench: Bench) -> None:
    """30 posts: one chapbook build of all of them against the stock route run per file."""
    posts = make_posts(bench.folder / "posts" / "source")
    times: dict[str, list[Sample]] = {key: [] for key in ("cold", "stock", "eight")}

    def chapbook_four() -> None:
        env = bench.cold_cache()
        times["cold"].append(timed(chapbook_build(posts, bench.fresh_folder("out"), FOUR), ROOT, env))

    def stock() -> None:
        out = bench.fresh_folder("stock")
        times["stock"].append(timed_all([command for post in posts for command in stock_commands(post, out)],
                                        ROOT, bench.env))

    def eight() -> None:  # one run: no goal, and two layouts of 30 PDFs
        if not times["eight"]:
            eight_editions(bench, posts, times["eight"], [])

    size = sum(post.stat().st_size for post in posts)
    table_head(f"{len(posts)} posts cut from the essay at its sections ({size / 1000:.0f} kB in all, each with its "
               f"own title and date): median of {RUNS} alternating runs; {COLD}")
    for run in range(RUNS):
        for step in rotated([chapbook_four, stock, eight], run):
            step()
    memory = peak_memory(chapbook_build(posts, bench.fresh_folder("out"), FOUR), ROOT,
                         bench.with_cache(bench.fresh_folder("cache")))
    print(timing_row(f"chapbook -f epub -f pdf -f txt -f gemini, {len(posts)} sources, cold", times["cold"]))
    print(timing_row(f"stock route run per file ({4 * len(posts)} tool runs)", times["stock"]))
    print(timing_row("chapbook, all eight editions, cold (1 run, no ratio)", times["eight"]))
    print(f"  peak memory of the cold four-format build and its workers (a run of its own): {memory / 2**20:.0f} MiB")
    ratio = median([s.wall for s in times["cold"]]) / median([s.wall for s in times["stock"]])
    cores = median([s.cores for s in times["cold"]])
    print(f"  ratio chapbook / stock {ratio:.2f}; chapbook used {cores:.2f} of {os.cpu_count()} cores "
          "(CPU time of the build's process tree / wall time)")
    bench.verdicts.append(Verdict(f"posts: cold four formats <= {GOALS['posts']} x stock",
                                  f"{ratio:.2f} x, {cores:.2f} cores used", ratio <= GOALS["posts"]))


def show_watch(title: str, result: WatchResult, judged: bool, bench: Bench) -> None:
    """The seconds to each edition's files, then to each file's first change; a folder is judged by its pages,
    the EPUB by its first writing (the edit, before the PDF whose page list it then gets).

    A folder that copies the PDF (links_uses: the capsule, the web site) is written as soon as its pages
    can be, with the last PDF, then again once the new PDF is there: its pages (every file but the
    copies of the PDF family's files) show the edit at once; it is complete with the new PDF's copy.
    The PDF family (pdf, booklet, print) is judged by WATCH_GOALS alone; the booklet and print file by none.
    """
    print(f"  {title}: first build {result.first_build:.2f} s; watch's own 'rebuilt ... in N s' median "
          f"{median(result.reported):.2f} s over {len(result.reported)} edits")
    print(f"  {'edition':<10} {'median':>8} {'range':>12}  {'goal':>7}")
    for name in result.editions:
        folder = edition_named(name).is_folder
        # The EPUB (and the kepub made from it) shows the edit at once without the PDF's page list, then
        # again with it (write_early).
        made = edition_named(name)
        early = not folder and bool(result.first_file[name]) and any(
            edition_named(other).uses_if_built for other in (name, *made.uses))
        values = result.pages[name] if folder else result.first_file[name] if early else result.latency[name]
        goal = WATCH_GOALS.get(name, None if edition_named(name).worker or name in WATCH_UNJUDGED else WATCH_OTHERS)
        spread = f"{min(values):.2f}-{max(values):.2f}" if values else "-"
        last = f"  (every page; complete with the PDF's copy {median(result.latency[name]):.2f} s)" if folder else \
            f"  (the edit, without the page list; with it {median(result.latency[name]):.2f} s)" if early else ""
        missed = f"  not replaced after {result.missed[name]} edit(s)" if result.missed[name] else ""
        passed = bool(values) and goal is not None and median(values) <= goal
        verdict = ("PASS" if passed else "MISS") if judged and goal is not None else "-"
        shown_goal = f"{goal:5.1f} s" if goal is not None else f"{'-':>7}"
        print(f"  {name:<10} {median(values):8.2f} {spread:>12}  {shown_goal} {verdict}{last}{missed}")
        if judged and goal is not None:
            what = f"{name}'s pages" if folder else name
            bench.verdicts.append(Verdict(f"watch ({title}): {what} <= {goal} s", f"{median(values):.2f} s", passed))
    print(f"  {'file (first change after the save)':<{LABEL - 8}} {'median':>8} {'range':>12}")
    for path, values in sorted(result.files.items()):
        spread = f"{min(values):.2f}-{max(values):.2f}"
        print(f"  {path:<{LABEL - 8}} {median(values):8.2f} {spread:>12}")


def compare_watch(bench: Bench) -> None:
    """The watch goals with the default editions (as `chapbook watch` runs), then on the stock route's four formats."""
    from pipeline.editions import EDITIONS

    table_head(f"watch: a real `chapbook watch` on the essay, {WATCH_EDITS} one-word edits; seconds from the save "
               "to each file's change (mtime of the renamed file)", columns=False)
    # `chapbook watch`'s own choice: every edition but those made only on request (the zine, the cover).
    every = measure_watch(bench.folder, bench.env, CHAPBOOK, [e.name for e in EDITIONS if not e.on_request],
                          WATCH_EDITS)
    show_watch("the default editions", every, True, bench)
    four = measure_watch(bench.folder, bench.env, CHAPBOOK, [*STOCK_FORMATS, "web"], WATCH_EDITS)
    show_watch("-f epub -f pdf -f txt -f gemini -f web", four, True, bench)


PHASE_ROWS = (
    ("chapbook imports", "chapbook imports"),
    ("read (pandoc) and transforms", "read (pandoc) and transforms, not the PDF's"),
    ("import weasyprint", "import weasyprint"),
    ("warm-up (pdf.warm_up)", "warm-up (pdf.warm_up), besides import"),
    ("font coverage check", "font coverage check"),
    ("chapbook's own part of the render", "chapbook's own part of pdf.render"),
    ("HTML parse", "HTML parse"),
    ("CSS parse", "CSS parse"),
    ("CSS cascade", "CSS cascade"),
    ("box tree", "box tree"),
    ("layout", "layout"),
    ("drawing: pages, links, outlines", "drawing: pages, links, outlines"),
    ("drawing: fonts subset and embedded", "drawing: fonts subset and embedded"),
    ("drawing: PDF/UA tags", "drawing: PDF/UA tags"),
    ("serialisation (pydyf PDF.write)", "serialisation, without zlib"),
    ("of which zlib", "serialisation: zlib"),
)


def _phase_run(bench: Bench, source: Path, zlib: str = "", previous: Path | None = None,
               save: Path | None = None) -> dict:
    command = [sys.executable, str(Path(__file__).with_name("phases.py")), str(source), "--zlib", zlib]
    command += ["--previous", str(previous)] if previous else []
    command += ["--save", str(save)] if save else []
    cwd = bench.fresh_folder("phases")
    result = subprocess.run(command, cwd=cwd, env=bench.with_cache(bench.fresh_folder("cache")),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


PREVIOUS = "20x, last PDF"  # the 20x essay laid out again with its previous PDF, as --force and watch do


def compare_phases(bench: Bench, essays: dict[str, Path]) -> None:
    """The PDF's phases for the essay and the 20x essay (fresh processes, alternating), and zlib 6 against 9.

    The 20x essay is laid out cold, then again handed its last PDF (as a build over earlier outputs is).
    """
    table_head("PDF phases in-process: pipeline.writers.pdf.book.render on pipeline.build.prepare's document, "
               f"WeasyPrint's "
               f"functions timed (exclusive seconds), median of {RUNS} fresh processes, alternating", columns=False)
    runs: dict[str, list[dict]] = {"essay": [], "20x": [], PREVIOUS: []}
    last_pdf = bench.folder / "phases-20x.pdf"
    for run in range(RUNS):
        for name in rotated(["essay", "20x"], run):
            zlib = ("9,6" if run % 2 == 0 else "6,9") if name == "20x" else ""
            runs[name].append(_phase_run(bench, essays[name], zlib, save=last_pdf if name == "20x" else None))
        runs[PREVIOUS].append(_phase_run(bench, essays["20x"], previous=last_pdf))

    def cell(name: str, key: str) -> str:
        values = [result["seconds"].get(key) for result in runs[name]]
        if all(value is None for value in values):
            return f"{'-':>8} {'':>3}"
        gc = median([result["full_collections"].get(key, 0) for result in runs[name]])
        return f"{median([value or 0.0 for value in values]):8.2f} {gc:3.0f}"

    first = {name: results[0] for name, results in runs.items()}
    print(f"  {'phase':<46}" + "".join(f" {name:>13} {'gc2':>3}" for name in runs)
          + "   (gc2: full collections in the phase)")
    for key, label in PHASE_ROWS:
        if key == "layout":
            passes = "/".join(str(first[name]["notes"].get("layout passes (make_all_pages)", "?")) for name in runs)
            label = f"layout ({passes} passes)"
        if key == "font coverage check" and not first["essay"]["coverage_in_render"]:
            label += " (outside the render)"
        print(f"  {label:<46}" + "".join(f" {' ' * 5}{cell(name, key)}" for name in runs))

    def stat(label: str, values) -> None:
        print(f"  {label:<46}" + "".join(f" {values(name):>17}" for name in runs))

    stat("pdf.render wall (excludes warm-up and import)",
         lambda n: f"{median([r['render_wall'] for r in runs[n]]):.2f} s")
    stat("  CPU of child processes during the render",
         lambda n: f"{median([r['render_cpu_children'] for r in runs[n]]):.2f} s")
    stat("full gc collections / all collections",
         lambda n: f"{median([r['collections'].get('2', 0) for r in runs[n]]):.0f} / "
                   f"{median([sum(r['collections'].values()) for r in runs[n]]):.0f}")
    stat("time in the garbage collector", lambda n: f"{median([r['gc_seconds'] for r in runs[n]]):.2f} s")
    stat("gc while laying out", lambda n: first[n]["notes"].get("gc during layout", "?").split(",")[0])
    stat("pages, PDF size", lambda n: f"{first[n]['pages']}, {first[n]['bytes'] / 1000:.0f} kB")
    stat("peak RSS of the process", lambda n: f"{median([r['peak_rss'] for r in runs[n]]) / 2**20:.0f} MiB")
    same = {r["sha256"] for r in runs["20x"] + runs[PREVIOUS]}
    print("  the 20x PDF laid out with and without its last PDF: "
          + ("the same bytes" if len(same) == 1 else "DIFFERENT BYTES"))
    missing = first["essay"]["notes"].get("not found in this WeasyPrint")
    if missing:
        print(f"  not timed (not found in this WeasyPrint): {', '.join(missing)}")
    levels = {name: first[name]["zlib_levels_used"] for name in runs}
    print("\n  zlib level for the 20x PDF: a documented choice, not a default change (pydyf hard-codes "
          "zlib.compressobj(level=9) in Stream.data; each level is serialised from the same finished PDF)")
    level_times = {level: [r["notes"][f"zlib {level}"] for r in runs["20x"] if f"zlib {level}" in r["notes"]]
                   for level in (9, 6)}
    if not all(level_times.values()):
        print("    not measured: the render serialised no PDF with pydyf in this process")
        return
    for level, results in level_times.items():
        print(f"    level {level}: serialisation {median([r['seconds'] for r in results]):5.2f} s, "
              f"{median([r['bytes'] for r in results]) / 1000:7.0f} kB")
    nine, six = (median([r["seconds"] for r in level_times[level]]) for level in (9, 6))
    size9, size6 = (median([r["bytes"] for r in level_times[level]]) for level in (9, 6))
    print(f"    level 6 against 9: {six - nine:+.2f} s, {100 * (size6 / size9 - 1):+.1f} % bytes; "
          f"chapbook's PDF uses level {', '.join(map(str, levels['20x'])) or '?'} now")
    writes = max(r["notes"]["zlib 9"].get("writes", 1) for r in runs["20x"] if "zlib 9" in r["notes"])
    if writes > 1:  # a long book: its parts are serialised apart (one in a forked process, not timed here) and joined
        print(f"    (the 20x PDF is joined from parts: these are the {writes} this process serialised; the "
              "forked part's are not counted)")
        return
    same = all(r["notes"]["zlib 9"].get("sha256") == r["sha256"] for r in runs["20x"] if "zlib 9" in r["notes"])
    print(f"    the bench's level-9 serialisation is byte-identical to chapbook's PDF: {'yes' if same else 'no'}")


def compare_reaches(bench: Bench, essays: dict[str, Path]) -> None:
    """What each reach of the engine room buys on the essay's PDF editions (engine.py); no goal, a finding."""
    table_head(f"engine room: the essay's PDF editions with each reach switched off (CHAPBOOK_ENGINE), median of "
               f"{max(RUNS, 5)} alternating runs; --force into fresh output folders, the cache folder warmed",
               columns=False)
    samples = engine.measure(bench.fresh_folder("engine"), bench.env, essays["essay"], max(RUNS, 5))
    engine.report("essay: -f pdf -f print -f booklet", samples)


def machine_facts() -> list[str]:
    import pypandoc

    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), "0")
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return [f"machine: {os.cpu_count()} cores ({len(os.sched_getaffinity(0))} usable), {int(memory) / 2**20:.1f} GiB, "
            f"{platform.platform()}",
            f"versions: Python {platform.python_version()}, pandoc {pypandoc.get_pandoc_version()}, WeasyPrint "
            f"{version('weasyprint')}, pydyf {version('pydyf')}, md2gemini {version('md2gemini')}, chapbook "
            f"{version('chapbook')} at {commit.stdout.strip() or 'no git commit'}"]


def start_up(bench: Bench) -> None:
    bare = median([timed([sys.executable, "-c", "pass"], ROOT, bench.env).wall for _ in range(5)])
    version = median([timed([CHAPBOOK, "--version"], ROOT, bench.env).wall for _ in range(5)])
    print(f"\nstart-up: chapbook --version {version:.2f} s, python -c pass {bare:.2f} s ({version / bare:.1f} x)")


def main() -> None:
    unknown = set(ONLY) - set(CASES)
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown case(s) {', '.join(sorted(unknown))}; choose from {', '.join(CASES)}")
    began = time.perf_counter()
    print(f"chapbook bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, BENCH_RUNS={RUNS}, cases: {', '.join(ONLY)}")
    for line in machine_facts():
        print(line)
    print(f"load average (1, 5, 15 min) before: {load()}; SOURCE_DATE_EPOCH set; essay: {ESSAY.relative_to(ROOT)}")
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}", SOURCE_DATE_EPOCH="1722384000")
    with tempfile.TemporaryDirectory(prefix="chapbook-bench-") as temporary:
        bench = Bench(Path(temporary), env)
        essays = make_essays(bench.folder / "essays")
        for name in ("essay", "20x"):
            if name in ONLY:
                compare_essay(bench, name, essays[name])
        if "posts" in ONLY:
            compare_posts(bench)
        if "gemlog" in ONLY:
            table_head(f"gemlogs of {', '.join(map(str, GEMLOG_SIZES))} posts (sources.make_gemlog), -f epub -f txt "
                       "-f gemini -f web", columns=False)
            compare_gemlog(bench, RUNS, chapbook_build, stock_commands, median,
                           lambda goal, measured, passed: bench.verdicts.append(Verdict(goal, measured, passed)))
        if "watch" in ONLY:
            compare_watch(bench)
        if "phases" in ONLY:
            compare_phases(bench, essays)
        if "engine" in ONLY:
            compare_reaches(bench, essays)
        if {"essay", "20x"} & set(ONLY):
            start_up(bench)
        shutil.rmtree(bench.folder / "runs", ignore_errors=True)
    print(f"\ngoals (load average after: {load()}; the whole run took {(time.perf_counter() - began) / 60:.1f} min):")
    for verdict in bench.verdicts:
        print(verdict.line())


if __name__ == "__main__":
    main()
