"""WeasyPrint started from compiled C declarations and without fontTools' subsetter and instancer: the same PDF."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from pipeline.writers.pdf.engine.weasyprint_start import generate, is_current, weasyprint_declarations

SOURCE = FIXTURES / "kitchen-sink.md"  # tables, an image, code, notes, nested lists: most of what WeasyPrint draws

# Renders SOURCE's PDF in a fresh interpreter, starting WeasyPrint through the artefact named in
# argv[1] ("-" for a plain `import weasyprint`), and reports how WeasyPrint started.
RENDER = """
import json, sys
from pathlib import Path
from pipeline.writers.pdf.engine.weasyprint_start import import_weasyprint
if sys.argv[1] == "-":
    import weasyprint
else:
    import_weasyprint(Path(sys.argv[1]))
from pipeline.build import prepare
from pipeline.writers.pdf import book as pdf
Path(sys.argv[3]).write_bytes(pdf.render(prepare(Path(sys.argv[2]))))
ffi = sys.modules["weasyprint.text.ffi"].ffi
subsetter = sys.modules["fontTools.subset"]
loaded = type(subsetter).__name__ == "module"  # a lazy module is a _LazyModule until first used
varlib = "fontTools.varLib" in sys.modules
instancer = sys.modules["weasyprint.pdf.fonts"].instantiateVariableFont
try:  # a variable font's instancer, called on a static font: fontTools' own answer proves it was reached
    instancer(sys.modules["fontTools.ttLib"].TTFont(), {})
    instanced = "no error"
except Exception as error:
    instanced = type(error).__module__ + "." + type(error).__name__
print(json.dumps({"pycparser": "pycparser" in sys.modules, "ffi": type(ffi).__name__, "subsetter loaded": loaded,
                  "subsetter works": callable(subsetter.Subsetter), "varLib loaded": varlib, "instanced": instanced,
                  "instancer": sys.modules["fontTools.varLib.instancer"].__file__.endswith("instancer/__init__.py")}))
"""


def render(artefact: str, output: Path) -> dict:
    """SOURCE's PDF bytes and how WeasyPrint started, from a fresh interpreter."""
    environment = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    result = subprocess.run([sys.executable, "-c", RENDER, artefact, str(SOURCE), str(output)], cwd=ROOT,
                            capture_output=True, text=True, env=environment, check=True)
    return {**json.loads(result.stdout.splitlines()[-1]), "pdf": output.read_bytes()}


@pytest.fixture(scope="module")
def current(tmp_path_factory) -> str:
    """The text of an artefact generated for the installed WeasyPrint and cffi."""
    artefact = tmp_path_factory.mktemp("declarations") / "current.json"
    assert generate(artefact)
    assert not generate(artefact)  # current: not written again
    return artefact.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def usual(tmp_path_factory) -> dict:
    """SOURCE's PDF with WeasyPrint imported the usual way."""
    return render("-", tmp_path_factory.mktemp("usual") / "usual.pdf")


def test_a_pdf_made_from_compiled_declarations_never_runs_pycparser_and_is_the_same_pdf(current, usual, tmp_path):
    artefact = tmp_path / "current.json"
    artefact.write_text(current, encoding="utf-8")
    compiled = render(str(artefact), tmp_path / "compiled.pdf")
    assert usual["pycparser"] and usual["ffi"] == "FFI"  # the test can tell the two starts apart
    assert not compiled["pycparser"] and compiled["ffi"] == "CompiledFFI"
    assert usual["subsetter loaded"] and not compiled["subsetter loaded"]  # HarfBuzz subset the fonts
    assert compiled["subsetter works"]  # and loads when first used
    assert usual["varLib loaded"] and not compiled["varLib loaded"]  # the variable-font instancer waits too
    assert compiled["instanced"] == usual["instanced"] and compiled["instancer"]  # for its first call
    assert compiled["pdf"] == usual["pdf"]
    assert compiled["pdf"].startswith(b"%PDF")


STALE = {"other declarations": ('"CDEF_SHA256":"', '"CDEF_SHA256":"0'),
         "another weasyprint": ('"WEASYPRINT_VERSION":"', '"WEASYPRINT_VERSION":"0.'),
         "garbled": ('"KEYWORDS":{', '"KEYWORDS":['),
         "missing": None}


@pytest.mark.parametrize("stale", STALE)
def test_the_first_start_with_a_stale_or_missing_artefact_compiles_it_again(stale, current, usual, tmp_path):
    artefact = tmp_path / "declarations.json"
    if STALE[stale]:
        stale_text = current.replace(*STALE[stale])
        assert stale_text != current
        artefact.write_text(stale_text, encoding="utf-8")
    started = render(str(artefact), tmp_path / "stale.pdf")
    assert started["pdf"] == usual["pdf"]
    assert started["pycparser"] and started["ffi"] == "CompiledFFI"  # parsed once, to write the new artefact
    assert is_current(artefact, weasyprint_declarations())


def test_an_artefact_that_cannot_be_written_means_the_usual_start(usual, tmp_path):
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    started = render(str(tmp_path / "a-file" / "declarations.json"), tmp_path / "usual.pdf")
    assert started["pycparser"] and started["ffi"] == "FFI"
    assert started["pdf"] == usual["pdf"]


def test_the_declarations_are_kept_in_the_cache_folder_as_data_never_in_the_package(tmp_path):
    from pipeline.writers.pdf.engine.weasyprint_start import artefact_path

    environment = dict(os.environ, CHAPBOOK_CACHE_DIR=str(tmp_path / "cache"))
    where = subprocess.run([sys.executable, "-c", "from pipeline.writers.pdf.engine.weasyprint_start import "
                            "artefact_path, import_weasyprint; import_weasyprint(); print(artefact_path())"],
                           cwd=ROOT, capture_output=True, text=True, env=environment, check=True).stdout.strip()
    assert Path(where) == tmp_path / "cache" / "engine" / "weasyprint_ffi.json"
    assert is_current(Path(where), weasyprint_declarations())  # written at first use
    json.loads(Path(where).read_text(encoding="utf-8"))  # JSON: read, never run
    assert not artefact_path().is_relative_to(ROOT / "pipeline")


def test_with_the_reach_switched_off_weasyprint_starts_the_usual_way(tmp_path):
    environment = dict(os.environ, CHAPBOOK_CACHE_DIR=str(tmp_path / "cache"),
                       CHAPBOOK_ENGINE="plain:compiled_ffi,lazy_fonttools")
    started = subprocess.run([sys.executable, "-c", "import sys; from pipeline.writers.pdf.engine.weasyprint_start "
                              "import import_weasyprint; import_weasyprint(); "
                              "print(sys.modules['weasyprint.text.ffi'].ffi.__class__.__name__, "
                              "type(sys.modules['fontTools.subset']).__name__)"],
                             cwd=ROOT, capture_output=True, text=True, env=environment, check=True).stdout.split()
    assert started == ["FFI", "module"]
    assert not (tmp_path / "cache" / "engine").exists()
