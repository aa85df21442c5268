"""Trust, round two (issue 16): planted links, FIFOs, endless files, terminal escapes, hostile Gemini clients.

Every input is made by the test itself; each case broke a promise of the trust section (docs/trust.md) before its fix.
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
import zipfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import ESSAY, ROOT, run_chapbook

from pipeline.files.atomic import atomic_write, probe_writable
from pipeline.files.bounded import FileTooLarge, NotRegularFile, read_regular_file
from pipeline.words.terminal import EscapingFormatter, shown

OUTSIDE_TEXT = b"OUTSIDE-FILE-THAT-MUST-SURVIVE\n"
MARKDOWN = b"---\ntitle: a source\nlang: en\n---\n\nthe author's only copy.\n"


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
    from pipeline.serve.capsule import ensure_certificate

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
    from pipeline.writers.pdf.fetcher import MAX_RESOURCE_BYTES, RefusedResource, SandboxedFetcher

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
    assert escaped.startswith(b"59 ")  # control characters in the path: malformed (issue 28)
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


# --- the source never overwritten, links out of the project, special files ---------------------------------

def test_a_linked_source_is_never_overwritten_through_its_real_folder(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "notes.txt").write_bytes(MARKDOWN)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "notes.md").symlink_to(real / "notes.txt")
    result = run_chapbook("build", str(tmp_path / "src" / "notes.md"), "-o", str(real), "-f", "txt")
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "would overwrite this source" in result.stderr
    assert (real / "notes.txt").read_bytes() == MARKDOWN


def test_a_source_inside_a_folder_an_edition_writes_is_refused(tmp_path):
    capsule = tmp_path / "book" / "gemini"
    capsule.mkdir(parents=True)
    (capsule / "index.gmi").write_bytes(MARKDOWN)
    result = run_chapbook("build", str(capsule / "index.gmi"), "-o", str(tmp_path / "book"), "-f", "gemini")
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "inside" in result.stderr and (capsule / "index.gmi").read_bytes() == MARKDOWN


def _project(tmp_path) -> Path:
    project = tmp_path / "project"
    (project / "source").mkdir(parents=True)
    (project / "source" / "essay.md").write_bytes(MARKDOWN)
    return project


def test_a_source_link_leaving_the_project_is_refused_unless_named(tmp_path, outside):
    project = _project(tmp_path)
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: secret\n---\n\nSECRET-WORDS from elsewhere.\n", encoding="utf-8")
    (project / "source" / "secret.md").symlink_to(secret)
    result = run_chapbook("build", "-f", "txt", cwd=project)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "source/secret.md" in result.stderr and "outside the project" in result.stderr
    assert not (project / "build").exists() or not any((project / "build").rglob("secret*"))
    named = run_chapbook("build", "-f", "txt", "source/secret.md", cwd=project)
    assert named.returncode == 0, named.stderr
    assert "SECRET-WORDS" in (project / "build" / "secret.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_a_special_file_as_a_source_is_refused_at_once(tmp_path, kind):
    project = _project(tmp_path)
    special = project / "source" / "special.md"
    if kind == "fifo":
        os.mkfifo(special)
    else:
        special.symlink_to("/dev/zero")
    result = run_chapbook("build", "-f", "txt", str(special), cwd=project, timeout=30)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "not a regular file" in result.stderr and "Traceback" not in result.stderr


# --- bounded pandoc, line endings --------------------------------------------------------------------------

def _alias_bomb(levels: int) -> str:
    lines = ['---', 'title: a bomb', 'author:', '  - &a0 [' + ', '.join(['"lol"'] * 9) + ']']
    for level in range(1, levels):
        lines.append(f'  - &a{level} [' + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines + ["---", "", "text", ""])


def test_a_yaml_alias_bomb_is_stopped_with_one_line(tmp_path):
    source = tmp_path / "bomb.md"
    source.write_text(_alias_bomb(9), encoding="utf-8")
    started = time.monotonic()
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt", timeout=120)
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"{source}:") and "pandoc" in result.stderr and "aliases" in result.stderr
    assert time.monotonic() - started < 60


def test_unknown_metadata_keys_are_refused_before_pandoc_reads_them(tmp_path):
    source = tmp_path / "bomb.md"
    source.write_text(_alias_bomb(12).replace("author:", "lols:"), encoding="utf-8")
    started = time.monotonic()
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt", timeout=120)
    assert result.returncode == 1 and f"{source}:3: unknown metadata key 'lols'" in result.stderr
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("ending", ["\r", "\r\n"])
def test_cr_line_endings_read_like_lf(tmp_path, ending):
    source = tmp_path / "old-mac.md"
    source.write_bytes(ending.join(["---", "title: carriage", "lang: en", "---", "", "first paragraph.", "",
                                    "second paragraph.", ""]).encode())
    out = tmp_path / "out"
    assert run_chapbook("build", str(source), "-o", str(out), "-f", "txt").returncode == 0
    text = (out / "old-mac.txt").read_text(encoding="utf-8")
    assert text.startswith("========\ncarriage\n========\n") and "\r" not in text
    assert "first paragraph.\n\nsecond paragraph." in text


# --- one line instead of a traceback -----------------------------------------------------------------------

def _source(tmp_path, metadata: str = "", body: str = "text.\n", name: str = "doc.md") -> Path:
    source = tmp_path / name
    source.write_text(f"---\ntitle: t\nlang: en\n{metadata}---\n\n{body}", encoding="utf-8")
    return source


def _one_line(result, source) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(str(source)), result.stderr
    return result.stderr


def test_a_wrap_that_is_a_digit_but_no_number_is_one_line(tmp_path):
    source = _source(tmp_path, 'wrap: "²"\n')
    message = _one_line(run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt"), source)
    assert f"{source}:4:" in message and "wrap" in message


def test_an_image_url_with_a_nul_is_refused_like_any_bad_image(tmp_path):
    source = _source(tmp_path, body="![a picture](a%00b.png) and words after it.\n")
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt", "-f", "epub")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "refused" in result.stderr
    assert "a picture" in (tmp_path / "out" / "doc.txt").read_text(encoding="utf-8")


def test_a_date_in_2200_builds_every_edition(tmp_path):
    source = _source(tmp_path, "date: 2200-01-01\n")
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt", "-f", "epub", "-f", "gemini")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "doc.epub") as book:
        assert book.testzip() is None
        assert b"2200-01-01" in book.read("EPUB/content.opf")


@pytest.mark.parametrize("epoch", ["253402300800", "99999999999999999999", "soon", "1.5e9"])
def test_a_bad_source_date_epoch_is_warned_about_and_ignored(tmp_path, epoch):
    source = _source(tmp_path, "date: 2024-07-31\n")
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "epub",
                          env={"SOURCE_DATE_EPOCH": epoch})
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "SOURCE_DATE_EPOCH" in result.stderr and "ignored" in result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "doc.epub") as book:
        assert b"2024-07-31T00:00:00Z" in book.read("EPUB/content.opf")


def test_a_deeply_nested_cache_is_ignored(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "outputs.json").write_text("[" * 200_000 + "]" * 200_000)
    source = _source(tmp_path)
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt",
                          env={"CHAPBOOK_CACHE_DIR": str(cache)})
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "huge"])
def test_a_cache_file_that_is_no_regular_file_is_ignored(tmp_path, kind):
    cache = tmp_path / "cache"
    cache.mkdir()
    if kind == "fifo":
        os.mkfifo(cache / "outputs.json")
    elif kind == "dev-zero":
        (cache / "outputs.json").symlink_to("/dev/zero")
    else:
        with (cache / "outputs.json").open("wb") as stream:
            stream.truncate(8 * 1024 * 1024 * 1024)
    source = _source(tmp_path)
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt",
                          env={"CHAPBOOK_CACHE_DIR": str(cache)}, timeout=30)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr


def _children(pid: int) -> list[int]:
    """The Python processes `pid` started (the PDF worker), not pandoc or other programs it runs."""
    try:
        children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return [child for child in children if "python" in Path(f"/proc/{child}/exe").resolve().name]
    except OSError:
        return []


def test_a_pdf_worker_killed_by_the_system_is_one_line(tmp_path):
    out = tmp_path / "out"
    build = subprocess.Popen([sys.executable, "-m", "pipeline", "build", str(ESSAY), "-o", str(out), "-f", "pdf",
                              "-f", "txt", "--force"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    started = time.monotonic()
    while not _children(build.pid) and build.poll() is None and time.monotonic() - started < 30:
        time.sleep(0.05)
    for worker in _children(build.pid):
        os.kill(worker, signal.SIGKILL)  # what the OOM killer does
    _out, errors = build.communicate(timeout=120)
    assert build.returncode == 1 and "Traceback" not in errors and len(errors.splitlines()) == 1, errors
    assert "pdf worker" in errors and "memory" in errors
    assert not (out / "essay.pdf").exists()


# --- check: damaged editions are findings, not tracebacks; no false failures or refusals ---------------------

@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    source = _source(folder, body="a [link](https://example.org/) and words.\n\n# one\n\n- a\n    - b\n")
    result = run_chapbook("build", str(source), "-o", str(folder / "out"), "-q", "-f", "gemini")
    assert result.returncode == 0, result.stderr
    return source, folder / "out"


@pytest.mark.parametrize("damage", ["epub", "pdf", "gemtext"])
def test_check_reports_a_corrupt_edition_as_a_failure(small_build, tmp_path, damage):
    import shutil

    source, built = small_build
    out = tmp_path / "out"
    out.mkdir()
    if damage == "epub":  # only the damaged edition is copied: check judges what it finds
        (out / "doc.epub").write_bytes(b"PK\x03\x04 this is no zip")
    elif damage == "pdf":
        (out / "doc.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")
    else:
        shutil.copytree(built / "gemini", out / "gemini")
        page = next(p for p in (out / "gemini" / "gemlog").glob("*.gmi") if p.name != "index.gmi")
        page.write_bytes(b"# t\n\xff\xfe not utf-8\n")
    result = run_chapbook("check", str(out), "-s", str(source))
    assert result.returncode == 1 and "Traceback" not in result.stderr + result.stdout, result.stderr
    assert any(line.startswith("fail") for line in result.stdout.splitlines()), result.stdout


FALSE_REFUSALS = {
    "code": "a footnote is written `[^1]` in Markdown.\n",
    "escaped": "the syntax \\[^note\\] makes a footnote.\n",
}


@pytest.mark.parametrize("name", sorted(FALSE_REFUSALS))
def test_footnote_syntax_that_is_no_footnote_is_not_refused(tmp_path, name):
    source = _source(tmp_path, body=FALSE_REFUSALS[name])
    result = run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt")
    assert result.returncode == 0, result.stderr
    assert "[^" in (tmp_path / "out" / "doc.txt").read_text(encoding="utf-8")


# --- no word silently dropped ------------------------------------------------------------------------------

BACKSLASHES = ("a path C:\\Users\\alice\\Documents and \\emph{very} plain, `kept`{=latex} too,\n"
               "and \\newcommand{\\x}{y} \\x as typed.\n")


def test_backslash_words_reach_every_edition(tmp_path):
    source = _source(tmp_path, body="% not a title block\n\n" + BACKSLASHES)
    out = tmp_path / "out"
    result = run_chapbook("build", str(source), "-o", str(out), "-f", "txt", "-f", "epub", "-f", "gemini")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out / "doc.epub") as book:
        epub = " ".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xhtml"))
    page = next(p for p in (out / "gemini" / "gemlog").glob("*.gmi") if p.name != "index.gmi")
    for text in ((out / "doc.txt").read_text(encoding="utf-8"), epub, page.read_text(encoding="utf-8")):
        flat = " ".join(text.split())
        for written in ("C:\\Users\\alice\\Documents", "\\emph{very}", "{=latex}", "\\newcommand{\\x}{y} \\x",
                        "% not a title block"):
            assert written in flat, written


def test_the_check_sees_a_word_the_reader_lost(tmp_path, monkeypatch):
    from pipeline import reader
    from pipeline.build import prepare
    from pipeline.check import _source_finding

    source = _source(tmp_path, body=BACKSLASHES)
    assert _source_finding(prepare(source)).status == "ok"
    monkeypatch.setattr(reader, "READER_FORMAT", "markdown-smart")  # pandoc's default: raw TeX on
    finding = _source_finding(prepare(source))
    assert finding.status == "fail" and "Users" in finding.detail and "alice" in finding.detail


def test_watch_survives_each_bad_save_and_keeps_watching(tmp_path):
    source = _source(tmp_path, name="essay.md")
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "watch", str(source), "-o", str(out), "-f", "txt",
                                "-f", "epub"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def wait_for(text: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (out / "essay.txt").exists() and text in (out / "essay.txt").read_text(encoding="utf-8"):
                return
            assert process.poll() is None, process.communicate()[0]
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never arrived")

    bad_saves = ['wrap: "²"\n', "", "lols: &a [1]\n", "date: 2200-01-01\n"]
    bodies = ["text.\n", "![x](a%00b.png) broken image.\n", "text.\n", "after 2200.\n"]
    try:
        wait_for("text.")
        time.sleep(1.0)  # let the watcher start
        for number, (metadata, body) in enumerate(zip(bad_saves, bodies, strict=True)):
            _source(tmp_path, metadata, body + f"save {number}.\n", name="essay.md")
            time.sleep(2.5)
            assert process.poll() is None, process.communicate()[0]
        _source(tmp_path, body="the good save.\n", name="essay.md")
        wait_for("the good save.")
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0 and "Traceback" not in output, output
    assert "wrap" in output and "unknown metadata key 'lols'" in output and "stopped watching" in output


# --- gemtext: no injection through a note ------------------------------------------------------------------

def _gemtext_lines(path: Path):
    import trimgmi

    document = trimgmi.Document()
    for line in path.read_text(encoding="utf-8").split("\n"):
        document.append(line)
    return list(document.emit_line_objects(auto_tidy=False))


def test_a_note_opening_with_code_cannot_inject_gemtext(tmp_path):
    import trimgmi

    body = ("a claim.[^1] and more text after it.\n\n[^1]:\n    ```\n    => https://evil.example/ click me\n"
            "    # a fake heading\n    ```\n\n    the note's words.\n")
    source = _source(tmp_path, body=body)
    out = tmp_path / "out"
    assert run_chapbook("build", str(source), "-o", str(out), "-f", "gemini").returncode == 0
    page = next(p for p in (out / "gemini" / "gemlog").glob("*.gmi") if p.name != "index.gmi")
    lines = _gemtext_lines(page)
    links = [line.extra for line in lines if line.type == trimgmi.LineType.LINK]
    headings = [line.text for line in lines if line.type in (trimgmi.LineType.HEADING1, trimgmi.LineType.HEADING2,
                                                              trimgmi.LineType.HEADING3)]
    assert not any("evil.example" in link for link in links), links
    assert "a fake heading" not in " ".join(headings)
    assert links[-1] == "../"  # the navigation at the foot of the page is still made of live links
    result = run_chapbook("check", str(out), "-s", str(source))
    assert "Traceback" not in result.stderr and result.returncode == 0, result.stdout + result.stderr


# --- metadata and structure bounds ------------------------------------------------------------------------

def test_an_author_given_as_a_map_is_one_line(tmp_path):
    source = _source(tmp_path, "author:\n  name: alice\n  email: a@example.org\n")
    message = _one_line(run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt"), source)
    assert f"{source}:4:" in message and "'author'" in message


def test_a_list_number_pandoc_cannot_hold_is_one_line(tmp_path):
    source = _source(tmp_path, body="intro.\n\n99999999999999999999. big\n100000000000000000000. next\n")
    message = _one_line(run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt"), source)
    assert f"{source}:8:" in message and "99999999999999999999" in message


@pytest.mark.parametrize("what, body", [("headings", "".join(f"# h{n}\n\n" for n in range(2001))),
                                        ("blocks", "".join(f"- i{n}\n" for n in range(20_001)))])
def test_structure_beyond_the_bounds_is_refused_quickly(tmp_path, what, body):
    source = _source(tmp_path, body=body)
    started = time.monotonic()
    message = _one_line(run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "pdf"), source)
    assert f"more than chapbook's limit of {2_000 if what == 'headings' else 20_000:,}" in message
    assert what in message and "split it" in message
    assert time.monotonic() - started < 60
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("lang", ['""', "en_US!", "'fr fr'"])
def test_a_language_that_is_no_tag_is_one_line(tmp_path, lang):
    source = tmp_path / "doc.md"
    source.write_text(f"---\ntitle: t\nlang: {lang}\n---\n\ntext.\n", encoding="utf-8")
    message = _one_line(run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "epub"), source)
    assert f"{source}:3:" in message and "'lang'" in message


# --- every container sanitised; images kept wherever they sit; check without false failures ---------------

CONTAINERS = """---
title: containers
lang: en
---

# Intro {#same}

A Paragraph with an inline ![Inline Alt Words](pixel.png) image and [a span]{#same} reusing the heading's id.

Term With Capitals
:   a definition with <span onclick="steal()">handler</span> and <a href="javascript:alert(1)">a js link</a>.

    <script>alert("definition")</script>

| cell | image |
|------|-------|
| <img src="http://127.0.0.1:9/cell.png" onload="steal()"> raw | ![Cell Alt](pixel.png) |

> a quote with <a href="javascript:alert(2)">quoted js</a>
>
> <style>@import url(http://127.0.0.1:9/quote.css);</style>

- an item with <span onmouseover="steal()">hover</span>

::: {.box}
a div with <a href="javascript:alert(3)">div js</a>
:::

~~struck ![Struck Alt](pixel.png)~~ and ^![Sup Alt](pixel.png)^ here.

a claim.[^1]

[^1]: a note with <a href="javascript:alert(4)">note js</a>, <img src="http://127.0.0.1:9/note.png"> and
    ![Note Alt](pixel.png).

    <script>alert("note")</script>
"""
IMAGE_ALTS = ("Inline Alt Words", "Cell Alt", "Struck Alt", "Sup Alt", "Note Alt")


@pytest.fixture(scope="module")
def containers(tmp_path_factory):
    import shutil

    from conftest import FIXTURES

    folder = tmp_path_factory.mktemp("containers")
    source = folder / "containers.md"
    source.write_text(CONTAINERS, encoding="utf-8")
    shutil.copy(FIXTURES / "pixel.png", folder / "pixel.png")
    result = run_chapbook("build", str(source), "-o", str(folder / "out"), "-f", "epub", "-f", "pdf", "-f", "txt",
                          "-f", "gemini")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(folder / "out" / "containers.epub") as book:
        xhtml = {name: book.read(name).decode("utf-8") for name in book.namelist() if name.endswith(".xhtml")}
        names = book.namelist()
    return source, folder / "out", xhtml, names, result.stderr


def test_raw_html_is_sanitised_in_every_container(containers):
    from pypdf import PdfReader

    _source_path, out, xhtml, _names, warnings = containers
    for name, page in xhtml.items():
        lowered = page.lower()
        for unsafe in ("<script", "<style", "@import", "javascript:", "onclick", "onload", "onmouseover",
                       "127.0.0.1"):
            assert unsafe not in lowered, (name, unsafe)
    uris = [annotation.get_object().get("/A", {}).get("/URI", "")
            for page in PdfReader(out / "containers.pdf").pages for annotation in page.get("/Annots") or []]
    assert not any(str(uri).lower().startswith("javascript") for uri in uris), uris
    assert "removed" in warnings or "refused" in warnings


def test_images_in_cells_notes_and_struck_or_raised_text_are_kept(containers):
    _source_path, out, xhtml, names, _warnings = containers
    every_page = " ".join(xhtml.values())
    for alt in IMAGE_ALTS:
        assert f'alt="{alt}"' in every_page, alt
    assert any(name.endswith("pixel.png") for name in names)
    text = (out / "containers.txt").read_text(encoding="utf-8")
    for alt in IMAGE_ALTS:
        assert f"[image: {alt}]" in " ".join(text.split()), alt


def test_check_is_clean_on_every_container(containers):
    source, out, _xhtml, _names, _warnings = containers
    result = run_chapbook("check", str(out), "-s", str(source))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stdout + result.stderr
    assert "EPUBCheck" in result.stdout


# --- the text and gemtext editions: linear wrapping, display width, the author's spaces, odd file names -----

def test_wrapping_does_linear_work():
    from pipeline.words.measure import display_width
    from pipeline.writers.text import wrap_without_markers

    calls = []

    def counting(text: str) -> int:
        calls.append(text)
        return display_width(text)

    words = ("a - list 1. of it. words [4] and o more " * 2000).split()
    from pipeline.writers.shared.wrapping import wrap_words

    lines = wrap_words(" ".join(words), 30, counting, "", "  ")
    assert len(calls) <= 2 * len(words) + len(lines) + 2
    started = time.perf_counter()
    wrapped = wrap_without_markers(" ".join(words * 5), 72, "", "")  # about 280 kB, one paragraph
    assert time.perf_counter() - started < 10  # the quadratic re-wrapping took minutes
    assert " ".join(wrapped).split() == words * 5


def test_wide_characters_count_two_columns_and_no_break_spaces_hold(tmp_path):
    from pipeline.words.measure import display_width

    korean = "한국어 문장은 띄어쓰기로 단어를 나눕니다 " * 30
    body = f"{korean}\n\n| first line\n|     indented  with\u00a0a no-break space\n"
    source = _source(tmp_path, body=body)
    out = tmp_path / "out"
    assert run_chapbook("build", str(source), "-o", str(out), "-f", "txt", "-f", "gemini").returncode == 0
    text = (out / "doc.txt").read_text(encoding="utf-8")
    assert max(display_width(line) for line in text.splitlines()) <= 72
    assert "\u00a0\u00a0\u00a0\u00a0indented with\u00a0a no-break space" in text
    page = next(p for p in (out / "gemini" / "gemlog").glob("*.gmi") if p.name != "index.gmi")
    assert "\u00a0\u00a0\u00a0\u00a0indented with\u00a0a no-break space" in page.read_text(encoding="utf-8")


def test_image_file_names_with_url_characters_link_in_gemtext(tmp_path):
    import shutil

    import trimgmi
    from conftest import FIXTURES

    shutil.copy(FIXTURES / "pixel.png", tmp_path / "a#b?c%d.png")
    source = _source(tmp_path, body="![odd name](a%23b%3Fc%25d.png)\n")
    out = tmp_path / "out"
    assert run_chapbook("build", str(source), "-o", str(out), "-f", "gemini").returncode == 0
    page = next(p for p in (out / "gemini" / "gemlog").glob("*.gmi") if p.name != "index.gmi")
    [target] = [line.extra for line in _gemtext_lines(page)
                if line.type == trimgmi.LineType.LINK and "images/" in line.extra]
    from urllib.parse import unquote, urlsplit

    assert urlsplit(target).path == target  # no fragment or query cut off
    assert (page.parent / unquote(target)).read_bytes() == (FIXTURES / "pixel.png").read_bytes()


def test_a_footnote_defined_twice_is_one_line(tmp_path):
    source = _source(tmp_path, body="x.[^c]\n\n[^c]: one\n\ny.[^c]\n\n[^c]: two\n")
    message = _one_line(run_chapbook("build", str(source), "-o", str(tmp_path / "out"), "-f", "txt"), source)
    assert f"{source}:12:" in message and "[^c] is defined twice" in message
