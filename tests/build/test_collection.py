"""The gemlog as one book (issue 27, part 5): `chapbook build --collect`, read back as readers read it.

Three dated posts cut from the fixtures (a disclaimer, the asterisk notes, lists six deep) are bound
into gemlog.epub, gemlog.pdf and gemlog.txt; chapbook's own checkers (EPUBCheck, Ace, Nu, pdftotext,
the voice check against the bound document) read each back, and the two home pages link them.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest
from conftest import FIXTURES, ROOT, run_chapbook

from pipeline.build import prepare
from pipeline.check.epub import check_epub
from pipeline.check.pdf import check_pdf
from pipeline.check.text import check_text
from pipeline.settings import load_project_settings
from pipeline.transforms.collection import collect

POSTS = {"lists.md": ("nested-lists.md", "2024-03-15"), "notes.md": ("asterisk-notes.md", "2024-01-05"),
         "warnings.md": ("disclaimers.md", "2024-02-10")}
IN_DATE_ORDER = ["asterisk notes", "every kind of disclaimer", "nested lists"]


def _project(folder: Path, toml: str = "") -> Path:
    (folder / "source").mkdir(parents=True)
    for name, (fixture, day) in POSTS.items():
        text = (FIXTURES / fixture).read_text(encoding="utf-8").replace("\n---\n", f"\ndate: {day}\n---\n", 1)
        (folder / "source" / name).write_text(text, encoding="utf-8")
    (folder / "chapbook.toml").write_text(toml, encoding="utf-8")
    return folder


def _build(folder: Path, *args: str):
    return run_chapbook("build", *args, cwd=folder, env={"PYTHONPATH": str(ROOT)})


@pytest.fixture(scope="module")
def bound(tmp_path_factory):
    folder = _project(tmp_path_factory.mktemp("collection"), '[site]\ntitle = "the shed, bound"\n')
    result = _build(folder, "--collect", "-f", "epub", "-f", "pdf", "-f", "txt", "-f", "gemini", "-f", "web")
    assert result.returncode == 0, result.stderr
    assert "No anchor" not in result.stderr  # every asterisk marker still finds its note
    return folder


def test_the_posts_are_chapters_in_date_order_each_with_its_date(bound):
    text = (bound / "build" / "gemlog.txt").read_text(encoding="utf-8")
    body = text[text.index("contents"):]
    places = [body.index(f"\n{title}\n{'=' * len(title)}\n") for title in IN_DATE_ORDER]
    assert places == sorted(places)
    for title, day in (("asterisk notes", "2024-01-05"), ("every kind of disclaimer", "2024-02-10")):
        assert re.search(rf"\n{title}\n=+\n\n{day}\n", body), title
    assert text.startswith("===============\nthe shed, bound\n===============\n")
    assert "2024-01-05 – 2024-03-15" in text[:200]  # the book's span, under its title


def test_one_contents_lists_every_post_in_the_ebook_and_the_pdf(bound):
    with zipfile.ZipFile(bound / "build" / "gemlog.epub") as book:
        nav = next(book.read(name).decode() for name in book.namelist() if name.endswith("nav.xhtml"))
    toc = nav[nav.index('epub:type="toc"'):nav.index("</nav>", nav.index('epub:type="toc"'))]
    labels = re.findall(r"<a [^>]*>([^<]+)</a>", toc)
    assert [label for label in labels if label in IN_DATE_ORDER] == IN_DATE_ORDER
    with pikepdf.open(bound / "build" / "gemlog.pdf") as pdf, pdf.open_outline() as outline:
        tops = [item.title for item in outline.root]
    assert [title for title in tops if title in IN_DATE_ORDER] == IN_DATE_ORDER


def test_the_bound_book_keeps_the_voice_and_passes_the_checks_a_source_does(bound, monkeypatch):
    monkeypatch.chdir(bound)
    project = load_project_settings(bound)
    documents = [prepare(path, {}, project) for path in sorted((bound / "source").glob("*.md"))]
    book = collect(documents, project)
    findings = [*check_epub(book, bound / "build" / "gemlog.epub"), *check_pdf(book, bound / "build" / "gemlog.pdf"),
                *check_text(book, bound / "build" / "gemlog.txt")]
    failed = [str(finding) for finding in findings if finding.status == "fail"]
    assert not failed, failed
    assert any("voice" in finding.check or "case" in finding.check for finding in findings)
    text = (bound / "build" / "gemlog.txt").read_text(encoding="utf-8")
    assert "* i tend to avoid" in text and "[disclaimer: i am not a lawyer" in text  # literal, brackets kept
    pdf_text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(bound / "build" / "gemlog.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
    assert "[disclaimer: i am not a lawyer" in pdf_text


def test_both_home_pages_link_the_books_they_carry(bound):
    out = bound / "build"
    home = (out / "gemini" / "index.gmi").read_text(encoding="utf-8")
    links = re.findall(r"^=> (gemlog/gemlog\.\w+) ", home, re.MULTILINE)
    assert links == ["gemlog/gemlog.epub", "gemlog/gemlog.pdf", "gemlog/gemlog.txt"]
    for link in links:
        assert (out / "gemini" / link).read_bytes() == (out / Path(link).name).read_bytes()
    page = (out / "web" / "index.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'<a href="(gemlog\.\w+)"', page)
    assert hrefs == ["gemlog.epub", "gemlog.pdf", "gemlog.txt"]
    for href in hrefs:
        assert (out / "web" / href).read_bytes() == (out / href).read_bytes()


def test_a_date_range_binds_only_the_posts_within_it_and_a_source_named_like_the_book_is_refused(tmp_path):
    folder = _project(tmp_path / "range", '[collection]\nbook = true\nfrom = "2024-02-01"\nuntil = "2024-02-28"\n')
    result = _build(folder, "-f", "txt", "-q")
    assert result.returncode == 0, result.stderr
    text = (folder / "build" / "gemlog.txt").read_text(encoding="utf-8")
    assert "every kind of disclaimer" in text and "asterisk notes" not in text and "nested lists" not in text
    clash = _project(tmp_path / "clash")
    (clash / "source" / "lists.md").rename(clash / "source" / "gemlog.md")
    result = _build(clash, "--collect", "-f", "txt", "-q")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("source/gemlog.md: ") and "--collect" in result.stderr
