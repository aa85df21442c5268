"""The gemlog case of `make bench`: how a build grows with the number of posts (issue 30).

Gemlogs of 100, 300 and 1,000 posts (sources.make_gemlog), every edition the capsule and the site need
(`-f epub -f txt -f gemini -f web`: the capsule links each post's PDF too). For each size: one cold
build (an empty output folder and cache; the only run at 1,000 posts, the expensive one), then
alternating runs of a one-word edit to one post and of nothing changed; the peak resident memory of
each process of the tree (the largest one); and the stock route run per file on a sample of posts,
its cost per post times the number of posts (each of its runs is a process of its own: a cost per
file by nature).
"""

from __future__ import annotations

import os
from pathlib import Path

from processes import sampled_peak, timed, timed_all, tree_sizes
from sources import make_gemlog

SIZES = tuple(int(size) for size in os.environ.get("BENCH_GEMLOG_SIZES", "100,300,1000").split(","))
FORMATS = ["-f", "epub", "-f", "txt", "-f", "gemini", "-f", "web"]
GOALS = {300: 1.0, 1000: 1.5}  # one edit, seconds
NOOP_GOAL = 0.3  # nothing changed, at 1,000 posts
MEMORY_GOAL = 400 * 2**20  # every process
STOCK_SAMPLE = 5  # posts the stock route is run on


def largest_process(pid: int) -> int:
    """The resident bytes of the largest process among `pid` and its descendants."""
    return max(tree_sizes(pid), default=0)


def timed_with_memory(command: list[str], cwd: Path, env: dict) -> tuple[float, int]:
    """Wall seconds and the peak of the largest process (sampled every 50 ms) of one run."""
    return sampled_peak(command, cwd, env, largest_process, 0.05)


def _edit(post: Path, run: int) -> None:
    """A one-word change, undone on the next run (each run is a real change)."""
    text = post.read_text(encoding="utf-8")
    post.write_text(text.rstrip("\n") + " indeed\n" if run % 2 == 0 else text.replace(" indeed\n", "\n"),
                    encoding="utf-8")


def compare_gemlog(bench, runs: int, chapbook_build, stock_commands, median, verdict) -> None:
    """The table: posts, cold, per post, nothing changed, one edit, the largest process; then the goals."""
    rows = []
    stock_per_post = None
    for size in SIZES:
        folder = bench.folder / "gemlog" / str(size)
        posts = make_gemlog(folder / "source", size)
        out, env = bench.fresh_folder("out"), bench.with_cache(bench.fresh_folder("cache"))
        cold, cold_peak = timed_with_memory(chapbook_build(posts, out, FORMATS), folder, env)
        edited, unchanged, peaks = [], [], [cold_peak]
        for run in range(runs):
            _edit(posts[size // 2], run)
            seconds, peak = timed_with_memory(chapbook_build(posts, out, FORMATS, force=False), folder, env)
            edited.append(seconds)
            peaks.append(peak)
            unchanged.append(timed(chapbook_build(posts, out, FORMATS, force=False), folder, env))
        if stock_per_post is None:
            sample = posts[:STOCK_SAMPLE]
            stock = timed_all([command for post in sample for command in stock_commands(post, bench.fresh_folder(
                "stock"))], folder, bench.env)
            stock_per_post = stock.wall / len(sample)
        rows.append((size, cold, median(edited), (min(edited), max(edited)),
                     median([sample.wall for sample in unchanged]), max(peaks)))
    print(f"  {'posts':>6} {'cold':>9} {'per post':>9} {'stock x':>8} {'nothing':>9} {'one edit':>9} {'range':>12}"
          f"  {'largest process':>15}")
    for size, cold, edit, (low, high), noop, peak in rows:
        print(f"  {size:6d} {cold:8.2f}s {1000 * cold / size:7.0f}ms {cold / (stock_per_post * size):8.3f}"
              f" {noop:8.2f}s {edit:8.2f}s {low:5.2f}-{high:5.2f}  {peak / 2**20:12.0f} MiB")
    print(f"  (stock route per post, {STOCK_SAMPLE} posts: {stock_per_post:.2f} s; cold = one run into an empty "
          f"folder and cache; one edit and nothing changed: medians of {runs} alternating runs)")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        growth = last[0] / first[0]
        print(f"  from {first[0]} to {last[0]} posts ({growth:.0f} x): cold {last[1] / first[1]:.1f} x, nothing "
              f"changed {last[4] / first[4]:.1f} x, one edit {last[2] / first[2]:.1f} x")
    for size, cold, edit, _range, noop, peak in rows:
        if size in GOALS:
            verdict(f"gemlog {size} posts: one edit <= {GOALS[size]} s", f"{edit:.2f} s", edit <= GOALS[size])
        if size == max(SIZES):
            verdict(f"gemlog {size} posts: nothing changed <= {NOOP_GOAL} s", f"{noop:.2f} s", noop <= NOOP_GOAL)
        ratio = cold / (stock_per_post * size)
        verdict(f"gemlog {size} posts: cold <= 0.1 x stock route per file", f"{ratio:.3f} x", ratio <= 0.1)
        verdict(f"gemlog {size} posts: every process <= 400 MB", f"{peak / 2**20:.0f} MiB", peak <= MEMORY_GOAL)

