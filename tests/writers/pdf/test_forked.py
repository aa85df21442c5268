"""A call in a forked child (the PDF's second half), also from a build's daemonic worker process."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest
from conftest import document_from_text

from pipeline.writers.pdf.forked import ForkedCall


def _double(number: int) -> int:
    return 2 * number


def _fail() -> None:
    raise ValueError("no such page")


def _sleep() -> None:
    time.sleep(60)


def test_the_result_or_the_exception_comes_back_from_the_child():
    assert ForkedCall(_double, 21).result() == 42
    with pytest.raises(ValueError, match="no such page"):
        ForkedCall(_fail).result()


def test_a_child_killed_before_answering_is_an_error_not_a_hang():
    call = ForkedCall(_sleep)
    os.kill(call.pid, signal.SIGKILL)
    with pytest.raises(RuntimeError, match="without an answer"):
        call.result()


def test_cancel_ends_a_child_whose_result_is_not_wanted():
    call = ForkedCall(_sleep)
    call.cancel()
    with pytest.raises(ProcessLookupError):
        os.kill(call.pid, 0)


def _lay_out_two_parts_in_a_daemon(document, answers) -> None:
    import io

    import pikepdf

    from pipeline.writers.pdf.layout import BookOptions
    from pipeline.writers.pdf.parts import render_in_parts, split_index

    try:
        joined = render_in_parts(document, BookOptions(), split_index(document, limit=1))
        answers.put(len(pikepdf.open(io.BytesIO(joined)).pages))
    except Exception as error:  # noqa: BLE001 - reported to the test
        answers.put(repr(error))


def test_two_parts_are_laid_out_at_once_inside_a_daemonic_worker(tmp_path):
    # The build's workers are daemonic; multiprocessing lets those start no children, which made a
    # long book's split layout fail in a worker with "daemonic processes are not allowed to have children".
    document = document_from_text(tmp_path, "---\ntitle: parts\n---\n\n# one\n\nsome text.\n\n# two\n\nmore text.\n")
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    worker = context.Process(target=_lay_out_two_parts_in_a_daemon, args=(document, answers), daemon=True)
    worker.start()
    answer = answers.get(timeout=120)
    worker.join()
    # title page, blank, contents, blank, the first part on page 5, blank, the second part on page 7
    assert answer == 7
