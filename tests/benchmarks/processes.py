"""Running the commands being measured: wall time, CPU time of the process tree, peak resident memory."""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One timed run: wall seconds and the CPU seconds (user + system) of the command and its descendants."""

    wall: float
    cpu: float

    @property
    def cores(self) -> float:
        """Cores used on average: CPU time over wall time."""
        return self.cpu / self.wall if self.wall else 0.0

    def __add__(self, other: Sample) -> Sample:
        return Sample(self.wall + other.wall, self.cpu + other.cpu)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _failed(command: list[str], errors: bytes) -> SystemExit:
    return SystemExit(f"failed: {' '.join(command)}\n{errors.decode(errors='replace')[-3000:]}")


def timed(command: list[str], cwd: Path, env: dict, output: list[str] | None = None) -> Sample:
    """Run one command, which must succeed; nothing else of the benchmark runs meanwhile.

    The CPU time is the difference in RUSAGE_CHILDREN around the wait: it covers every descendant
    that was waited for (PDF workers, pandoc), which is all of them when the command exits cleanly.
    Its standard output's lines are added to `output` when one is given.
    """
    cpu_before = _children_cpu()
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stderr=subprocess.PIPE,
                               stdout=subprocess.DEVNULL if output is None else subprocess.PIPE)
    out, errors = process.communicate()
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise _failed(command, errors)
    if output is not None:
        output += out.decode(errors="replace").splitlines()
    return Sample(wall, _children_cpu() - cpu_before)


def timed_all(commands: list[list[str]], cwd: Path, env: dict) -> Sample:
    """Run commands one after the other; their wall and CPU times added."""
    total = Sample(0.0, 0.0)
    for command in commands:
        total += timed(command, cwd, env)
    return total


def tree_sizes(pid: int) -> list[int]:
    """Resident bytes of a process and of each of its descendants (read from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * page
        except (OSError, IndexError, ValueError):
            continue
    sizes, stack = [], [pid]
    while stack:
        current = stack.pop()
        sizes.append(rss.get(current, 0))
        stack += children.get(current, [])
    return sizes


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (read from /proc)."""
    return sum(tree_sizes(pid))


def sampled_peak(command: list[str], cwd: Path, env: dict, measure, interval: float) -> tuple[float, int]:
    """Run one command, which must succeed: its wall seconds and the peak of measure(pid), sampled each interval."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, measure(process.pid))
            time.sleep(interval)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        _out, errors = process.communicate()
    finally:
        done.set()
        sampler.join()
    if process.returncode != 0:
        raise _failed(command, errors)
    return time.perf_counter() - started, peak


def peak_memory(command: list[str], cwd: Path, env: dict) -> int:
    """Peak resident memory of one command's process tree, sampled every 20 ms.

    A run of its own: scanning /proc takes CPU, which would slow a timed build that uses both cores.
    """
    return sampled_peak(command, cwd, env, tree_rss, 0.02)[1]
