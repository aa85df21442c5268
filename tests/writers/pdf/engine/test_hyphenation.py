"""Hyphenation patterns parsed once and kept in the cache folder: the same breaks as Pyphen's own parse, never stale."""

from __future__ import annotations

import json

import pyphen
import pytest
from conftest import ROOT, document_from_text

from pipeline.document import DEFAULT_LANG
from pipeline.writers.pdf.engine import hyphenation

WORDS = (ROOT / "source" / "essay.md").read_text(encoding="utf-8").split()


@pytest.fixture
def own_folder(tmp_path, monkeypatch):
    """Parsed data kept in `tmp_path` instead of the cache folder, and Pyphen's cache as it was afterwards."""
    monkeypatch.setattr(hyphenation, "data_path", lambda dic: tmp_path / f"{dic.stem}.json")
    kept = dict(pyphen.hdcache)
    pyphen.hdcache.clear()
    yield tmp_path
    pyphen.hdcache.clear()
    pyphen.hdcache.update(kept)


def test_the_parsed_patterns_hyphenate_every_word_as_pyphen_does(own_folder):
    assert hyphenation.generate(DEFAULT_LANG)
    assert hyphenation.preload(DEFAULT_LANG)
    dic = hyphenation.dictionary(DEFAULT_LANG)
    preloaded = pyphen.hdcache[dic]
    assert pyphen.Pyphen(lang=DEFAULT_LANG, left=3, right=3).hd is preloaded  # what WeasyPrint's Pyphen reads
    own = pyphen.HyphDict(dic)
    assert {text: (start, tuple(values)) for text, (start, values) in preloaded.patterns.items()} == own.patterns
    assert preloaded.maxlen == own.maxlen
    words = [*WORDS, "incomprehensibilities", "hyphenation", "æsthetically", "Worked"]
    assert [preloaded.positions(word) for word in words] == [own.positions(word) for word in words]


def test_data_for_another_pyphen_or_dictionary_or_garbled_is_not_used_and_is_rewritten(own_folder):
    dic = hyphenation.dictionary(DEFAULT_LANG)
    path = hyphenation.data_path(dic)
    assert hyphenation.generate(DEFAULT_LANG) and not hyphenation.generate(DEFAULT_LANG)  # current: kept
    current = json.loads(path.read_text(encoding="utf-8"))
    for stale in ({**current, "pyphen": "0.0.1"}, {**current, "sha256": "0" * 64}, {**current, "format": 0}):
        path.write_text(json.dumps(stale), encoding="utf-8")
        assert not hyphenation.preload(DEFAULT_LANG) and dic not in pyphen.hdcache
    path.write_text('{"format": 1, "patterns": [', encoding="utf-8")
    assert not hyphenation.preload(DEFAULT_LANG)
    assert hyphenation.generate(DEFAULT_LANG) and hyphenation.preload(DEFAULT_LANG)


def test_a_language_pyphen_lacks_is_left_alone(own_folder):
    assert hyphenation.dictionary("tlh") is None
    assert not hyphenation.generate("tlh") and not hyphenation.preload("tlh")
    assert list(own_folder.iterdir()) == []


def test_the_pdf_is_the_same_with_and_without_the_parsed_patterns(own_folder, tmp_path, monkeypatch):
    from pipeline.writers.pdf import book as pdf

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    document = document_from_text(tmp_path, "---\ntitle: patterns\nlang: en\n---\n\n"
                                  + " ".join(WORDS[200:900]) + "\n")
    assert hyphenation.generate(DEFAULT_LANG)
    with_data = pdf.render(document)
    patterns = pyphen.hdcache[hyphenation.dictionary(DEFAULT_LANG)].patterns
    assert all(isinstance(pattern, list) for pattern in patterns.values())  # the data's, not Pyphen's tuples
    pyphen.hdcache.clear()
    monkeypatch.setattr(pdf, "load", lambda lang: None)
    without = pdf.render(document)
    assert hyphenation.dictionary(DEFAULT_LANG) in pyphen.hdcache  # Pyphen parsed them itself this time
    assert with_data == without


def test_the_module_run_as_make_runs_it_writes_the_default_languages_patterns_into_the_cache_folder(tmp_path):
    import os
    import subprocess
    import sys

    environment = dict(os.environ, CHAPBOOK_CACHE_DIR=str(tmp_path))
    subprocess.run([sys.executable, "-m", "pipeline.writers.pdf.engine.hyphenation"], cwd=ROOT, env=environment,
                   check=True, capture_output=True)
    dic = hyphenation.dictionary(DEFAULT_LANG)
    path = tmp_path / "engine" / f"hyphenation_{dic.stem}.json"
    assert hyphenation._parsed(path, hyphenation._key(dic)) is not None


def test_with_the_reach_switched_off_pyphen_parses_and_nothing_is_written(own_folder, monkeypatch):
    from pipeline.writers.pdf import engine

    monkeypatch.setenv("CHAPBOOK_ENGINE", "plain:hyphenation")
    engine.switched_off.cache_clear()
    try:
        dic = hyphenation.dictionary(DEFAULT_LANG)
        assert hyphenation.generate(DEFAULT_LANG)  # data there, current
        assert not hyphenation.preload(DEFAULT_LANG) and dic not in pyphen.hdcache
        hyphenation.load(DEFAULT_LANG)
        assert all(isinstance(pattern, tuple) for pattern in pyphen.hdcache[dic].patterns.values())
    finally:
        monkeypatch.delenv("CHAPBOOK_ENGINE")
        engine.switched_off.cache_clear()


def test_data_of_the_wrong_shape_or_from_a_pyphen_that_keeps_more_is_not_used(own_folder):
    dic = hyphenation.dictionary(DEFAULT_LANG)
    path = hyphenation.data_path(dic)
    assert hyphenation.generate(DEFAULT_LANG)
    current = json.loads(path.read_text(encoding="utf-8"))
    for wrong in ({**current, "patterns": [1, 2]}, {**current, "patterns": {"ab": 3}},
                  {**current, "attributes": [*current["attributes"], "hyphenate_more"]}):
        path.write_text(json.dumps(wrong), encoding="utf-8")
        assert not hyphenation.preload(DEFAULT_LANG) and dic not in pyphen.hdcache


def test_load_takes_the_data_when_current_and_lets_pyphen_parse_otherwise(own_folder):
    dic = hyphenation.dictionary(DEFAULT_LANG)
    hyphenation.load(DEFAULT_LANG)  # no data in this folder: Pyphen's own parse, tuples
    assert all(isinstance(pattern, tuple) for pattern in pyphen.hdcache[dic].patterns.values())
    assert not hyphenation.generate(DEFAULT_LANG)  # and load kept it as data for the next process
    pyphen.hdcache.clear()
    hyphenation.load(DEFAULT_LANG)
    assert all(isinstance(pattern, list) for pattern in pyphen.hdcache[dic].patterns.values())
    hyphenation.load("tlh")  # a language Pyphen lacks: nothing to load, nothing raised
