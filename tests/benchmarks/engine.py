"""What each reach of the PDF engine room buys (pipeline/writers/pdf/engine/): a build of the PDF editions
with every reach on, with each one switched off alone (CHAPBOOK_ENGINE=plain:NAME) and with all of them off
(CHAPBOOK_ENGINE=plain), in alternating order.

Each run is `chapbook build -f pdf -f print -f booklet --force` into a fresh output folder (so no previous
PDF helps), with one cache folder warmed first (so the engine's generated data is there, as after `make`).
A reach's gain is the median time without it less the median with every reach on, in wall time and
in CPU time of the build's process tree (on a loaded machine the CPU time is the steadier of the two);
each counts only above its noise, half the wider of the two ranges.

`make bench` runs it as case `engine` (BENCH_ONLY=engine); alone:
`python tests/benchmarks/engine.py [RUNS] [essay,20x] [NAME,NAME]`.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

from processes import Sample, timed
from sources import ROOT, make_essays

sys.path.insert(0, str(ROOT))  # this checkout's pipeline, as the builds below run it, not the venv's install
from pipeline.writers.pdf.engine import PLAIN, REACHES, SWITCH  # noqa: E402

FORMATS = ["-f", "pdf", "-f", "print", "-f", "booklet"]
ALL_ON = "every reach on"
ALL_OFF = f"{SWITCH}={PLAIN}"


def _median(samples: list[Sample], what: str = "wall") -> float:
    return statistics.median(getattr(sample, what) for sample in samples)


def _half_range(samples: list[Sample], what: str = "wall") -> float:
    values = [getattr(sample, what) for sample in samples]
    return (max(values) - min(values)) / 2 if len(values) > 1 else 0.0


def _gain(samples: list[Sample], base: list[Sample], what: str) -> tuple[float, float]:
    """The median `what` (wall or cpu) without a reach less with it, and the noise it must exceed."""
    gain = _median(samples, what) - _median(base, what)
    return gain, max(_half_range(samples, what), _half_range(base, what))


def measure(folder: Path, env: dict, source: Path, runs: int,
            reaches: tuple[str, ...] = REACHES) -> dict[str, list[Sample]]:
    """Wall and CPU time of the PDF editions of `source` for each setting of CHAPBOOK_ENGINE, alternating."""
    cache = folder / "cache"
    settings = {ALL_ON: "", **{name: f"{PLAIN}:{name}" for name in reaches}, ALL_OFF: PLAIN}
    environments = {label: dict(env, CHAPBOOK_CACHE_DIR=str(cache), **{SWITCH: value})
                    for label, value in settings.items()}
    fresh = iter(range(10**6))

    def build(label: str) -> Sample:
        out = folder / f"out-{next(fresh)}"
        # `python -m pipeline` from ROOT: the checkout's own code, whatever the venv installed
        return timed([sys.executable, "-m", "pipeline", "build", str(source), "-o", str(out), *FORMATS, "--force",
                      "-q"], ROOT, environments[label])

    build(ALL_ON)  # warms the cache folder: the compiled declarations, the parsed patterns
    samples: dict[str, list[Sample]] = {label: [] for label in settings}
    labels = list(settings)
    for run in range(runs):
        shift = run % len(labels)
        for label in labels[shift:] + labels[:shift]:
            samples[label].append(build(label))
    return samples


def report(title: str, samples: dict[str, list[Sample]]) -> list[tuple[str, float, float, bool]]:
    """Print one table; return (reach, wall gain, CPU gain, whether either is above its noise) for each reach."""
    base = samples[ALL_ON]
    print(f"\n  {title}")
    print(f"  {'':<34} {'wall':>7} {'range':>12} {'CPU':>7} {'range':>12}  {'gain':>6} {'noise':>5}"
          f"  {'CPU gain':>8} {'noise':>5}")
    verdicts = []
    for label, runs in samples.items():
        walls, cpus = [sample.wall for sample in runs], [sample.cpu for sample in runs]
        line = (f"  {label if label in (ALL_ON, ALL_OFF) else 'without ' + label:<34} {_median(runs):6.2f}s "
                f"{min(walls):5.2f}-{max(walls):5.2f}s {_median(runs, 'cpu'):6.2f}s {min(cpus):5.2f}-{max(cpus):5.2f}s")
        if label != ALL_ON:
            (wall, wall_noise), (cpu, cpu_noise) = _gain(runs, base, "wall"), _gain(runs, base, "cpu")
            above = wall > wall_noise or cpu > cpu_noise
            line += (f"  {wall:+6.2f} {wall_noise:5.2f}  {cpu:+8.2f} {cpu_noise:5.2f}"
                     f"  {'buys time' if above else 'within noise'}")
            if label != ALL_OFF:
                verdicts.append((label, wall, cpu, above))
        print(line)
    return verdicts


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    names = sys.argv[2].split(",") if len(sys.argv) > 2 else ["essay"]
    reaches = tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else REACHES
    env = dict(os.environ, SOURCE_DATE_EPOCH="1722384000")
    with tempfile.TemporaryDirectory(prefix="chapbook-engine-") as temporary:
        essays = make_essays(Path(temporary) / "essays")
        for name in names:
            folder = Path(temporary) / name
            folder.mkdir()
            report(f"{name}: {' '.join(FORMATS)}, median of {runs} alternating runs (load "
                   f"{' '.join(f'{value:.2f}' for value in os.getloadavg())})",
                   measure(folder, env, essays[name], runs, reaches))


if __name__ == "__main__":
    main()
