"""The outside checkers (Ace, Nu) on small hand-made files with known faults: they must find them, and say
"skipped" with an install command, never pass, when their tool is missing."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from pipeline.check import validators
from pipeline.check.installs import node_tools

XHTML = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en" xml:lang="en">
<head><meta charset="utf-8"/><title>a page</title></head>
<body epub:type="bodymatter">
<section epub:type="chapter" aria-labelledby="h"><h1 id="h">a heading</h1>
<p id="twice">one</p>
<p id="twice">two</p>
<ol epub:type="list" type="a"><li>item</li></ol>
{extra}
</section>
</body>
</html>
"""
OPF = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="id">urn:uuid:0b5a7bd0-4b6e-4f4f-9c3e-3f2a1c1d2e3f</dc:identifier>
<dc:title>a bad book</dc:title><dc:language>en</dc:language>
<meta property="dcterms:modified">2024-08-01T00:00:00Z</meta>
</metadata>
<manifest>
<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
<item id="page" href="page.xhtml" media-type="application/xhtml+xml"/>
<item id="pixel" href="pixel.png" media-type="image/png"/>
</manifest>
<spine><itemref idref="page"/></spine>
</package>
"""
NAV = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en" xml:lang="en">
<head><meta charset="utf-8"/><title>contents</title></head>
<body><nav epub:type="toc" id="toc"><h1>contents</h1><ol><li><a href="page.xhtml">a page</a></li></ol></nav></body>
</html>
"""
CONTAINER = """<?xml version="1.0" encoding="utf-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>
"""


def _page(folder: Path, name: str = "page.xhtml", extra: str = "") -> Path:
    path = folder / name
    path.write_text(XHTML.replace("{extra}", extra), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def nu_files(tmp_path_factory) -> list[Path]:
    """Two pages and a stylesheet, each with known faults."""
    folder = tmp_path_factory.mktemp("nu")
    css = folder / "style.css"
    css.write_text("p { colour: red; }\n", encoding="utf-8")
    typed = '<p epub:type="z3998:poem" type="bogus">a paragraph with a type of its own</p>'
    return [_page(folder), _page(folder, "typed.xhtml", typed), css]


@pytest.fixture(scope="module")
def nu_plain(nu_files) -> list[validators.NuMessage]:
    return validators.nu_messages(nu_files)


@pytest.fixture(scope="module")
def nu_epub(nu_files) -> list[validators.NuMessage]:
    return validators.nu_messages(nu_files[:2], epub=True)


def _of(messages, name: str) -> list[validators.NuMessage]:
    return [m for m in messages if Path(m.path).name == name]


def test_nu_reports_errors_with_file_and_line(nu_plain):
    problems = validators.nu_problems(_of(nu_plain, "page.xhtml"))
    duplicate = [m for m in problems if "duplicate ID" in m.message]
    assert duplicate and duplicate[0].severity == "error" and duplicate[0].line == 8


def test_nu_epub_mode_drops_only_epub_type_messages(nu_plain, nu_epub):
    plain, as_epub = _of(nu_plain, "page.xhtml"), _of(nu_epub, "page.xhtml")
    about_type = [m for m in plain if "Attribute “type” not allowed" in m.message]
    assert len(about_type) == 3  # body, section and list (whose own `type="a"` is HTML's and allowed)
    assert not [m for m in as_epub if "Attribute “type” not allowed" in m.message]
    assert len(as_epub) == len(plain) - 3
    assert any("duplicate ID" in m.message for m in as_epub)


def test_nu_keeps_an_html_type_attribute_error_beside_epub_type(nu_epub):
    # Nu names the attribute "type" for both; which is which is unknowable, so both messages stay.
    kept = [m.line for m in _of(nu_epub, "typed.xhtml") if "“type” not allowed on element “p”" in m.message]
    assert kept == [10, 10]


def test_nu_checks_css_in_the_same_call(nu_plain):
    assert any(m.severity == "error" and "colour" in m.message for m in _of(nu_plain, "style.css"))


def test_missing_tools_are_skipped_with_the_install_command(tmp_path, monkeypatch):
    empty = tmp_path / "tools"
    empty.mkdir()
    nu = validators.nu_messages([_page(tmp_path)], tools=empty)
    ace = validators.ace_violations([tmp_path / "book.epub"], tools=empty)
    for skipped in (nu, ace):
        assert isinstance(skipped, validators.Skipped)
        assert "npm install" in skipped.install and "install it:" in str(skipped)
    monkeypatch.setenv("PATH", str(empty))
    no_java = validators.nu_messages([_page(tmp_path)])
    assert isinstance(no_java, validators.Skipped) and no_java.install == validators.JAVA_INSTALL
    no_node = validators.ace_violations([tmp_path / "book.epub"])
    assert isinstance(no_node, validators.Skipped) and no_node.install == validators.NODE_INSTALL


def _bad_book(path: Path) -> Path:
    """An EPUB that EPUB readers open but Ace must fault: no xml:lang on the package, an image without alt."""
    pixel = (Path(__file__).resolve().parents[1] / "fixtures" / "pixel.png").read_bytes()
    with zipfile.ZipFile(path, "w") as book:
        book.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip")
        book.writestr("META-INF/container.xml", CONTAINER)
        book.writestr("OEBPS/content.opf", OPF)
        book.writestr("OEBPS/nav.xhtml", NAV)
        page = XHTML.replace("{extra}", '<p><img src="pixel.png"/></p>').replace('id="twice">two', 'id="other">two')
        book.writestr("OEBPS/page.xhtml", page)
        book.writestr("OEBPS/pixel.png", pixel)
    return path


@pytest.mark.skipif(isinstance(validators._ace_missing(node_tools()), validators.Skipped),
                    reason="Ace is not installed (make installs it)")
def test_ace_finds_a_missing_language_and_a_missing_alt_text(tmp_path):
    book = _bad_book(tmp_path / "bad book.epub")
    found = validators.ace_violations([book])
    rules = {(v.rule, v.impact) for v in found[book]}
    assert ("epub-lang", "serious") in rules
    assert ("image-alt", "critical") in rules
    files = {v.file for v in found[book] if v.rule == "image-alt"}
    assert files == {"page.xhtml"}
