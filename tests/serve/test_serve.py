"""`chapbook serve`: the capsule over real Gemini (TLS), fetched by a socket speaking the protocol."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ESSAY, ROOT, run_chapbook

from pipeline.serve.capsule import bind_warning, certificate_names, ensure_certificate, state_folder

PAGE = "gemlog/2024-07-31-my-thoughts-on-generated-images.gmi"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(port: int, path: str) -> tuple[str, bytes]:
    """One Gemini request: the header line and the body."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # a capsule's certificate is self-signed (trust on first use)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as stream:
        stream.sendall(f"gemini://127.0.0.1:{port}/{path}\r\n".encode())
        data = b""
        while chunk := stream.recv(65536):
            data += chunk
    header, _, body = data.partition(b"\r\n")
    return header.decode("utf-8"), body


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    outdir = tmp_path_factory.mktemp("out")
    result = run_chapbook("build", "-q", "-f", "gemini", "-o", str(outdir), str(ESSAY))
    assert result.returncode == 0, result.stderr
    return outdir


def test_serve_answers_over_tls_and_stops_cleanly_on_ctrl_c(built, tmp_path):
    port = free_port()
    environment = dict(os.environ, CHAPBOOK_STATE_DIR=str(tmp_path / "state"))
    server = subprocess.Popen([sys.executable, "-m", "pipeline", "serve", str(built), "--port", str(port)],
                              cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                header, body = fetch(port, "")
                break
            except OSError:
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert header == "20 text/gemini; charset=utf-8; lang=en"
        assert body.startswith(b"# gemlog\n")  # the capsule's name (capsule_title), not a post's
        header, body = fetch(port, "gemlog/")
        assert header.startswith("20 text/gemini") and b"=> 2024-07-31-my-thoughts" in body
        header, body = fetch(port, PAGE)
        assert header == "20 text/gemini; charset=utf-8; lang=en"
        assert (built / "gemini" / PAGE).read_bytes() == body
        assert fetch(port, "gemlog/atom.xml")[0] == "20 application/atom+xml"
        assert fetch(port, "gemlog/.meta")[0].startswith("51")  # dot files stay private
    finally:
        server.send_signal(signal.SIGINT)
        _out, errors = server.communicate(timeout=20)
    assert server.returncode == 0, errors
    assert "Traceback" not in errors and "127.0.0.1" in errors
    assert (tmp_path / "state" / "tls" / "localhost.crt").is_file()


def test_serve_refuses_a_folder_without_a_capsule(tmp_path):
    result = run_chapbook("serve", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"{tmp_path / 'gemini'}: no Gemini capsule here; run chapbook build -f gemini first"]


def test_serve_reports_a_port_in_use_in_one_line(built, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_chapbook("serve", str(built), "--port", str(port), env={"CHAPBOOK_STATE_DIR": str(tmp_path)},
                              timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"127.0.0.1 port {port}: cannot listen here (Address already in use); choose another port with --port"]


def test_binding_beyond_loopback_warns():
    assert bind_warning("127.0.0.1") == bind_warning("::1") == bind_warning("localhost") == ""
    assert "anyone who can reach this machine" in bind_warning("0.0.0.0")


def test_certificate_is_made_once_with_names_clients_check(tmp_path):
    from cryptography import x509

    names = certificate_names("127.0.0.1")
    certfile, keyfile = ensure_certificate(tmp_path / "tls", names)
    assert (keyfile.stat().st_mode & 0o777) == 0o600
    certificate = x509.load_pem_x509_certificate(certfile.read_bytes())
    alternatives = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in alternatives.get_values_for_type(x509.DNSName)
    assert {str(ip) for ip in alternatives.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    first = certfile.read_bytes()
    assert ensure_certificate(tmp_path / "tls", names) == (certfile, keyfile) and certfile.read_bytes() == first


def test_state_folder_follows_the_environment(tmp_path):
    assert state_folder({"CHAPBOOK_STATE_DIR": str(tmp_path)}) == tmp_path
    assert state_folder({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "chapbook"
    assert state_folder({}) == Path.home() / ".local" / "state" / "chapbook"


def test_serve_reports_a_host_that_is_not_an_address_in_one_line(built, tmp_path):
    result = run_chapbook("serve", str(built), "--host", "256.1.1.1", env={"CHAPBOOK_STATE_DIR": str(tmp_path)},
                          timeout=60)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("256.1.1.1: not an address this machine has") and "--host 127.0.0.1" in line
