"""Worker processes: a gemlog laid out on every core, errors and warnings from workers, a failed read."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import time
import weakref
from functools import partial
from pathlib import Path

import pytest
from conftest import read_fixture, run_chapbook

from pipeline.build.workers import RemoteTraceback, WorkerDied, WorkerPool, cores
from pipeline.errors import ChapbookError
from tests.benchmarks.sources import make_posts

EPOCH = {"SOURCE_DATE_EPOCH": "1700000000"}
WORKER_LINE = re.compile(r"answered by worker process (\d+)")


def _pdf_title(path: Path) -> str:
    info = subprocess.run(["pdfinfo", "-enc", "UTF-8", str(path)], capture_output=True, text=True, check=True).stdout
    return re.search(r"^Title:\s+(.*)$", info, re.MULTILINE).group(1)


def _titles(paths: list[Path]) -> dict[str, str]:
    return {path.stem: read_fixture(str(path)).meta.title for path in paths}


@pytest.fixture(scope="module")
def gemlog(tmp_path_factory):
    """Eight short posts of the essay's sections, built twice: PDF, text and the capsule (with the EPUB it links)."""
    folder = tmp_path_factory.mktemp("gemlog")
    posts = make_posts(folder / "source", 30)[:8]
    runs = []
    for number in (1, 2):
        out = folder / f"out{number}"
        result = run_chapbook("build", *map(str, posts), "-o", str(out), "-f", "pdf", "-f", "txt", "-f", "gemini",
                              "--force", "-v", env=EPOCH)
        assert result.returncode == 0, result.stderr
        runs.append((out, result))
    return posts, runs


def test_a_gemlog_is_laid_out_by_one_worker_per_core(gemlog):
    posts, runs = gemlog
    for _out, result in runs:
        pids = set(WORKER_LINE.findall(result.stderr))
        assert len(pids) == min(2, cores()), result.stderr
    out = runs[0][0]
    titles = _titles(posts)
    assert {post: _pdf_title(out / f"{post}.pdf") for post in titles} == titles  # each its own post


def test_a_gemlog_built_twice_is_announced_in_one_order_with_the_same_bytes(gemlog):
    _posts, ((first, one), (second, two)) = gemlog

    def announced(result) -> list[str]:
        return [" ".join(line.split()[:2]).replace(str(first), "").replace(str(second), "")
                for line in result.stdout.splitlines() if line.startswith("  ")]

    assert announced(one) == announced(two) and len(announced(one)) == 8 * 3 + 1  # epub, pdf, txt, the capsule
    files = sorted(path.relative_to(first) for path in first.rglob("*") if path.is_file())
    assert files == sorted(path.relative_to(second) for path in second.rglob("*") if path.is_file())
    assert all((first / name).read_bytes() == (second / name).read_bytes() for name in files)


def test_font_warnings_come_from_the_main_process_once_per_pdf_in_source_order(tmp_path):
    sources = []
    for name, character in (("first", "☃"), ("second", "⸘")):
        sources.append(tmp_path / f"{name}.md")
        sources[-1].write_text(f"---\ntitle: {name}\nlang: en\n---\n\nwords {character} here.\n", encoding="utf-8")
    result = run_chapbook("build", *map(str, sources), "-o", str(tmp_path / "out"), "-f", "pdf", "-f", "txt",
                          env=EPOCH)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [f"warning: {sources[0]}: U+2603 '☃' is not in Charis SIL: used in the "
                                          "paragraph “words ☃ here.”",
                                          f"warning: {sources[1]}: U+2E18 '⸘' is not in Charis SIL: used in the "
                                          "paragraph “words ⸘ here.”"]


def test_a_post_that_cannot_be_read_stops_the_build_its_workers_and_writes_nothing(tmp_path):
    posts = make_posts(tmp_path / "source", 30)[:5]
    posts[3].write_text("---\ntitle: broken\nbad: [1\n---\n\nwords\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_chapbook("build", *map(str, posts), "-o", str(out), "-f", "pdf", "-f", "txt", env=EPOCH)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert str(posts[3]) in result.stderr and "Traceback" not in result.stderr
    assert not out.exists() or not any(out.iterdir())
    left = [pid for pid in os.listdir("/proc") if pid.isdigit() and _cmdline(pid).count(str(posts[0]))]
    assert left == []


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return ""


# The pool itself, with small tasks (they travel pickled, so they live at module level) ------------------

def _warn_and_return(text: str) -> str:
    logging.getLogger("chapbook").warning("warned about %s", text)
    return text.upper()


def _fail(text: str) -> None:
    raise ChapbookError(Path(text), "this job fails", "nothing to do")


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_warnings_from_workers_come_in_the_order_jobs_are_collected(caplog):
    with WorkerPool(2) as pool, caplog.at_level(logging.WARNING, logger="chapbook"):
        tickets = [pool.submit(_warn_and_return, word) for word in ("one", "two", "three", "four")]
        assert [pool.result(ticket) for ticket in reversed(tickets)] == ["FOUR", "THREE", "TWO", "ONE"]
    assert [record.getMessage() for record in caplog.records] == [f"warned about {word}" for word in
                                                                  ("four", "three", "two", "one")]


def test_a_job_is_answered_once_its_worker_has_made_it_and_a_started_one_is_not_taken_back(tmp_path):
    gate = tmp_path / "gate"
    with WorkerPool(1) as pool:
        ticket = pool.submit(_wait_for_file, str(gate))
        deadline = time.monotonic() + 30
        while not (tmp_path / "started").exists():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert not pool.withdraw(ticket)  # the worker has it: the caller may not take it back
        assert not pool.answered(ticket)
        gate.touch()
        while not pool.answered(ticket):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert pool.result(ticket) == "let through"


def _wait_for_file(path: str) -> str:
    Path(path).parent.joinpath("started").touch()
    while not Path(path).exists():
        time.sleep(0.01)
    return "let through"


def test_an_error_in_a_worker_is_raised_where_its_result_is_asked_for():
    with WorkerPool(1) as pool:
        ticket = pool.submit(_fail, "post.md")
        with pytest.raises(ChapbookError, match="this job fails") as raised:
            pool.result(ticket)
        assert isinstance(raised.value.__cause__, RemoteTraceback) and "_fail" in str(raised.value.__cause__)
        assert pool.result(pool.submit(_warn_and_return, "after")) == "AFTER"


def _unpicklable() -> object:
    return lambda: None


def test_an_answer_that_cannot_travel_back_is_an_error_that_names_it():
    with WorkerPool(1) as pool:
        with pytest.raises(RuntimeError, match="function"):
            pool.result(pool.submit(_unpicklable))
        assert pool.result(pool.submit(_warn_and_return, "still")) == "STILL"


def test_a_killed_worker_is_reported_and_replaced():
    with WorkerPool(1) as pool:
        first = pool.pids
        ticket = pool.submit(_die)
        with pytest.raises(WorkerDied):
            pool.result(ticket)
        pool.replenish()
        assert pool.pids != first and len(pool.pids) == 1
        assert pool.result(pool.submit(_warn_and_return, "again")) == "AGAIN"


def test_a_worker_killed_while_idle_is_replaced_before_its_death_is_heard():
    """watch's case: the OOM killer takes an idle worker and the next save comes at once."""
    with WorkerPool(1) as pool:
        assert pool.result(pool.submit(_warn_and_return, "warm")) == "WARM"
        (first,) = pool.pids
        # Holding the pool's lock keeps the worker's thread from hearing the closed pipe until after replenish.
        with pool._lock:
            os.kill(first, signal.SIGKILL)
            stat = Path(f"/proc/{first}/stat")
            while stat.exists() and stat.read_text().split()[2] != "Z":  # until it is dead (a zombie)
                time.sleep(0.01)
            pool.replenish()
        assert pool.pids != [first] and len(pool.pids) == 1
        assert pool.result(pool.submit(_warn_and_return, "again")) == "AGAIN"


def _staged_warm_up(folder: str):
    while not (Path(folder) / "go").exists():
        time.sleep(0.01)
    yield
    (Path(folder) / "sample laid out").touch()


def test_a_worker_stops_warming_up_at_a_stage_when_a_job_waits_and_not_otherwise(tmp_path):
    busy, idle = tmp_path / "busy", tmp_path / "idle"
    busy.mkdir()
    with WorkerPool(1, prelude=(partial(_staged_warm_up, str(busy)),)) as pool:
        ticket = pool.submit(_warn_and_return, "job")
        (busy / "go").touch()
        assert pool.result(ticket) == "JOB"
    assert not (busy / "sample laid out").exists()
    idle.mkdir()
    (idle / "go").touch()
    with WorkerPool(1, prelude=(partial(_staged_warm_up, str(idle)),)) as pool:
        deadline = time.monotonic() + 30
        while not (idle / "sample laid out").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
    assert (idle / "sample laid out").exists()


def test_a_job_no_worker_started_can_be_taken_back():
    with WorkerPool(1) as pool:
        assert pool.result(pool.submit(_warn_and_return, "ready")) == "READY"
        busy = pool.submit(time.sleep, 0.5)
        queued = pool.submit(_warn_and_return, "second", spare=True)
        assert pool.withdraw(queued) and not pool.withdraw(busy)
        assert pool.result(busy) is None


class _Cyclic:
    """An object in a reference cycle: only the cyclic garbage collector frees it."""


_CYCLES: weakref.WeakSet = weakref.WeakSet()


def _leave_a_cycle() -> None:
    cyclic = _Cyclic()
    cyclic.itself = cyclic
    _CYCLES.add(cyclic)


def _cycles_left() -> int:
    return len(_CYCLES)


def test_an_idle_worker_collects_what_its_last_job_left_in_cycles():
    # A layout leaves its boxes in cycles (about 10 MB for the essay); a worker that kept them would
    # grow with every rebuild of a `watch` session.
    with WorkerPool(1) as pool:
        pool.result(pool.submit(_leave_a_cycle))
        time.sleep(0.5)  # the worker idles
        assert pool.result(pool.submit(_cycles_left)) == 0


def _leave_a_big_cycle() -> None:
    import gc

    gc.disable()  # as a layout runs (pipeline/writers/pdf/collector.py): its cycles wait for a collection
    try:
        cyclic = _Cyclic()
        cyclic.itself, cyclic.weight = cyclic, bytearray(8 * 1024 * 1024)
        _CYCLES.add(cyclic)
    finally:
        gc.enable()


def test_a_worker_given_jobs_back_to_back_collects_their_cycles_before_it_grows_far():
    # 1,000 posts' PDFs laid out one after the other left every layout's cycles frozen: 1.2 GB.
    with WorkerPool(1) as pool:
        tickets = [pool.submit(_leave_a_big_cycle) for _ in range(40)]  # queued at once: the worker never idles
        last = pool.submit(_cycles_left)
        for ticket in tickets:
            pool.result(ticket)
        assert pool.result(last) <= 12  # 64 MB of growth, 8 MB a job, then a collection
