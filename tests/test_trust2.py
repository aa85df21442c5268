"""Trust, round two (issue 16): planted links, FIFOs, endless files, terminal escapes, hostile Gemini clients.

Every input is made by the test itself; each case broke a promise of README's trust section before its fix.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import ROOT, run_chapbook

from pipeline.atomic import atomic_write, probe_writable
from pipeline.bounded import FileTooLarge, NotRegularFile, read_regular_file
from pipeline.terminal import EscapingFormatter, shown

OUTSIDE_TEXT = b"OUTSIDE-FILE-THAT-MUST-SURVIVE\n"


@contextmanager
def deadline(seconds: int):
    """Fail instead of hanging when the code under test blocks (a FIFO read waits forever)."""
    def expire(_number, _frame):
        raise TimeoutError(f"still blocked after {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def outside(tmp_path) -> Path:
    """A file outside every folder under test; planted links point at it, and it must never change."""
    path = tmp_path / "outside.txt"
    path.write_bytes(OUTSIDE_TEXT)
    return path


# --- files made with O_EXCL / O_NOFOLLOW --------------------------------------------------------------------

def test_the_write_probe_never_writes_through_a_planted_link(tmp_path, outside):
    out = tmp_path / "shared-out"
    out.mkdir()
    planted = out / f".chapbook-write-test-{os.getpid()}"
    planted.symlink_to(outside)
    probe_writable(out)
    assert outside.read_bytes() == OUTSIDE_TEXT
    assert planted.is_symlink() and sorted(p.name for p in out.iterdir()) == [planted.name]


def test_atomic_write_replaces_a_planted_link_instead_of_writing_through_it(tmp_path, outside):
    out = tmp_path / "out"
    out.mkdir()
    (out / "essay.txt").symlink_to(outside)
    atomic_write(out / "essay.txt", b"the edition\n")
    assert outside.read_bytes() == OUTSIDE_TEXT
    assert not (out / "essay.txt").is_symlink() and (out / "essay.txt").read_bytes() == b"the edition\n"
    assert (out / "essay.txt").stat().st_mode & 0o777 == 0o644


def test_the_certificate_key_is_never_written_through_a_planted_link(tmp_path, outside):
    from pipeline.serve import ensure_certificate

    folder = tmp_path / "tls"
    folder.mkdir()
    for name in (".localhost.key.part", f".localhost.key.{os.getpid()}.part", ".localhost.crt.part"):
        (folder / name).symlink_to(outside)
    certfile, keyfile = ensure_certificate(folder, ["localhost", "127.0.0.1", "::1"])
    assert outside.read_bytes() == OUTSIDE_TEXT
    assert not keyfile.is_symlink() and b"PRIVATE KEY" in keyfile.read_bytes()
    assert keyfile.stat().st_mode & 0o777 == 0o600


# --- bounded reads of regular files only ------------------------------------------------------------------

def test_bounded_read_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "source.md"
    os.mkfifo(fifo)
    with deadline(5), pytest.raises(NotRegularFile, match="named pipe"):
        read_regular_file(fifo, 1024)


def test_bounded_read_refuses_a_link_to_an_endless_device(tmp_path):
    link = tmp_path / "zero.md"
    link.symlink_to("/dev/zero")
    with deadline(5), pytest.raises(NotRegularFile, match="character device"):
        read_regular_file(link, 1024)


def test_bounded_read_stops_at_its_limit(tmp_path):
    big = tmp_path / "big.md"
    with big.open("wb") as stream:
        stream.truncate(10 * 1024 * 1024 * 1024)  # sparse: 10 GiB on paper, nothing on disk
    with pytest.raises(FileTooLarge) as refused:
        read_regular_file(big, 4096)
    assert refused.value.limit == 4096 and refused.value.size > 4096
    (tmp_path / "small.md").write_bytes(b"x" * 4096)
    assert read_regular_file(tmp_path / "small.md", 4096) == b"x" * 4096


def test_bounded_read_can_refuse_links(tmp_path, outside):
    (tmp_path / "link").symlink_to(outside)
    assert read_regular_file(tmp_path / "link", 1024) == OUTSIDE_TEXT
    with pytest.raises(OSError) as refused:
        read_regular_file(tmp_path / "link", 1024, follow_links=False)
    assert not isinstance(refused.value, (NotRegularFile, FileTooLarge))


def test_the_pdf_fetcher_refuses_an_oversized_file_and_a_nul_in_its_url(tmp_path, caplog):
    from pipeline.fetcher import MAX_RESOURCE_BYTES, RefusedResource, SandboxedFetcher

    huge = tmp_path / "huge.png"
    with huge.open("wb") as stream:
        stream.truncate(MAX_RESOURCE_BYTES + 1)
    fetcher = SandboxedFetcher((tmp_path,), "test.md")
    with caplog.at_level(logging.WARNING, logger="chapbook"):
        for url in (huge.as_uri(), tmp_path.as_uri() + "/a%00b.png"):
            with pytest.raises(RefusedResource):
                fetcher.fetch(url)
    assert "more than the limit" in caplog.text and "NUL" in caplog.text


# --- terminal escapes ---------------------------------------------------------------------------------------

def test_control_characters_are_shown_escaped():
    hostile = "title\x1b]0;pwned\x07 \x1b[2J\x9b31m tab\there\nnext \x7f"
    assert shown(hostile) == "title\\x1b]0;pwned\\x07 \\x1b[2J\\x9b31m tab\\there\\nnext \\x7f"
    assert shown("voice: é — “quoted” 😀 ↳ ​") == "voice: é — “quoted” 😀 ↳ ​"


def test_the_escaping_formatter_keeps_a_warning_on_one_harmless_line():
    class Prefixed(EscapingFormatter):
        def prefix(self, record):
            return "warning: "

    record = logging.LogRecord("chapbook", logging.WARNING, __file__, 1, "%s: image %s refused", (
        "essay.md", "\x1b[2Jx.png\n"), None)
    assert Prefixed().format(record) == "warning: essay.md: image \\x1b[2Jx.png\\n refused"


# --- serve: links out of the capsule, malformed requests, escaped logs -----------------------------------

def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _exchange(port: int, request: bytes) -> bytes:
    """Send one raw request line over TLS; return all the server answered."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as stream:
        stream.sendall(request)
        data = b""
        while chunk := stream.recv(65536):
            data += chunk
    return data


@pytest.fixture(scope="module")
def hostile_capsule(tmp_path_factory):
    """A built capsule with links planted in it, served by `chapbook serve`; yields (port, secret, logs)."""
    base = tmp_path_factory.mktemp("serve")
    (base / "private").mkdir()
    (base / "private" / "secret.gmi").write_bytes(b"# SECRET-BEYOND-THE-CAPSULE\n")
    (base / "private" / "index.gmi").write_bytes(b"# SECRET-INDEX\n")
    source = base / "page.md"
    source.write_text("---\ntitle: a page\nlang: en\n---\n\nhello.\n", encoding="utf-8")
    result = run_chapbook("build", "-q", "-f", "gemini", "-o", str(base / "out"), str(source))
    assert result.returncode == 0, result.stderr
    capsule = base / "out" / "gemini"
    (capsule / "passwd.gmi").symlink_to("/etc/passwd")
    (capsule / "secret.gmi").symlink_to(base / "private" / "secret.gmi")
    (capsule / "private").symlink_to(base / "private")
    (capsule / "home.gmi").symlink_to("index.gmi")  # a link that stays inside is fine
    port = _free_port()
    logs = base / "stdout", base / "stderr"
    with logs[0].open("wb") as stdout, logs[1].open("wb") as stderr:
        server = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", str(base / "out"), "--port", str(port)],
                                  cwd=ROOT, env=dict(os.environ, CHAPBOOK_STATE_DIR=str(base / "state")),
                                  stdout=stdout, stderr=stderr)
    try:
        started = time.monotonic()
        while True:
            try:
                _exchange(port, f"gemini://127.0.0.1:{port}/\r\n".encode())
                break
            except OSError:
                assert server.poll() is None, logs[1].read_text()
                assert time.monotonic() - started < 30, "the server did not start"
                time.sleep(0.2)
        yield port, server, logs
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=20)


def test_serve_never_follows_a_link_out_of_the_capsule(hostile_capsule):
    port = hostile_capsule[0]
    for path in ("passwd.gmi", "secret.gmi", "private/secret.gmi", "private/", "private", "./private/index.gmi"):
        answer = _exchange(port, f"gemini://127.0.0.1:{port}/{path}\r\n".encode())
        assert answer.startswith((b"51 ", b"31 ")), (path, answer[:80])
        assert b"SECRET" not in answer and b"root:" not in answer, path
    redirect = _exchange(port, f"gemini://127.0.0.1:{port}/private\r\n".encode())
    if redirect.startswith(b"31 "):  # a folder's redirect leads only to the refusal above
        assert _exchange(port, redirect[3:].split(b"\r\n")[0] + b"\r\n").startswith(b"51 ")
    inside = _exchange(port, f"gemini://127.0.0.1:{port}/home.gmi\r\n".encode())
    assert inside.startswith(b"20 text/gemini") and b"a page" in inside


MALFORMED = [b"\xff\xfe not utf-8\r\n", b"gemini://127.0.0.1/" + b"x" * 1100 + b"\r\n", b"\r\n",
             b"gemini://127.0.0.1/%00\r\n", b"gemini://127.0.0.1/a%00b.gmi\r\n",
             b"gemini://127.0.0.1/\x1b]0;pwned\x07\x1b[2J\r\n", b"gemini://127.0.0.1:99999/\r\n",
             b"gemini://127.0.0.1/" + b"n" * 300 + b".gmi\r\n", b"gemini://user@127.0.0.1/\r\n", b"/relative\r\n"]


def test_malformed_requests_get_an_answer_and_no_traceback(hostile_capsule):
    port, server, (stdout, stderr) = hostile_capsule
    for request in MALFORMED:
        answer = _exchange(port, request)
        assert answer[:1] == b"5" and answer.endswith(b"\r\n") and answer.count(b"\r\n") == 1, (request, answer)
    escaped = _exchange(port, f"gemini://127.0.0.1:{port}/%1b]0;retitled%07%1b[2J.gmi\r\n".encode())
    assert escaped.startswith(b"51 ")
    assert _exchange(port, f"gemini://127.0.0.1:{port}/\r\n".encode()).startswith(b"20 ")  # still serving
    server.send_signal(signal.SIGINT)
    server.wait(timeout=20)
    assert server.returncode == 0
    errors, access = stderr.read_bytes(), stdout.read_bytes()
    assert b"Traceback" not in errors and b"Unhandled" not in errors, errors.decode(errors="replace")
    for log in (errors, access):
        assert not any(byte < 0x20 and byte not in b"\n" for byte in log), log
        assert b"\xc2\x9b" not in log and b"\x7f" not in log
    assert b"\\x1b]0;pwned\\x07" in access  # the client's escape is shown, escaped
