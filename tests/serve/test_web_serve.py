"""`chapbook serve` for the web edition: build/web over HTTP on loopback, nothing outside the folder."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from pipeline.errors import ChapbookError
from pipeline.serve.web import POLICY, start_site_server


def get(port: int, path: str):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, b""


@pytest.fixture
def site(tmp_path):
    web = tmp_path / "build" / "web"
    (web / "images").mkdir(parents=True)
    (web / "index.html").write_text("<!DOCTYPE html><title>home</title>", encoding="utf-8")
    (web / "2024-07-31-post.html").write_text("<!DOCTYPE html><title>post</title>", encoding="utf-8")
    (web / "atom.xml").write_text("<feed/>", encoding="utf-8")
    (web / ".web-state").write_text("private", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("outside the site", encoding="utf-8")
    (web / "leak.txt").symlink_to(tmp_path / "secret.txt")
    server = start_site_server(web, "127.0.0.1", 0)
    yield server.server_port
    server.shutdown()
    server.server_close()


def test_pages_are_served_as_utf8_html_with_the_policy(site):
    status, headers, body = get(site, "/")
    assert (status, body) == (200, b"<!DOCTYPE html><title>home</title>")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == POLICY
    status, headers, _ = get(site, "/2024-07-31-post.html")
    assert status == 200
    assert get(site, "/atom.xml")[1]["Content-Type"].startswith("application/atom+xml")


def test_nothing_outside_the_folder_no_dot_files_and_no_listings(site):
    assert get(site, "/leak.txt")[0] == 404
    assert get(site, "/.web-state")[0] == 404
    assert get(site, "/../secret.txt")[0] == 404
    assert get(site, "/%2e%2e/secret.txt")[0] == 404
    assert get(site, "/images/")[0] == 404


def test_a_folder_without_a_site_is_refused(tmp_path):
    with pytest.raises(ChapbookError, match="no web edition here"):
        start_site_server(tmp_path, "127.0.0.1", 0)
