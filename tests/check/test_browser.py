"""The browser harness: real pages in headless Chromium, measured, checked by axe-core, kept off the network."""

from __future__ import annotations

import functools
import http.server
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ROOT

from pipeline.check import browser

pytestmark = pytest.mark.skipif(browser.missing(axe=True) is not None,
                                reason=f"install: {browser.missing(axe=True)}")


@pytest.fixture(scope="module")
def chromium():
    with browser.open_browser() as running:
        yield running


class _Listener:
    """A loopback TCP listener that counts the connections made to it."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen()
        self.socket.settimeout(0.2)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while self.running:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.socket.close()


def write(folder: Path, name: str, body: str, head: str = "") -> Path:
    path = folder / name
    path.write_text(f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title>{head}</head>'
                    f"<body><main>{body}</main></body></html>", encoding="utf-8")
    return path


def test_a_request_to_another_host_is_refused_and_reported(chromium, tmp_path):
    listener = _Listener()
    try:
        page = write(tmp_path, "page.html", f'<img src="http://127.0.0.1:{listener.port}/pixel.png" alt="x">'
                     '<img src="https://cdn.example.com/logo.png" alt="y">',
                     head='<link rel="stylesheet" href="https://fonts.example.net/face.css">')
        with chromium.open(page, 1280) as view:
            refused = list(view.refused)
    finally:
        listener.close()
    assert f"http://127.0.0.1:{listener.port}/pixel.png" in refused
    assert "https://cdn.example.com/logo.png" in refused
    assert "https://fonts.example.net/face.css" in refused
    assert listener.connections == 0


def test_a_file_outside_the_page_folder_is_refused_and_inside_is_loaded(chromium, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "secret.css").write_text("body { color: red }", encoding="utf-8")
    (site / "own.css").write_text("main { margin-left: 37px }", encoding="utf-8")
    page = write(site, "page.html", "<p>x</p>", head='<link rel="stylesheet" href="../secret.css">'
                 '<link rel="stylesheet" href="own.css">')
    with chromium.open(page, 800) as view:
        assert view.refused == [(tmp_path / "secret.css").as_uri()]
        assert view.boxes("main")[0].x == 37 + 8  # its own stylesheet applied (8 px: the body's margin)


def test_a_loopback_page_loads_from_its_own_origin_only(chromium, tmp_path):
    (tmp_path / "style.css").write_text("p { margin-left: 51px }", encoding="utf-8")
    listener = _Listener()
    write(tmp_path, "index.html", "<p>served</p>", head=f'<link rel="stylesheet" href="style.css">'
          f'<link rel="stylesheet" href="http://127.0.0.1:{listener.port}/other.css">')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with chromium.open(f"http://127.0.0.1:{server.server_port}/index.html", 800) as view:
            assert view.inner_text("p") == "served"
            assert view.boxes("p")[0].x == 51 + 8
            assert view.refused == [f"http://127.0.0.1:{listener.port}/other.css"]
    finally:
        server.shutdown()
        server.server_close()
        listener.close()
    assert listener.connections == 0


def test_only_loopback_addresses_are_opened(chromium):
    with pytest.raises(ValueError, match="loopback"), chromium.open("https://example.com/", 800):
        pass


def test_a_wide_element_scrolls_a_phone_sideways_and_is_named(chromium, tmp_path):
    page = write(tmp_path, "wide.html", '<pre id="code" style="width: 600px">x</pre><p>fits</p>',
                 head='<meta name="viewport" content="width=device-width, initial-scale=1">')
    with chromium.open(page, 320) as view:
        assert view.scroll_width() > 320
        assert any(name.startswith("pre#code") for name in view.wider_than_viewport())
    with chromium.open(page, 1280) as view:
        assert view.scroll_width() == 1280
        assert view.wider_than_viewport() == []
        view.set_width(390)
        assert view.scroll_width() > 390 and view.width == 390


def test_the_dark_scheme_is_what_the_page_sees(chromium, tmp_path):
    page = write(tmp_path, "dark.html", "<p>x</p>", head="<style>body { background: rgb(250, 250, 250) }"
                 "@media (prefers-color-scheme: dark) { body { background: rgb(20, 20, 20) } }</style>")
    colours = {}
    for scheme in browser.SCHEMES:
        with chromium.open(page, 390, scheme=scheme) as view:
            colours[scheme] = view.evaluate("getComputedStyle(document.body).backgroundColor")
    assert colours == {"light": "rgb(250, 250, 250)", "dark": "rgb(20, 20, 20)"}
    with chromium.open(page, 390) as view:
        view.set_scheme("dark")
        assert view.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(20, 20, 20)"


def test_axe_finds_a_missing_alt_and_passes_a_clean_page(chromium, tmp_path):
    (tmp_path / "dot.png").write_bytes(b"")
    bad = write(tmp_path, "bad.html", '<img src="dot.png"><p style="color: #bbb">faint</p>')
    good = write(tmp_path, "good.html", '<h1>a title</h1><p>plain words</p>')
    with chromium.open(bad, 1280) as view:
        rules = {violation.rule for violation in view.axe()}
    assert {"image-alt", "color-contrast"} <= rules
    with chromium.open(bad, 1280) as view:
        assert [violation.rule for violation in view.axe(rules=("color-contrast",))] == ["color-contrast"]
    with chromium.open(good, 1280) as view:
        assert view.axe() == []


def test_axe_runs_on_a_page_whose_policy_forbids_scripts(chromium, tmp_path):
    page = write(tmp_path, "strict.html", "<h1>strict</h1><img src='x.png'>",
                 head="""<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'none'">""")
    with chromium.open(page, 800) as view:
        assert [violation.rule for violation in view.axe()] == ["image-alt"]


def test_list_depths_come_from_the_dom(chromium, tmp_path):
    nested = "a"
    for depth in range(6, 1, -1):
        nested = f"level {depth}<ul><li>{nested}</li></ul>" if depth < 6 else f"level {depth}"
    nested = f"<ul><li>level 1<ol><li>{nested}</li></ol></li><li>again 1</li></ul>"
    page = write(tmp_path, "lists.html", f'<nav><ul><li>contents</li></ul></nav><article>{nested}</article>')
    with chromium.open(page, 320) as view:
        assert view.list_items("article") == [(1, "level 1"), (2, "level 2"), (3, "level 3"), (4, "level 4"),
                                              (5, "level 5"), (6, "level 6"), (1, "again 1")]
        assert view.list_items(leaving_out="nav")[0] == (1, "level 1")
        assert view.list_items()[0] == (1, "contents")


def test_inner_text_is_what_the_reader_sees_case_included(chromium, tmp_path):
    page = write(tmp_path, "case.html", '<p id="shout" style="text-transform: uppercase">quiet words</p>'
                 '<p id="hidden">shown <span style="display: none">not shown</span></p>')
    with chromium.open(page, 800) as view:
        assert view.inner_text("#shout") == "QUIET WORDS"
        assert view.inner_text("#hidden") == "shown"


def test_boxes_and_overlaps_are_measured(chromium, tmp_path):
    page = write(tmp_path, "boxes.html", '<div class="b" style="position: absolute; left: 10px; top: 10px; '
                 'width: 100px; height: 50px">one</div><div class="b" style="position: absolute; left: 60px; '
                 'top: 40px; width: 100px; height: 50px">two</div><div class="b" style="position: absolute; '
                 'left: 300px; top: 10px; width: 10px; height: 10px"></div>')
    with chromium.open(page, 800) as view:
        first, second, third = view.boxes(".b")
        assert (first.x, first.y, first.width, first.height, first.text) == (10, 10, 100, 50, "one")
        assert first.overlaps(second) and not first.overlaps(third)
        assert len(view.overlapping(".b")) == 1


def test_a_screenshot_is_a_png_of_the_whole_page(chromium, tmp_path):
    page = write(tmp_path, "long.html", '<div style="height: 2000px">tall</div>')
    with chromium.open(page, 390, height=600) as view:
        shot = view.screenshot(tmp_path / "shot.png")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == 390 and int.from_bytes(data[20:24], "big") > 2000


def test_without_playwright_the_install_command_is_given():
    script = ("import sys; sys.modules['playwright'] = None\n"
              "from pipeline.check import browser\n"
              "print(browser.missing())\n"
              "try:\n"
              "    with browser.open_browser(): pass\n"
              "except browser.BrowserUnavailable as error: print(error)")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.splitlines() == [browser.PLAYWRIGHT_INSTALL, f"install it: {browser.PLAYWRIGHT_INSTALL}"]
