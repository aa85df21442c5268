"""Where a site is published: `sftp://user@host[:port]/path`, `titan://host[:port]/path`, or a local folder."""

from __future__ import annotations

import errno
import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.errors import ChapbookError
from pipeline.publish.redact import address_secrets, redacted_address
from pipeline.words.terminal import shown as escaped

SCHEMES = ("sftp", "titan", "file")
DEFAULT_PORTS = {"sftp": 22, "titan": 1965}
_EXAMPLES = "sftp://me@example.org/srv/gemini, titan://example.org/, file:///srv/gemini"


@dataclass(frozen=True)
class Destination:
    """A parsed destination; it never holds a secret, so it is safe to print (`str(destination)`)."""

    scheme: str
    path: str
    host: str = ""
    port: int = 0
    user: str = ""
    setting: str = field(default="publish_to", compare=False)  # where the user wrote it, named in errors

    def __str__(self) -> str:
        if self.scheme == "file":
            return Path(self.path).as_uri()
        user = f"{self.user}@" if self.user else ""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        port = f":{self.port}" if self.port != DEFAULT_PORTS[self.scheme] else ""
        path = self.path if self.path.startswith("/") else f"/~/{self.path}"  # under the login folder
        return f"{self.scheme}://{user}{shown}{port}{path}"

    @property
    def named_by(self) -> str:
        """Where the address was written, as errors say it: `named by --to`, `named by publish_to in <file>`."""
        return f"named by {self.setting}"

    def file_path(self, relative: str) -> str:
        """The POSIX path of `relative` (a path inside the capsule) at this destination; a relative one (SFTP's
        `/~/…`) is under the login folder."""
        if not self.path:
            return relative
        return f"{self.path.rstrip('/')}/{relative}"


def parse_destination(text: str, where: str = "publish_to", examples: str = _EXAMPLES) -> Destination:
    """Read a destination from the command line or the setting `where`; a bad one is one clear error."""

    def _refused(text: str, problem: str, remedy: str = "") -> ChapbookError:
        return ChapbookError(text, problem, remedy or f"write it like {examples}")

    text = text.strip()
    if not text:
        raise ChapbookError("publish", "no destination to publish to",
                            f"pass --to or set {where} in chapbook.toml ({examples})")
    if "://" not in text:
        return Destination("file", str(local_path(text, where, examples)), setting=where)
    shown = redacted_address(text)  # never echo a password back, whatever it holds (pipeline/publish/redact.py)
    try:
        parts = urlsplit(text)
    except ValueError:  # an unmatched [ (urlsplit's "Invalid IPv6 URL")
        raise _refused(shown, f"{where}: not an address chapbook can read (an unmatched [ or ])") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _refused(shown, f"{where}: cannot publish over {scheme}://")
    if parts.password is not None or address_secrets(text):
        # The second test reads the userinfo as redaction does: up to the last @ when a : comes before the
        # first / ? #, so `me:pa/ss@host` (host `me` to urlsplit) is refused as what it is, not connected to.
        raise _refused(shown, f"{where}: a password in the address would be stored and shown",
                       "use an SSH key (ssh-agent or ~/.ssh) instead; an @ in the path after host:port is "
                       "written %40")
    if parts.query or parts.fragment:
        raise _refused(shown, f"{where}: a destination has no ?query or #fragment")
    path = unquote(parts.path)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise _refused(shown, f"{where}: a file:// destination is a folder on this machine",
                           "write file:///absolute/path, or mount the share first")
        return Destination("file", str(Path(path or "/").resolve()), setting=where)
    if not parts.hostname:
        raise _refused(shown, f"{where}: the address names no host")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise _refused(shown, f"{where}: the port is not a number from 1 to 65535") from None
    host_problem = host_name_problem(parts.hostname)
    if host_problem:
        raise _refused(shown, f"{where}: {host_problem}", "check the host name")
    if scheme == "sftp" and (path in ("", "/~") or path.startswith("/~/")):
        # Relative to the login folder, as in ssh URIs (draft-ietf-secsh-scp-sftp-ssh-uri); no path at all is the
        # login folder itself, where OpenSSH's sftp starts (misc.c parse_uri leaves the path unset, and
        # parse_user_host_path makes `host:` "."), and where rclone's sftp remote's empty path points.
        path = path[3:]
    if scheme == "titan" and not path.endswith("/"):
        path += "/"
    return Destination(scheme, path, parts.hostname, port, unquote(parts.username or ""), where)


# A local folder is written as a path that cannot be mistaken for an address; `host:path` is scp's way
# of naming a remote folder, which chapbook once took for a local folder of that name.
_PATH_STARTS = ("/", "./", "../", "~")
_SCP_STYLE = re.compile(r"^(?:(?P<user>[^@/:]+)@)?(?P<host>\[[^\]]*\]|[^/:]+):(?P<path>.*)$")


def local_path(text: str, where: str, examples: str = _EXAMPLES) -> Path:
    """The folder a destination without a scheme names; it must start with `/`, `./`, `../` or `~`, and
    scp's `host:path` is refused with the sftp:// address it probably means."""
    scp = _SCP_STYLE.match(text)
    if scp and not text.startswith(_PATH_STARTS):
        path = scp.group("path")
        if "@" in path:  # `user:password@host:path`: never echoed, the password would be printed
            raise ChapbookError("publish", f"{where}: a password in the address would be stored and shown",
                                "use an SSH key and write sftp://user@host/path")
        address = f"sftp://{scp.group('user') + '@' if scp.group('user') else ''}{scp.group('host')}" + \
            (path if path.startswith("/") else f"/~/{path}" if path else "/~/")
        raise ChapbookError(escaped(text), f"{where}: host:path is scp's way of writing a remote folder, and "
                            "chapbook needs the scheme", f"write {escaped(address)}")
    if not text.startswith(_PATH_STARTS):
        raise ChapbookError(escaped(text), f"{where}: a destination says its scheme",
                            f"write ./{escaped(text)} for a folder here, or an address like {examples}")
    return Path(text).expanduser().resolve()


def host_name_problem(host: str) -> str:
    """Why `host` cannot be looked up, in a few words, or "": it must encode by IDNA (RFC 3490), as the
    socket library encodes it before any connection, and hold no control character."""
    if escaped(host) != host:
        return "the host name holds control characters"
    try:
        host.encode("idna")
    except UnicodeError:
        return (f"the host name {escaped(host)!r} cannot be looked up (IDNA cannot encode it: a label is empty, "
                "longer than 63 characters, or holds characters IDNA refuses)")
    return ""


def connection_failure(where: str, error: OSError, seconds: float, server: str, host: str, port: int,
                       named_by: str = "") -> ChapbookError:
    """One line for a connection that could not be made (no such host, refused, timed out), for any transport;
    `named_by` (`named by --to`) says where the address came from, so the user knows what to correct."""
    origin = f" ({named_by})" if named_by else ""
    shown = escaped(host)
    if isinstance(error, socket.gaierror):
        if error.errno == socket.EAI_AGAIN:  # the resolver itself could not be reached or did not answer
            return ChapbookError(where, f"cannot look up host '{shown}' now (no answer from the name server)"
                                 f"{origin}", "check the network connection, or try again later")
        return ChapbookError(where, f"cannot find host '{shown}'{origin}", "check the spelling of the host name")
    if isinstance(error, TimeoutError):
        return ChapbookError(where, f"no answer from {shown} port {port} within {seconds:g} s{origin}",
                             "check the host name and port, or try again later; publish_timeout in chapbook.toml "
                             "sets the limit")
    if error.errno == errno.ECONNREFUSED:
        return ChapbookError(where, f"{shown} refused the connection on port {port}{origin}",
                             f"check the port, and that the {server} is running there")
    # asyncio words the rest "Connect call failed (address)"; the system's own words are clearer.
    reason = os.strerror(error.errno) if error.errno and error.errno > 0 else error.strerror or str(error)
    return ChapbookError(where, f"cannot connect to {shown} port {port} ({reason}){origin}",
                         f"check the host name and port, and that the {server} is running")
