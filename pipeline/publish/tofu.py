"""Gemini and Titan requests over TLS, with the server's certificate pinned on first use (the Gemini norm).

Pins live in chapbook's state folder (`pipeline.serve.capsule.state_folder`), one line per host:
`host:port SHA256:<hex of the certificate>`. A changed certificate is always refused.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import ChapbookError
from pipeline.publish.destination import connection_failure

PINS_FILE = "known-capsules"
MAX_RESPONSE = 64 * 1024 * 1024
MAX_HEADER = 1029  # a Gemini response header: two digits, a space, a meta of at most 1024 bytes, CRLF
TIMEOUT = 30


@dataclass
class Pins:
    """The pinned certificates, and notes about hosts pinned during this run (to tell the user)."""

    path: Path
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False  # a new certificate is accepted for this run only, and nothing is written

    def _read(self) -> dict[str, str]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return {}
        return dict(line.split(None, 1) for line in lines if len(line.split()) == 2)

    def check(self, where: str, certificate: bytes, named_by: str = "") -> None:
        """Accept `certificate` for `where` (host:port) if it is the pinned one, or pin it when none is; `named_by`
        says in the error where the address came from."""
        fingerprint = "SHA256:" + hashlib.sha256(certificate).hexdigest()
        pinned = self._read().get(where)
        if pinned == fingerprint:
            return
        if pinned:
            origin = f"; the host {named_by}" if named_by else ""
            raise ChapbookError(where, f"the server's certificate changed since chapbook first connected "
                                f"(pinned {pinned}, now {fingerprint}{origin}); someone may be intercepting the "
                                "connection",
                                f"if the host's owner confirms the new one, delete its line from {self.path}")
        if self.dry_run:
            self.notes.append(f"{where}: new certificate {fingerprint}, not pinned (a dry run writes nothing)")
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self.path.open("a", encoding="utf-8") as stream:
            stream.write(f"{where} {fingerprint}\n")
        self.notes.append(f"{where}: certificate pinned on first use ({fingerprint})")


@dataclass(frozen=True)
class Response:
    """A Gemini response: the two-digit status, the meta line and the body."""

    status: int
    meta: str
    body: bytes


def _context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # Gemini requires TLS 1.2 or later
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # capsules use self-signed certificates; the pin is the check
    return context


def gemini_request(host: str, port: int, request: str, pins: Pins, body: bytes = b"", shown: str = "",
                   timeout: float = TIMEOUT, limit: int = MAX_RESPONSE, doing: str = "",
                   named_by: str = "") -> Response:
    """Send `request` (a URL, without CRLF) and `body` to host:port; the pinned certificate is checked first.

    `shown` names the request in errors instead of the URL, which may hold a token. The whole exchange
    (connection, TLS, request, answer) must end within `timeout` seconds, however slowly a host drips its
    answer; a body is read to at most `limit` bytes. `doing` names the step in a timeout's error; `named_by`
    (`named by --to`) says in a connection's error where the address came from.
    """
    where = f"{host}:{port}"
    shown = shown or where
    origin = f" ({named_by})" if named_by else ""
    deadline = time.monotonic() + timeout
    try:
        raw = socket.create_connection((host, port), timeout=timeout)
    except OSError as error:  # no such host, refused, no answer: before anything was sent
        raise connection_failure(shown, error, timeout, "Gemini server", host, port, named_by) from None
    try:
        with raw, _context().wrap_socket(raw, server_hostname=host) as stream:
            pins.check(where, stream.getpeercert(binary_form=True), named_by)
            stream.settimeout(max(deadline - time.monotonic(), 0.001))
            stream.sendall(request.encode("utf-8") + b"\r\n" + body)
            data = bytearray()
            while len(data) <= limit + MAX_HEADER:
                stream.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = stream.recv(65536)
                if not chunk:
                    break
                data += chunk
    except ssl.SSLError as error:
        raise ChapbookError(shown, f"TLS failed ({error.reason or error}){origin}",
                            "check the address and port of the capsule host") from None
    except TimeoutError:
        raise ChapbookError(shown, f"the host did not answer within {timeout:g} s while {doing or 'connecting'}"
                            f"{origin}",
                            "publish again to finish (files already sent are complete); publish_timeout in "
                            "chapbook.toml sets the limit") from None
    except OSError as error:
        raise ChapbookError(shown, f"connection lost ({error.strerror or error})",
                            "publish again to finish (files already sent are complete)") from None
    header, separator, rest = bytes(data).partition(b"\r\n")
    status, _, meta = header.decode("utf-8", "replace").partition(" ")
    if not separator or len(status) != 2 or not status.isdigit() or len(header) > MAX_HEADER:
        raise ChapbookError(shown, "the server did not answer in Gemini's format", "check the address and port")
    return Response(int(status), meta.strip(), rest[:limit + 1])
