"""Trust, round three (issue 28): a hostile or broken host, secrets that never print, bad bytes anywhere.

Every input is made here; each test failed before its fix. The hosts are real servers on loopback
(tests/publish_servers.py), told to stall, lie about sizes, hold FIFOs and links, or fail mid-file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from conftest import ROOT, run_chapbook
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from publish_servers import (
    SilentHost,
    StallingGeminiHost,
    capsule_versions,
    sftp_host_for_home,
    tree,
)
from test_trust2 import _exchange, deadline, hostile_capsule  # noqa: F401 (a fixture, used by name)

import pipeline.publish.destination as destination_module
from pipeline.errors import ChapbookError
from pipeline.publish import publish
from pipeline.publish.destination import parse_destination
from pipeline.publish.plan import MANIFEST, manifest_site, parse_manifest, read_manifest
from pipeline.publish.redact import redact, secret_forms

# Every character a person can type into a password or token: the whole printable range, no controls.
PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"))
SEPARATORS = "@#/?"


# --- hosts ----------------------------------------------------------------------------------------------------

@pytest.fixture
def capsule() -> Path:
    return capsule_versions()["v1"]


@pytest.fixture
def sftp(tmp_path):
    """A loopback SFTP host, the known_hosts naming it, and the user's key."""
    host, host_key, ssh = sftp_host_for_home(tmp_path)
    algorithm, blob = host_key.export_public_key("openssh").decode("ascii").split()[:2]
    (ssh / "known_hosts").write_text(f"[127.0.0.1]:{host.port} {algorithm} {blob}\n")
    yield host, ssh
    host.close()


def publish_sftp(sftp, capsule, folder="capsule", **options):
    host, ssh = sftp
    return publish(capsule, f"sftp://tester@127.0.0.1:{host.port}/{folder}", known_hosts=ssh / "known_hosts",
                   client_keys=[ssh / "id_ed25519"], **options)


def home_environment(tmp_path, **extra) -> dict:
    """A user's environment with nothing but PATH, HOME and the state folder: no USER, no LOGNAME (cron, CI)."""
    return {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home"), "CHAPBOOK_STATE_DIR": str(tmp_path / "state"),
            "SSH_AUTH_SOCK": "", "PYTHONPATH": str(ROOT)} | extra


def chapbook(*args: str, env: dict, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    """The real command line with exactly `env` (run_chapbook adds the test's own environment)."""
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr.strip()


# --- 1. an sftp address without a user ------------------------------------------------------------------------

def test_an_sftp_address_without_a_user_logs_in_as_the_account_when_the_environment_names_none(sftp, capsule,
                                                                                                tmp_path):
    host, _ = sftp
    result = chapbook("publish", str(capsule.parent), "--to", f"sftp://127.0.0.1:{host.port}/capsule",
                      env=home_environment(tmp_path))
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    assert tree(tmp_path / "remote" / "capsule") == tree(capsule)


# --- 2./3. secrets never printed --------------------------------------------------------------------------------

def pieces(secret: str) -> list[str]:
    """The parts a parser that ends the userinfo too early would show: the secret cut at `@ # / ?`."""
    parts, current = [], ""
    for character in secret:
        if character in SEPARATORS:
            parts.append(current)
            current = ""
        else:
            current += character
    return [part for part in [*parts, current] if part]


def leaked(secret: str, output: str, baseline: str) -> list[str]:
    """Forms of `secret` (whole, encoded, or a piece of 4+ characters) in `output` that are not already in
    `baseline` (the same output for a harmless secret)."""
    forms = secret_forms(secret) | {piece for piece in pieces(secret) if len(piece) >= 4}
    return [form for form in forms if form in output and form not in baseline]


@settings(max_examples=300, deadline=None)
@given(password=st.text(PRINTABLE, min_size=1, max_size=24))
def test_no_form_of_a_password_in_an_address_reaches_the_error(password):
    address = f"sftp://me:{password}@h0st.test:2200/srv/capsule"
    try:
        parse_destination(address)
    except ChapbookError as error:
        output = str(error)
    else:
        pytest.fail(f"{address!r} was accepted with a password in it")
    shown_address, _, rest = output.partition(": publish_to: ")
    assert not leaked(password, shown_address, "sftp://…@h0st.test:2200/srv/capsule"), output
    # The rest is the module's own words (and the host name): what is in them cannot be told from a leak.
    assert not leaked(password, rest, Path(destination_module.__file__).read_text(encoding="utf-8")), output


def echoed_line(secret: str, user: str) -> str:
    """A host's answer echoing `secret` in every encoding a protocol might use."""
    encoded = [secret, quote(secret, safe=""), quote(secret, safe="/"), quote(secret, safe="").lower(),
               base64.b64encode(secret.encode()).decode(), base64.b64encode(f"{user}:{secret}".encode()).decode()]
    return "59 refused titan://host/p;size=3;token=" + " and ".join(encoded) + f" gemini://{user}:{secret}@host/x"


@settings(max_examples=300, deadline=None)
@given(secret=st.text(PRINTABLE, min_size=3, max_size=24), user=st.sampled_from(["", "me"]))
def test_redaction_hides_every_encoding_of_a_secret(secret, user):
    template = echoed_line("", user) + "…"
    assume(not any(form in template for form in secret_forms(secret)))
    output = redact(echoed_line(secret, user), [secret])
    assert not [form for form in secret_forms(secret) if form in output], output


NASTY_PASSWORDS = ["p@ss#w/rd?x", "s3cr3t/with@all#four?", "a#b", "top/secret@x", "q?uery@h"]


@pytest.mark.parametrize("debug", [[], ["--debug"]])
@pytest.mark.parametrize("password", NASTY_PASSWORDS)
def test_the_command_line_never_prints_a_password_even_with_debug(password, debug, capsule, tmp_path):
    address = f"sftp://me:{password}@127.0.0.1:1/srv"
    result = chapbook("publish", str(capsule.parent), "--to", address, *debug, env=home_environment(tmp_path))
    assert result.returncode == 1
    baseline = chapbook("publish", str(capsule.parent), "--to", "sftp://me:X@127.0.0.1:1/srv", *debug,
                        env=home_environment(tmp_path))
    output = result.stdout + result.stderr
    assert not leaked(password, output, baseline.stdout + baseline.stderr), output
    if not debug:
        one_line(result)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=st.text(PRINTABLE, min_size=4, max_size=16).filter(lambda text: "\x00" not in text))
@example(password="pass/word@h0st#frag")  # urlsplit ends the userinfo at the /
def test_no_generated_password_reaches_the_command_lines_output_or_its_debug_traceback(password, tmp_path_factory):
    capsule = capsule_versions()["v1"]
    home = tmp_path_factory.mktemp("home")
    run = [chapbook("publish", str(capsule.parent), "--to", f"sftp://me:{password}@127.0.0.1:1/srv", *debug,
                    env=home_environment(home)) for debug in ([], ["--debug"])]
    baseline = "".join(chapbook("publish", str(capsule.parent), "--to", "sftp://me:X@127.0.0.1:1/srv", *debug,
                                env=home_environment(home)).stderr for debug in ([], ["--debug"]))
    corpus = baseline + Path(destination_module.__file__).read_text(encoding="utf-8")
    for result in run:
        assert result.returncode == 1
        assert not leaked(password, result.stdout + result.stderr, corpus), result.stderr


TOKENS = ["tok en/with@every#kind?of%char+and=more", "s3cr3t-tok3n-ÿ-ä/@", "plain-token-7f3a"]


@pytest.mark.parametrize("token", TOKENS)
def test_a_titan_host_echoing_the_request_never_gets_the_token_printed(token, capsule, tmp_path):
    host = StallingGeminiHost(tmp_path / "tls", answer=b"59 cannot take {request}\r\n")
    try:
        result = chapbook("publish", str(capsule.parent), "--to", f"titan://localhost:{host.port}/",
                          env=home_environment(tmp_path, CHAPBOOK_TITAN_TOKEN=token))
    finally:
        host.close()
    assert quote(token, safe="").encode() in host.requests[0]  # the host did echo it, percent-encoded
    line = one_line(result)
    assert "the host refused the upload: 59 cannot take titan://" in line
    assert not [form for form in secret_forms(token) if form in result.stdout + result.stderr], line


# --- 4. the manifest is read with bounds ----------------------------------------------------------------------

HOSTILE_MANIFESTS = [
    b'{"files": {"a.gmi": {"sha256": "' + b"0" * 64 + b'", "size": 1e999}}}',
    b'{"files": {"a.gmi": {"sha256": "' + b"0" * 64 + b'", "size": ' + b"9" * 5000 + b"}}}",
    b'{"files": {"a.gmi": {"sha256": "' + b"0" * 64 + b'", "size": -Infinity}}}',
    b'{"files": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    b'{"site": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001,
    b'{"files": {"a.gmi": {"sha256": ["x"], "size": 3}}}',
    b"\xff\xfe not utf-8",
]


@pytest.mark.parametrize("data", HOSTILE_MANIFESTS, ids=range(len(HOSTILE_MANIFESTS)))
def test_an_unreadable_manifest_is_no_manifest(data):
    assert read_manifest(data) == {}
    assert manifest_site(data) is None or isinstance(manifest_site(data), str)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=40)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=5), site=JSON_VALUES,
       noise=st.binary(max_size=64))
def test_the_manifest_parser_never_fails_on_anything_a_host_sends(files, site, noise):
    document = json.dumps({"chapbook": 1, "site": site, "files": files}).encode()
    for data in (document, noise, document[: len(document) // 2], noise + document):
        entries = read_manifest(data)
        assert all(len(entry.sha256) == 64 and entry.size >= 0 for entry in entries.values())
        assert manifest_site(data) is None or isinstance(manifest_site(data), str)
        assert parse_manifest(data) is None or isinstance(parse_manifest(data), dict)


def test_a_hostile_manifest_over_sftp_counts_as_none_and_publish_finishes(sftp, capsule, tmp_path):
    remote = tmp_path / "remote" / "capsule"
    remote.mkdir()
    (remote / MANIFEST).write_bytes(HOSTILE_MANIFESTS[0])
    report = publish_sftp(sftp, capsule, timeout=10)
    assert report.count("send", "replace") == len(tree(capsule)) and tree(remote) == tree(capsule)


# --- 5. only regular files at the destination ------------------------------------------------------------------

def record_gone_file(remote: Path, name: str, data: bytes) -> None:
    """A manifest saying chapbook once published `name` (which no source makes any more)."""
    manifest = {"chapbook": 1, "site": "gemini",
                "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}}}
    (remote / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("over", ["sftp", "folder"])
def test_a_manifest_that_is_a_fifo_never_hangs_publish_even_a_dry_run(over, sftp, capsule, tmp_path):
    remote = tmp_path / "remote" / "capsule"
    remote.mkdir()
    os.mkfifo(remote / MANIFEST)
    with deadline(20):
        if over == "sftp":
            report = publish_sftp(sftp, capsule, dry_run=True, timeout=5)
        else:
            report = publish(capsule, str(remote), dry_run=True)
    assert report.count("send") == len(tree(capsule))


@pytest.mark.parametrize("over", ["sftp", "folder"])
def test_a_listed_file_linked_to_dev_zero_is_never_read_and_left_in_place(over, sftp, capsule, tmp_path):
    remote = tmp_path / "remote" / "capsule"
    remote.mkdir()
    record_gone_file(remote, "old.gmi", b"an old page\n")
    (remote / "old.gmi").symlink_to("/dev/zero")
    with deadline(20):
        report = publish_sftp(sftp, capsule, timeout=5) if over == "sftp" else publish(capsule, str(remote))
    assert [(a.kind, a.path) for a in report.actions if a.path == "old.gmi"] == [("leave", "old.gmi")]
    assert (remote / "old.gmi").is_symlink()


def test_a_published_file_replaced_by_a_fifo_is_refused_not_written_through(sftp, capsule, tmp_path):
    remote = tmp_path / "remote" / "capsule"
    remote.mkdir()
    os.mkfifo(remote / "index.gmi")
    with deadline(20), pytest.raises(ChapbookError) as refused:
        publish(capsule, str(remote))
    assert "index.gmi is a link, a folder or a special file there" in str(refused.value)
    with deadline(20), pytest.raises(ChapbookError) as refused_by_sftp:
        publish_sftp(sftp, capsule, timeout=5)
    assert "index.gmi is a link, a folder or a special file there" in str(refused_by_sftp.value)


def test_a_host_lying_about_sizes_gets_the_files_again(sftp, capsule, tmp_path):
    host, _ = sftp
    publish_sftp(sftp, capsule, timeout=10)
    host.size_lie = 7
    report = publish_sftp(sftp, capsule, timeout=10)
    assert report.count("replace") == len(tree(capsule))
    assert tree(tmp_path / "remote" / "capsule") == tree(capsule)


def test_an_error_mid_transfer_is_one_line_and_the_next_publish_finishes(sftp, capsule, tmp_path):
    host, _ = sftp
    host.fail_after = 20_000
    with pytest.raises(ChapbookError) as failed:
        publish_sftp(sftp, capsule, timeout=10)
    assert "the disk gave up mid-file" in str(failed.value) and "changes were made before" in str(failed.value)
    assert "\n" not in str(failed.value)
    host.fail_after = None
    publish_sftp(sftp, capsule, timeout=10)
    assert tree(tmp_path / "remote" / "capsule") == tree(capsule)


# --- 6. every network step has a time limit --------------------------------------------------------------------

STALLS = {"login": "connecting and logging in", "lstat": "reading .chapbook-manifest.json",
          "scandir": "listing", "open": "sending", "write": "sending"}


@pytest.mark.parametrize("stage", sorted(STALLS))
def test_an_sftp_host_that_stalls_at_each_stage_is_given_up_in_one_line(stage, sftp, capsule, tmp_path):
    host, _ = sftp
    host.stall.add(stage)
    started = time.monotonic()
    with deadline(30), pytest.raises(ChapbookError) as stalled:
        publish_sftp(sftp, capsule, timeout=1)
    message = str(stalled.value)
    assert time.monotonic() - started < 15
    assert f"did not answer within 1 s while {STALLS[stage]}" in message and "publish again" in message, message
    assert ("nothing was changed yet" in message) == (stage in ("lstat", "scandir")), message


def test_a_stalled_read_is_given_up_too(sftp, capsule, tmp_path):
    host, _ = sftp
    publish_sftp(sftp, capsule, timeout=10)
    host.stall.add("read")
    with deadline(30), pytest.raises(ChapbookError) as stalled:
        publish_sftp(sftp, capsule, timeout=1)
    assert "did not answer within 1 s while reading .chapbook-manifest.json" in str(stalled.value)


def test_a_silent_host_is_given_up_for_sftp_and_titan(capsule, tmp_path):
    silent = SilentHost()
    try:
        for address in (f"sftp://me@127.0.0.1:{silent.port}/x", f"titan://localhost:{silent.port}/"):
            with deadline(30), pytest.raises(ChapbookError) as stalled:
                publish(capsule, address, timeout=1, known_hosts=tmp_path / "known_hosts", client_keys=[],
                        environ={"CHAPBOOK_STATE_DIR": str(tmp_path / "state")})
            assert "within 1 s" in str(stalled.value), str(stalled.value)
    finally:
        silent.close()


def test_a_titan_host_that_never_answers_is_given_up_with_what_was_done(capsule, tmp_path):
    host = StallingGeminiHost(tmp_path / "tls")
    try:
        with deadline(30), pytest.raises(ChapbookError) as stalled:
            publish(capsule, f"titan://localhost:{host.port}/", timeout=1,
                    environ={"CHAPBOOK_STATE_DIR": str(tmp_path / "state"), "CHAPBOOK_TITAN_TOKEN": "t"})
    finally:
        host.close()
    message = str(stalled.value)
    assert "did not answer within 1 s while sending" in message and "0 of" in message and "publish again" in message


def test_publish_timeout_is_a_setting_the_command_line_obeys(capsule, tmp_path):
    silent = SilentHost()
    project = tmp_path / "project"
    project.mkdir()
    (project / "chapbook.toml").write_text(f'publish_to = "sftp://me@127.0.0.1:{silent.port}/x"\n'
                                           "publish_timeout = 1\n")
    try:
        started = time.monotonic()
        result = chapbook("publish", str(capsule.parent), cwd=project, env=home_environment(tmp_path), timeout=60)
    finally:
        silent.close()
    assert "within 1 s" in one_line(result) and time.monotonic() - started < 30


# --- 10. 12. settings and host names checked before any connection ----------------------------------------------

def test_an_antenna_url_with_a_line_break_is_refused_in_one_line(capsule, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "chapbook.toml").write_text('publish_to = "/nowhere"\n'
                                           'antenna_url = "gemini://localhost/~antenna/submit\\r\\nINJECTED"\n')
    line = one_line(chapbook("publish", str(capsule.parent), cwd=project, env=home_environment(tmp_path)))
    assert line.startswith(f"{project / 'chapbook.toml'}:2: setting 'antenna_url' holds a control character")


@pytest.mark.parametrize("address", [f"titan://{'a' * 64}.example/", f"sftp://me@{'b' * 64}.example/srv",
                                     "titan://a..b/"])
def test_a_host_name_idna_cannot_encode_is_one_line_before_any_connection(address, capsule, tmp_path):
    line = one_line(chapbook("publish", str(capsule.parent), "--to", address, env=home_environment(tmp_path)))
    assert "cannot be looked up (IDNA cannot encode it" in line


# --- 9. 13. the preview servers ---------------------------------------------------------------------------------

def http_exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as stream:
        stream.sendall(request)
        data = b""
        while chunk := stream.recv(65536):
            data += chunk
    return data


@pytest.fixture
def web_site(tmp_path):
    from pipeline.serve.web import start_site_server

    web = tmp_path / "web"
    web.mkdir()
    (web / "index.html").write_text("<!DOCTYPE html><title>home</title>", encoding="utf-8")
    server = start_site_server(web, "127.0.0.1", 0)
    yield server.server_port
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("path", [b"/%00", b"/a%00b.html", b"/%zz", b"/%", b"/%ff%fe.html", b"/%1b[2J",
                                  b"/" + b"a" * 5000])
def test_a_malformed_http_path_gets_a_4xx_and_no_traceback(path, web_site, capfd):
    answer = http_exchange(web_site, b"GET " + path + b" HTTP/1.0\r\n\r\n")
    assert answer[:10] in (b"HTTP/1.0 4", b"HTTP/1.1 4") or answer.startswith((b"HTTP/1.0 4", b"HTTP/1.1 4")), answer
    assert answer.split(b" ")[1] in (b"400", b"414"), answer[:60]
    assert http_exchange(web_site, b"GET / HTTP/1.0\r\n\r\n").split(b" ")[1] == b"200"  # still serving
    assert "Traceback" not in capfd.readouterr().err


def test_the_http_log_escapes_what_a_client_sent(web_site, capfd):
    http_exchange(web_site, b"GET /\x1b]0;pwned\x07\x1b[2J HTTP/1.0\r\n\r\n")
    time.sleep(0.2)
    log = capfd.readouterr().err
    assert "\\x1b]0;pwned\\x07" in log and "\x1b" not in log and "\x07" not in log, log


@pytest.mark.parametrize("request_line, status", [
    (b"gemini://example.com/\r\n", b"53"), (b"https://127.0.0.1/\r\n", b"53"),
    (b"gemini://127.0.0.1/%00\r\n", b"59"), (b"gemini://127.0.0.1/a%zz.gmi\r\n", b"59"),
    (b"gemini://127.0.0.1/%ff.gmi\r\n", b"59"), (b"gemini://localhost/\r\n", b"20"),
    (b"gemini://127.0.0.1/\r\n", b"20")])
def test_the_gemini_preview_refuses_proxy_requests_and_malformed_paths(request_line, status,
                                                                     hostile_capsule):  # noqa: F811
    assert _exchange(hostile_capsule[0], request_line)[:3] == status + b" "


def test_serve_says_nothing_about_the_web_server_before_failing_on_a_busy_gemini_port(tmp_path):
    source = tmp_path / "page.md"
    source.write_text("---\ntitle: a page\nlang: en\n---\n\nhello.\n", encoding="utf-8")
    built = run_chapbook("build", "-q", "-f", "gemini", "-f", "html", "-o", str(tmp_path / "out"), str(source))
    assert built.returncode == 0, built.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_chapbook("serve", str(tmp_path / "out"), "--port", str(port), "--http-port", "0",
                              env={"CHAPBOOK_STATE_DIR": str(tmp_path / "state")}, timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"127.0.0.1 port {port}: cannot listen here (Address already in use); choose another port with --port"]


# --- also seen: watch on a missing source, style text in a footnote ----------------------------------------------

def test_watch_on_a_missing_source_exits_with_one_line(tmp_path):
    result = run_chapbook("watch", str(tmp_path / "nosuch.md"), "-o", str(tmp_path / "out"), timeout=60)
    assert one_line(result) == f"{tmp_path / 'nosuch.md'}: no such file; check the name: chapbook watch takes " \
        "Markdown files"


def test_style_text_inside_a_footnote_never_reaches_the_reader(tmp_path):
    source = tmp_path / "styled.md"
    source.write_text("---\ntitle: styled\nlang: en\n---\n\nx^[<style>@import url(https://e.example/x.css); "
                      "body{color:red}</style>the note's own words]\n", encoding="utf-8")
    result = run_chapbook("build", "-q", "-f", "txt", "-f", "gemini", "-f", "html", "-f", "epub", "-o",
                          str(tmp_path / "out"), str(source))
    assert result.returncode == 0, result.stderr
    texts = [path.read_text(encoding="utf-8") for path in (tmp_path / "out").rglob("*")
             if path.suffix in (".txt", ".gmi", ".html")]
    texts += [zipfile.ZipFile(epub).read(name).decode() for epub in (tmp_path / "out").rglob("*.epub")
              for name in zipfile.ZipFile(epub).namelist() if name.endswith(".xhtml")]
    assert any("the note's own words" in text for text in texts)
    assert not any("@import" in text or "color:red" in text for text in texts)


# --- 7. images whose names flatten alike --------------------------------------------------------------------------

PIXEL = (ROOT / "tests" / "fixtures" / "pixel.png").read_bytes()


def picture(number: int) -> bytes:
    """A PNG of its own: the fixture pixel with bytes after its end that no viewer reads, but that tell it apart."""
    return PIXEL + f"picture {number}".encode()


def source_with_images(folder: Path, names: list[str]) -> Path:
    for number, name in enumerate(names):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(picture(number))
    source = folder / "pictures.md"
    source.write_text("---\ntitle: pictures\nlang: en\ndate: 2024-08-01\n---\n\n" +
                      "\n\n".join(f"![picture {number}]({name})" for number, name in enumerate(names)) + "\n",
                      encoding="utf-8")
    return source


def web_images_shown(web: Path, page: Path) -> list[bytes]:
    from html.parser import HTMLParser

    sources: list[str] = []

    class Images(HTMLParser):
        def handle_starttag(self, tag, attrs):
            sources.extend(value for name, value in attrs if tag == "img" and name == "src")

    Images().feed(page.read_text(encoding="utf-8"))
    return [(page.parent / unquote(source)).read_bytes() for source in sources]


def test_two_images_whose_names_flatten_alike_stay_two_in_every_edition(tmp_path):
    source = source_with_images(tmp_path / "src", ["a/b.png", "a-b.png", "A-B.png"])
    out = tmp_path / "out"
    result = run_chapbook("build", "-q", "-f", "html", "-f", "epub", "-f", "gemini", "-o", str(out), str(source))
    assert result.returncode == 0, result.stderr
    wanted = sorted(picture(number) for number in range(3))
    page = next(path for path in (out / "web").glob("*.html") if path.name != "index.html")
    assert sorted(web_images_shown(out / "web", page)) == wanted
    epub = zipfile.ZipFile(next(out.rglob("*.epub")))
    assert sorted(epub.read(name) for name in epub.namelist() if epub.read(name) in wanted) == wanted
    assert sorted(data for data in tree(out / "gemini").values() if data in wanted) == wanted


SEGMENTS = st.text("ab-A", min_size=1, max_size=3)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.lists(SEGMENTS, min_size=1, max_size=3), second=st.lists(SEGMENTS, min_size=1, max_size=3))
@example(first=["a", "b"], second=["a-b"])  # the pair of issue 28
@example(first=["a-b"], second=["A-B"])  # one name to a case-insensitive disk
def test_no_pair_of_image_names_is_ever_merged(first, second, tmp_path_factory):
    from conftest import document_from_text

    from pipeline.writers.epub.book import image_files
    from pipeline.writers.gemini.capsule import render_site as render_capsule
    from pipeline.writers.web.site import render_site as render_web

    names = ["/".join(first) + ".png", "/".join(second) + ".png"]
    assume(names[0] != names[1] and not names[0].startswith(names[1][:-4] + "/") and
           not names[1].startswith(names[0][:-4] + "/"))  # a file and a folder cannot share a name
    folder = tmp_path_factory.mktemp("names")
    source = source_with_images(folder, names)
    document = document_from_text(folder, source.read_text(encoding="utf-8"), "pictures.md")
    wanted = sorted(picture(number) for number in range(2))
    assert len({resource.name for resource in document.resources}) == 2
    assert sorted(file.data for file in image_files(document.resources).values()) == wanted
    web = render_web([document], document.settings)
    assert sorted(data for data in web.values() if data in wanted) == wanted
    capsule = render_capsule([document], document.settings)
    assert sorted(data for data in capsule.values() if data in wanted) == wanted


def test_check_notices_an_image_missing_or_merged_on_the_web(tmp_path):
    from conftest import document_from_text

    from pipeline.check.web import _image_finding

    source = source_with_images(tmp_path / "src", ["a/b.png", "a-b.png"])
    out = tmp_path / "out"
    assert run_chapbook("build", "-q", "-f", "html", "-o", str(out), str(source)).returncode == 0
    document = document_from_text(tmp_path / "src", source.read_text(encoding="utf-8"), "pictures.md")
    page = next(path for path in (out / "web").glob("*.html") if path.name != "index.html")
    assert _image_finding(page, out / "web", document).status == "ok"
    copies = sorted((out / "web" / "images").rglob("*.png"))
    copies[1].write_bytes(copies[0].read_bytes())  # what the old flattening did: one picture shown twice
    merged = _image_finding(page, out / "web", document)
    assert merged.status == "fail" and "not shown" in merged.detail
    copies[1].unlink()
    assert _image_finding(page, out / "web", document).status == "fail"


# --- 8. characters XML forbids ---------------------------------------------------------------------------------------

def test_a_control_character_in_the_title_is_refused_with_its_line(tmp_path):
    source = tmp_path / "titled.md"
    source.write_text('---\nlang: en\ntitle: "a\\x01b"\n---\n\nbody\n', encoding="utf-8")
    line = one_line(run_chapbook("build", "-f", "txt", "-f", "epub", "-o", str(tmp_path / "out"), str(source)))
    assert line.startswith(f"{source}:3: 'title' holds the control character U+0001")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.epub"))
    raw = tmp_path / "raw.md"
    raw.write_bytes(b"---\nlang: en\ndescription: a\x1bb\n---\n\nbody\n")
    line = one_line(run_chapbook("build", "-f", "txt", "-o", str(tmp_path / "out"), str(raw)))
    assert line.startswith(f"{raw}:3: the metadata holds the control character U+001B")


def xml_files(out: Path) -> dict[str, bytes]:
    """Every XML document a build wrote: Atom feeds, and the EPUB's pages, package and navigation."""
    found = {str(path): path.read_bytes() for path in out.rglob("*.xml")}
    for epub in out.rglob("*.epub"):
        with zipfile.ZipFile(epub) as archive:
            found |= {f"{epub}!{name}": archive.read(name) for name in archive.namelist()
                      if name.endswith((".xhtml", ".opf", ".ncx", ".xml"))}
    return found


CODE_POINTS = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=("Cs",))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(CODE_POINTS, min_size=1, max_size=6), description=st.text(CODE_POINTS, max_size=6),
       body=st.text(CODE_POINTS, min_size=1, max_size=40))
@example(title="a", description="", body="x\x0b\x1b[2Jy\uffff\x01z")  # dropped from the body: the build goes on
@example(title="a\x01b", description="", body="x")  # refused in the title, with its line
def test_random_code_points_never_break_an_xml_edition(title, description, body, tmp_path_factory):
    import xml.dom.minidom

    from pipeline.build import build
    from pipeline.reader import XML_FORBIDDEN, read_document
    from pipeline.writers.web.site import render_site as render_web

    folder = tmp_path_factory.mktemp("code-points")
    source = folder / "random.md"
    source.write_text(f"---\nlang: en\ntitle: {json.dumps(title)}\ndescription: {json.dumps(description)}\n"
                      f"date: 2024-08-01\n---\n\nwords {body} words\n", encoding="utf-8")
    try:
        build([source], folder / "out", ["txt", "epub", "gemini"])
    except ChapbookError as error:
        assert error.line is not None and "\n" not in str(error), str(error)  # one line, path:line
        return
    written = xml_files(folder / "out")
    assert any(name.endswith(".opf") for name in written) and any(name.endswith(".xml") for name in written)
    for name, data in written.items():
        try:
            xml.dom.minidom.parseString(data)  # expat: raises on anything that is not well-formed
        except Exception as error:  # noqa: BLE001 - named in the failure
            pytest.fail(f"{name} is not well-formed XML: {error}")
    document = read_document(source)
    for name, data in render_web([document], document.settings).items():
        if name.endswith((".html", ".xml")):
            assert not XML_FORBIDDEN.search(data.decode("utf-8")), name
        if name.endswith(".xml"):
            xml.dom.minidom.parseString(data)


# --- a build never touches the network, whatever the settings name ------------------------------------------------

AUDITED = '''
import os, runpy, sys
log = os.open(sys.argv.pop(1), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
def audit(event, args):
    # a name looked up, or a connection to an address (not a local socket: the PDF workers' pipes)
    if event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex") or \\
            event == "socket.connect" and isinstance(args[1], tuple):
        os.write(log, f"{os.getpid()} {event} {args[1] if event == 'socket.connect' else args[0]}\\n".encode())
sys.addaudithook(audit)
sys.argv[0] = "chapbook"
runpy.run_module("pipeline", run_name="__main__")
'''


def test_a_build_looks_up_no_host_and_connects_nowhere_whatever_the_settings_name(tmp_path):
    """Every address chapbook.toml can hold points at a host: the build (every edition a gemlog makes, the PDF
    workers forked with the audit hook in place) neither looks a name up nor connects, a listener on loopback
    counting as well."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.1)
        port = listener.getsockname()[1]
        project = tmp_path / "project"
        (project / "source").mkdir(parents=True)
        (project / "source" / "post.md").write_text(
            f"---\ntitle: a post\nlang: en\ndate: 2024-05-01\n---\n\na [link](https://nosuch.invalid:{port}/) "
            "and words.\n", encoding="utf-8")
        (project / "chapbook.toml").write_text(
            f'publish_to = "sftp://me@nosuch.invalid:{port}/srv"\npublish_web_to = "sftp://127.0.0.1:{port}/www"\n'
            f'antenna_url = "gemini://127.0.0.1:{port}/~antenna/submit"\n\n[site]\ntitle = "t"\n'
            f'gemini_base_url = "gemini://nosuch.invalid:{port}/"\nweb_base_url = "https://127.0.0.1:{port}/"\n')
        log = tmp_path / "network.log"
        result = subprocess.run([sys.executable, "-c", AUDITED, str(log), "build", "-q", "-f", "epub", "-f", "pdf",
                                 "-f", "txt", "-f", "gemini", "-f", "web"], cwd=project, capture_output=True,
                                text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert result.returncode == 0, result.stderr
        with pytest.raises(TimeoutError):
            listener.accept()
    assert (project / "build" / "web" / "index.html").is_file() and list((project / "build").glob("*.pdf"))
    assert not log.exists() or log.read_text() == ""
