"""`make bench`: chapbook against the stock route (one tool run per format), on the essay and a 20x essay.

Prints medians of several alternating runs, the ratios the project promises, and peak memory
(the sum of the resident memory of a build and all its child processes, sampled every 20 ms in a run
of its own, so sampling never slows a timed run).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ESSAY = ROOT / "source" / "essay.md"
BIN = Path(sys.executable).parent
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack += children.get(current, [])
    return total


def _finished(process: subprocess.Popen, command: list[str]) -> None:
    _out, errors = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{errors.decode(errors='replace')}")


def timed(command: list[str], cwd: Path, env: dict) -> float:
    """Wall time of one command, which must succeed (nothing else runs meanwhile)."""
    started = time.perf_counter()
    _finished(subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE),
              command)
    return time.perf_counter() - started


def peak_memory(command: list[str], cwd: Path, env: dict) -> int:
    """Peak resident memory of one command's process tree, sampled every 20 ms.

    A run of its own: scanning /proc takes CPU, which would slow a timed build that uses both cores.
    """
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        _finished(process, command)
    finally:
        done.set()
        sampler.join()
    return peak


def make_sources(folder: Path) -> dict[str, Path]:
    """The essay and the essay's body repeated 20 times (a book-length source)."""
    text = ESSAY.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    sources = {}
    for name, copies in (("1x", 1), ("20x", 20)):
        path = folder / name / "essay.md"
        path.parent.mkdir(parents=True)
        path.write_text(head + "\n---\n" + ("\n\n" + body) * copies, encoding="utf-8")
        sources[name] = path
    return sources


def stock_commands(source: Path, out: Path) -> list[list[str]]:
    """One stock tool run per format."""
    pandoc = subprocess.run([sys.executable, "-c", "import pypandoc; print(pypandoc.get_pandoc_path())"],
                            capture_output=True, text=True, check=True).stdout.strip()
    return [[pandoc, str(source), "-o", str(out / "stock.epub")],
            [pandoc, str(source), "--pdf-engine=weasyprint", "-o", str(out / "stock.pdf")],
            [pandoc, str(source), "-t", "plain", "-o", str(out / "stock.txt")],
            [str(BIN / "md2gemini"), "-w", "-d", str(out / "stock-gemini"), str(source)]]


def main() -> None:
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}", SOURCE_DATE_EPOCH="1722384000")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        env["CHAPBOOK_CACHE_DIR"] = str(folder / "cache")
        sources = make_sources(folder)
        results: dict[str, dict[str, list[float]]] = {}
        for name, source in sources.items():
            out = folder / f"out-{name}"
            (out / "stock-gemini").mkdir(parents=True)
            times = {"chapbook": [], "stock": [], "unchanged": []}
            chapbook = [str(BIN / "chapbook"), "build", str(source), "-o", str(out / "chapbook"), "-q"]
            for _run in range(RUNS):
                times["chapbook"].append(timed(chapbook + ["--force"], ROOT, env))
                times["unchanged"].append(timed(chapbook, ROOT, env))
                times["stock"].append(sum(timed(command, ROOT, env) for command in stock_commands(source, out)))
            times["memory"] = [peak_memory(chapbook + ["--force"], ROOT, env)]
            results[name] = times
            size = source.stat().st_size
            print(f"{name} essay ({size / 1000:.0f} kB), median of {RUNS} runs:")
            print(f"  chapbook, all four editions  {statistics.median(times['chapbook']):6.2f} s")
            print(f"  stock route, four tools      {statistics.median(times['stock']):6.2f} s")
            ratio = statistics.median(times["chapbook"]) / statistics.median(times["stock"])
            print(f"  ratio chapbook / stock       {ratio:6.2f}")
            print(f"  rebuild, nothing changed     {statistics.median(times['unchanged']):6.2f} s "
                  f"({statistics.median(times['unchanged']) / statistics.median(times['chapbook']):.2f} x cold)")
            print(f"  peak memory (build + worker) {max(times['memory']) / 2**20:6.0f} MiB")
        bare = statistics.median(timed([sys.executable, "-c", "pass"], ROOT, env) for _ in range(5))
        start_up = statistics.median(timed([str(BIN / "chapbook"), "--version"], ROOT, env) for _ in range(5))
        print(f"start-up: chapbook --version {start_up:.2f} s, python -c pass {bare:.2f} s ({start_up / bare:.1f} x)")
        growth = statistics.median(results["20x"]["chapbook"]) / statistics.median(results["1x"]["chapbook"])
        print(f"20x input took {growth:.1f} x the time of 1x (linear would be 20 x)")
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
