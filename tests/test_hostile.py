"""Hostile sources: nothing is fetched, nothing outside the source folder leaks, no script survives."""

from __future__ import annotations

import socket
import threading
import zipfile

import pytest
from conftest import run_chapbook

from pipeline.build import available_editions


@pytest.fixture
def listener():
    """A loopback TCP listener that counts every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    connections = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _address = server.accept()
            except TimeoutError:
                continue
            connections.append(connection.recv(200))
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join()
    server.close()


def _hostile_source(folder, port):
    base = f"http://127.0.0.1:{port}"
    (folder / "secret-outside.txt").write_text("SECRET-OUTSIDE-BYTES")
    inner = folder / "book"
    inner.mkdir()
    source = inner / "hostile.md"
    source.write_text(f"""---
title: hostile
lang: en
---

# images

![remote]({base}/a.png) ![protocol relative](//127.0.0.1:{port}/b.png) ![passwd](/etc/passwd)
![up](../secret-outside.txt) ![file](file:///etc/passwd) ![file png](file:///usr/share/pixmaps/debian-logo.png)

<img src="{base}/c.png" alt="raw img"> <iframe src="{base}/frame"></iframe>

<object data="{base}/object"></object>

<link rel="stylesheet" href="{base}/style.css">

<div style="background: url({base}/bg.png)" onclick="steal()">styled div text</div>

<script>fetch("{base}/script")</script>

<a href="javascript:alert(1)">a javascript link</a> and <span onmouseover="x()">a handler</span>.

<svg><image href="{base}/svg.png"/></svg>
""", encoding="utf-8")
    return source


def _all_output_bytes(out):
    for path in out.rglob("*"):
        if path.is_file():
            yield path, path.read_bytes()
            if path.suffix == ".epub":
                with zipfile.ZipFile(path) as book:
                    for name in book.namelist():
                        yield path / name, book.read(name)


def test_hostile_source_fetches_nothing_and_leaks_nothing(tmp_path, listener):
    port, connections = listener
    source = _hostile_source(tmp_path, port)
    out = tmp_path / "out"
    result = run_chapbook("build", str(source), "-o", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert connections == []
    assert "refused" in result.stderr and "/etc/passwd" in result.stderr
    for path, data in _all_output_bytes(out):
        assert b"root:x:0:0" not in data, path
        assert b"SECRET-OUTSIDE-BYTES" not in data, path
        lowered = data.lower()
        if path.suffix in (".xhtml", ".html", ".gmi", ".txt"):
            for unsafe in (b"<script", b"javascript:", b"onclick", b"onmouseover", b"<iframe", b"<object"):
                assert unsafe not in lowered, (path, unsafe)
    assert set(available_editions()) >= {"txt"}


def test_pandoc_itself_is_sandboxed(tmp_path):
    source = tmp_path / "include.md"
    source.write_text("---\ntitle: t\n---\n\n![x](/etc/passwd)\n\n```{.include}\n/etc/passwd\n```\n")
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt")
    assert result.returncode == 0, result.stderr
    assert "root:x:0:0" not in (tmp_path / "out" / "include.txt").read_text()
