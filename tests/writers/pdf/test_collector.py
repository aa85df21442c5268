"""The garbage collector paused while a PDF is laid out, and restored afterwards whatever happens."""

from __future__ import annotations

import gc

import pytest
from conftest import read_fixture

from pipeline.writers.pdf import book as pdf
from pipeline.writers.pdf.collector import collector_paused


def test_the_collector_is_paused_inside_and_restored_after_an_error():
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0
        raise RuntimeError("a layout that fails")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_collector_disabled_before_stays_disabled():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_writing_a_pdf_leaves_the_collector_running():
    data = pdf.render(read_fixture("footnotes.md"))
    assert data.startswith(b"%PDF")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
