"""The PDF edition's sandboxed URL fetcher: local files from allowed folders only, never the network."""

from __future__ import annotations

import io
import logging
import socket
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipeline.writers.pdf.fetcher import RefusedResource, SandboxedFetcher
from tests.conftest import FIXTURES, document_from_text

STYLES = Path(__file__).resolve().parents[3] / "styles"
PNG = (FIXTURES / "pixel.png").read_bytes()


@pytest.fixture
def listener():
    """A loopback TCP port that records every connection attempt; a build must make none."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)

    def connections() -> int:
        count = 0
        while True:
            try:
                client, _address = server.accept()
            except BlockingIOError:
                return count
            client.close()
            count += 1
    yield f"http://127.0.0.1:{server.getsockname()[1]}", connections
    server.close()


@pytest.fixture
def sandbox(tmp_path):
    """A source folder with an image inside, a file beside it outside, and a fetcher for the folder."""
    folder = tmp_path / "source"
    folder.mkdir()
    (folder / "inside.png").write_bytes(PNG)
    (tmp_path / "outside.png").write_bytes(PNG)
    return folder, SandboxedFetcher((folder, STYLES), "test.md")


def test_files_inside_the_source_folder_and_styles_are_served(sandbox):
    folder, fetcher = sandbox
    response = fetcher.fetch((folder / "inside.png").as_uri())
    assert response.read() == PNG and response.content_type == "image/png"
    css = fetcher.fetch((STYLES / "print.css").as_uri())
    assert css.content_type == "text/css" and b"@page" in css.read()


@pytest.mark.parametrize("where", ["outside", "etc-passwd", "dot-dot", "symlink", "host"])
def test_files_outside_the_allowed_folders_are_refused_with_a_warning(where, sandbox, caplog):
    folder, fetcher = sandbox
    if where == "symlink":
        (folder / "link.png").symlink_to(folder.parent / "outside.png")
    url = {"outside": (folder.parent / "outside.png").as_uri(),
           "etc-passwd": "file:///etc/passwd",
           "dot-dot": folder.as_uri() + "/../outside.png",
           "symlink": (folder / "link.png").as_uri(),
           "host": "file://example.org" + str(folder / "inside.png")}[where]
    with caplog.at_level(logging.WARNING, logger="chapbook"), pytest.raises(RefusedResource):
        fetcher.fetch(url)
    assert url in caplog.text and "refused" in caplog.text
    assert fetcher.refused == [url]


@pytest.mark.parametrize("url", ["data:image/png;base64,iVBORw0KGgo=", "ftp://example.org/x.png",
                                 "gopher://example.org/x", "javascript:alert(1)"])
def test_other_schemes_are_refused(url, sandbox):
    with pytest.raises(RefusedResource):
        sandbox[1].fetch(url)


def test_a_remote_url_is_refused_without_a_connection(listener, sandbox, caplog):
    address, connections = listener
    with caplog.at_level(logging.WARNING, logger="chapbook"), pytest.raises(RefusedResource):
        sandbox[1].fetch(f"{address}/image.png")
    assert "network" in caplog.text and address in caplog.text
    assert connections() == 0


def test_weasyprint_fetches_stylesheets_and_images_only_through_the_sandbox(listener, sandbox, caplog):
    import weasyprint

    address, connections = listener
    folder, fetcher = sandbox
    outside = (folder.parent / "outside.png").as_uri()
    html = (f"<html><head><style>@import url({address}/remote.css); "
            f"body {{ background: url({outside}) }} p {{ background: url(/etc/passwd) }}</style></head>"
            f'<body><p>text<img src="{address}/remote.png" alt="remote"/><img src="{outside}" alt="outside"/>'
            f'<img src="../outside.png" alt="relative"/><img src="inside.png" alt="inside"/></p></body></html>')
    with caplog.at_level(logging.WARNING, logger="chapbook"):
        pdf = weasyprint.HTML(string=html, base_url=folder.as_uri() + "/", url_fetcher=fetcher).write_pdf()
    assert connections() == 0
    assert f"{address}/remote.css" in fetcher.refused and f"{address}/remote.png" in fetcher.refused
    assert outside in fetcher.refused and "file:///etc/passwd" in fetcher.refused
    assert len(_images(pdf)) == 1  # only inside.png


def test_a_source_pointing_outside_or_remote_never_reaches_the_pdf(listener, tmp_path, caplog):
    from pipeline.writers.pdf import book as pdf

    address, connections = listener
    (tmp_path / "outside.png").write_bytes(PNG)
    folder = tmp_path / "book"
    folder.mkdir()
    (folder / "pixel.png").write_bytes(PNG)
    markdown = ("---\ntitle: images\nlang: en\n---\n\n# images\n\n"
                "![a parent image](../outside.png)\n\n![a system file](/etc/passwd)\n\n"
                f"![a remote image]({address}/remote.png)\n\n![a local image](pixel.png)\n\n"
                f"a [remote link]({address}/page) is only a link.\n")
    document = document_from_text(folder, markdown)
    with caplog.at_level(logging.WARNING, logger="chapbook"):
        data = pdf.render(document)
    assert connections() == 0
    assert len(_images(data)) == 1
    text = "".join(page.extract_text() for page in PdfReader(_stream(data)).pages)
    for alt in ("a parent image", "a system file", "a remote image"):
        assert alt in text  # the refused image's alt text stands in for it
    assert "root:" not in text


def _stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


def _images(data: bytes) -> set[str]:
    """The image XObjects of a PDF (WeasyPrint shares one resource dictionary between pages)."""
    reader = PdfReader(_stream(data))
    return {name for page in reader.pages
            for name, item in (page["/Resources"].get("/XObject") or {}).items()
            if item.get_object().get("/Subtype") == "/Image"}
