"""The writer's preview: what `watch` writes first after a save, and `serve --watch` reloading the open page."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT

from pipeline.check import browser
from pipeline.serve.web import start_site_server


def _wait_for(condition, seconds: float = 60, process: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, log.read_text() if log else "timed out"
        assert process is None or process.poll() is None, log.read_text() if log else "the process ended"
        time.sleep(0.1)


def _stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _files(folder: Path) -> dict[Path, bytes]:
    return {path.relative_to(folder): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_watch_writes_both_folders_with_the_last_pdf_before_waiting_for_the_new_one(tmp_path):
    """Capsule and web site both show an edit before the PDF lands, then carry the new PDF, as a build does."""
    environment = dict(os.environ, SOURCE_DATE_EPOCH="1700000000", CHAPBOOK_CACHE_DIR=str(tmp_path / "cache"))
    source = tmp_path / "src" / "essay.md"
    source.parent.mkdir()
    shutil.copy(FIXTURES / "disclaimers.md", source)
    out, log = tmp_path / "out", tmp_path / "watch.log"
    # The booklet waits for the PDF too: the folders must not wait for it (they did, behind it).
    formats = ["-f", "gemini", "-f", "web", "-f", "booklet"]
    with log.open("w") as stream:
        process = subprocess.Popen([sys.executable, "-m", "pipeline", "watch", str(source), "-o", str(out), "-v",
                                    *formats], cwd=ROOT, stdout=stream, stderr=subprocess.STDOUT, text=True,
                                   env=environment)
    try:
        _wait_for(lambda: "rebuilt" in log.read_text(), process=process, log=log)
        time.sleep(1.0)  # let the watcher start
        first = len(log.read_text())
        source.write_text(source.read_text(encoding="utf-8").replace("lawyer", "barrister", 1), encoding="utf-8")
        _wait_for(lambda: log.read_text().count("rebuilt") >= 2, process=process, log=log)
    finally:
        _stop(process)
    edit = log.read_text()[first:]
    early = re.findall(r"(gemini|web): written with the last build's (\S+) until the new one is done", edit)
    assert sorted(early) == [("gemini", "essay.pdf"), ("web", "essay.pdf")], edit
    # Both were written before the build collected the new PDF from its worker.
    landed = edit.index("answered by worker process")
    assert all(edit.index(f"{name}: written with the last build's") < landed for name in ("gemini", "web")), edit
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "pipeline", "build", str(source), "-o", str(fresh), *formats, "-q"],
                   cwd=ROOT, check=True, env=dict(environment, CHAPBOOK_CACHE_DIR=str(tmp_path / "cache-2")))
    for folder in ("gemini", "web"):
        watched = _files(out / folder)
        assert watched == _files(fresh / folder)  # the last writing has the new PDF, as a build of the save
        assert any(b"barrister" in data for name, data in watched.items() if name.suffix in (".gmi", ".html"))
    assert (out / "gemini" / "gemlog" / "essay.pdf").read_bytes() == (out / "essay.pdf").read_bytes()


def _open_stream(port: int, page: str, timeout: float):
    response = urllib.request.urlopen(f"http://127.0.0.1:{port}/.chapbook/reload?page={page}", timeout=timeout)
    assert response.headers["Content-Type"] == "text/event-stream"
    assert response.readline() == b"retry: 1000\n" and response.readline() == b"\n"
    return response


def _events(response) -> list[bytes]:
    """The stream's lines up to its first event's end."""
    lines = []
    while not lines or lines[-1] != b"\n":
        lines.append(response.readline())
    return lines


def test_the_reload_stream_answers_only_once_its_page_changes(tmp_path):
    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!DOCTYPE html><title>home</title></html>", encoding="utf-8")
    (web / "post.html").write_text("<!DOCTYPE html><title>one</title></html>", encoding="utf-8")
    server = start_site_server(web, "127.0.0.1", 0, live=True)
    try:
        stream = _open_stream(server.server_port, "/post.html", timeout=1.0)
        (web / "index.html").write_text("<!DOCTYPE html><title>home, again</title></html>", encoding="utf-8")
        with pytest.raises(TimeoutError):  # another page changed: nothing to reload here
            stream.readline()
        stream.close()
        stream = _open_stream(server.server_port, "/post.html", timeout=10)
        replacement = web / ".post.html.part"
        replacement.write_text("<!DOCTYPE html><title>two</title></html>", encoding="utf-8")
        replacement.replace(web / "post.html")  # as chapbook writes every file
        assert _events(stream) == [b"data: reload\n", b"\n"]
        stream.close()
    finally:
        server.shutdown()
        server.server_close()


def test_serve_watch_reloads_the_open_page_and_adds_its_script_only_to_what_it_sends(tmp_path):
    source = tmp_path / "src" / "essay.md"
    source.parent.mkdir()
    shutil.copy(FIXTURES / "disclaimers.md", source)
    out, log = tmp_path / "out", tmp_path / "serve.log"
    environment = dict(os.environ, CHAPBOOK_CACHE_DIR=str(tmp_path / "cache"), CHAPBOOK_STATE_DIR=str(tmp_path))
    with log.open("w") as stream:
        process = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", str(out), "--watch", "-s", str(source),
                                    "-f", "web", "--http-port", "0", "--port", "0"], cwd=ROOT, stdout=stream,
                                   stderr=subprocess.STDOUT, text=True, env=environment)
    try:
        _wait_for(lambda: re.search(r"at http://127\.0\.0\.1:(\d+)/", log.read_text()), process=process, log=log)
        port = int(re.search(r"at http://127\.0\.0\.1:(\d+)/", log.read_text()).group(1))
        page = next((out / "web").glob("2*.html"))
        built = page.read_bytes()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{page.name}", timeout=10) as response:
            served, policy = response.read(), response.headers["Content-Security-Policy"]
        assert b"<script" not in built and b"script-src 'none'" in built  # the web edition stays script-free
        scripts = re.findall(rb"<script>(.*?)</script>\n", served)
        assert len(scripts) == 1 and served.count(b"<script") == 1
        # The one script is allowed by its hash, as a browser checks it (CSP 3, hash-source), and nothing else.
        allowed = "'sha256-" + base64.b64encode(hashlib.sha256(scripts[0]).digest()).decode() + "'"
        assert f"script-src {allowed};" in policy and "'unsafe-inline'" not in policy
        assert served.replace(b"<script>" + scripts[0] + b"</script>\n", b"").replace(
            allowed.encode(), b"'none'") == built  # else byte for byte what was built
        assert b"/.chapbook/reload" in scripts[0] and b"location.reload()" in scripts[0]
        stream = _open_stream(port, "/" + page.name, timeout=60)
        time.sleep(1.0)  # let the watcher start
        source.write_text(source.read_text(encoding="utf-8").replace("lawyer", "barrister", 1), encoding="utf-8")
        assert _events(stream) == [b"data: reload\n", b"\n"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{page.name}", timeout=10) as response:
            assert b"barrister" in response.read()
        if browser.missing() is None:
            _reloads_in_a_browser(f"http://127.0.0.1:{port}/{page.name}", source, "barrister", "advocate")
    finally:
        _stop(process)
    assert process.returncode == 0 and "Traceback" not in log.read_text(), log.read_text()


def _reloads_in_a_browser(url: str, source: Path, old: str, new: str) -> None:
    """Headless Chromium holds the page open under its policy; a save makes the page reload with the edit."""
    with browser.open_browser() as running, running.open(url, width=1024) as view:
        view.page.wait_for_timeout(500)  # the script opens its stream
        view.evaluate("() => { window.chapbookTestMarker = 1; }")
        source.write_text(source.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
        # The marker is gone only if the page itself reloaded: the policy let the script run.
        view.page.wait_for_function(f"() => window.chapbookTestMarker === undefined && "
                                    f"document.body.innerText.includes({new!r})", timeout=60_000)
        assert view.refused == []
