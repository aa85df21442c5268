"""The PDF editions with every reach of the engine room switched off (CHAPBOOK_ENGINE=plain): the same books.

The whole path runs through the real command line twice, each with a fresh cache folder: once as
usual, once with every reach into WeasyPrint, pydyf, Pyphen, cffi, fontTools and pypdf off. Most
files must be the same bytes; two reaches change how a file is put together, not what it shows,
and the test names those differences and checks everything a reader sees:
- late_folios: the essay's screen PDF is laid out as its front and its body at once and joined
  (pipeline/writers/pdf/parts.py); laid out whole it has the same pages, the same content streams
  and the same text, in a file that embeds its fonts once rather than once per part;
- pypdf_forms: without it the booklet merges pages with pypdf's public merge instead of drawing
  each page as a form: the same sheets, text and pixels, in a larger file.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pikepdf
import pytest
from conftest import ESSAY, FIXTURES, ROOT, run_chapbook
from PIL import Image, ImageChops

SOURCES = (ESSAY, FIXTURES / "kitchen-sink.md")
EDITIONS = ("pdf", "print", "booklet")


def build(folder: Path, engine: str | None) -> dict[str, bytes]:
    """Every PDF edition of SOURCES, built with CHAPBOOK_ENGINE=`engine` (unset for None) and a fresh cache."""
    cache, out = folder / "cache", folder / "out"
    env = {"SOURCE_DATE_EPOCH": "1700000000", "CHAPBOOK_CACHE_DIR": str(cache), "CHAPBOOK_ENGINE": engine or ""}
    flags = [flag for edition in EDITIONS for flag in ("-f", edition)]
    result = run_chapbook("build", "-q", "-o", str(out), *flags, *map(str, SOURCES), env=env)
    assert result.returncode == 0, result.stderr
    return {path.name: path.read_bytes() for path in sorted(out.glob("*.pdf"))}


def package_files() -> set[Path]:
    """chapbook's own files, not counting byte-compiled ones."""
    return {path for path in (ROOT / "pipeline").rglob("*") if path.is_file() and "__pycache__" not in path.parts}


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[dict[str, bytes], dict[str, bytes], Path, Path]:
    before = package_files()
    usual_folder, plain_folder = tmp_path_factory.mktemp("usual"), tmp_path_factory.mktemp("plain")
    usual, plain = build(usual_folder, None), build(plain_folder, "plain")
    assert package_files() == before  # nothing written into the installed package
    return usual, plain, usual_folder / "cache", plain_folder / "cache"


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text as pdftotext reads it."""
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return text.decode("utf-8").split("\f")


def content_streams(pdf: bytes, folder: Path) -> list[bytes]:
    """Each page's content, its streams decoded and joined."""
    path = folder / "content.pdf"
    path.write_bytes(pdf)
    with pikepdf.open(path) as document:
        return [page.obj.Contents.read_bytes() if isinstance(page.obj.Contents, pikepdf.Stream)
                else b"".join(stream.read_bytes() for stream in page.obj.Contents) for page in document.pages]


def sheets(pdf: bytes, folder: Path, name: str) -> list[Image.Image]:
    """Each page of `pdf` drawn at 30 dpi by poppler."""
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(path), str(folder / name)], check=True)
    return [Image.open(image).convert("RGB") for image in sorted(folder.glob(f"{name}-*.png"))]


def test_every_pdf_edition_is_built_with_every_reach_off(both):
    usual, plain, _, _ = both
    expected = {f"{source.stem}{suffix}.pdf" for source in SOURCES for suffix in ("", "-print", "-booklet")}
    assert set(usual) == set(plain) == expected


def test_the_reaches_write_their_data_into_the_cache_folder_and_plain_writes_none(both):
    _, _, usual_cache, plain_cache = both
    written = {path.name for path in (usual_cache / "engine").iterdir()}
    assert "weasyprint_ffi.json" in written and any(name.startswith("hyphenation_") for name in written)
    assert not (plain_cache / "engine").exists()


@pytest.mark.parametrize("name", ["kitchen-sink.pdf", "kitchen-sink-print.pdf", "essay-print.pdf"])
def test_files_no_reach_puts_together_otherwise_are_the_same_bytes(both, name):
    usual, plain, _, _ = both
    assert usual[name] == plain[name]


def test_the_essay_laid_out_whole_has_the_same_pages_content_and_text_as_laid_out_in_parts(both, tmp_path):
    usual, plain, _, _ = both
    if usual["essay.pdf"] == plain["essay.pdf"]:
        return  # laid out whole both ways (a shorter contents): nothing to name
    assert content_streams(usual["essay.pdf"], tmp_path) == content_streams(plain["essay.pdf"], tmp_path)
    assert pages_text(usual["essay.pdf"]) == pages_text(plain["essay.pdf"])


@pytest.mark.parametrize("source", [source.stem for source in SOURCES])
def test_the_booklet_merged_the_public_way_shows_the_same_sheets(both, source, tmp_path):
    usual, plain, _, _ = both
    name = f"{source}-booklet.pdf"
    assert pages_text(usual[name]) == pages_text(plain[name])
    drawn, merged = sheets(usual[name], tmp_path, "forms"), sheets(plain[name], tmp_path, "merged")
    assert len(drawn) == len(merged) > 0
    for number, (one, other) in enumerate(zip(drawn, merged, strict=True), start=1):
        assert one.size == other.size
        assert ImageChops.difference(one, other).getbbox() is None, f"sheet side {number} differs"
