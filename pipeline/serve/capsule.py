"""`chapbook serve`: the built capsule over real Gemini (TLS, served by jetforce), to read it in a client."""

from __future__ import annotations

import ipaddress
import os
import re
import signal
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from pipeline.errors import ChapbookError
from pipeline.words.terminal import shown

STATE_ENV = "CHAPBOOK_STATE_DIR"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
SIDECAR = ".meta"  # agate's per-folder file: `page.gmi: ;lang=en` adds parameters to the page's MIME type
CERTIFICATE_DAYS = 3650  # clients pin the first certificate they see (TOFU); a short life means false alarms
MAX_REQUEST_BYTES = 1024  # the Gemini specification's limit for a request's URL


def state_folder(environ: dict[str, str]) -> Path:
    """Where chapbook keeps its own state: $CHAPBOOK_STATE_DIR, else $XDG_STATE_HOME/chapbook, else ~/.local/state."""
    if environ.get(STATE_ENV):
        return Path(environ[STATE_ENV])
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "chapbook"


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_warning(host: str) -> str:
    """The warning to print when `host` lets other machines read the capsule, else ""."""
    if is_loopback(host):
        return ""
    return (f"warning: listening on {host}, not loopback: anyone who can reach this machine can read the capsule "
            "(use --host 127.0.0.1 to keep it private)")


def certificate_names(host: str) -> list[str]:
    """The names a certificate for `host` must carry: clients such as amfora check them against the URL."""
    names = list(LOOPBACK_NAMES)
    if not is_loopback(host):
        unspecified = host in ("", "0.0.0.0", "::")
        for name in ((socket.gethostname(),) if unspecified else (host, socket.gethostname())):
            if name not in names:
                names.append(name)
    return names


def ensure_certificate(folder: Path, names: list[str]) -> tuple[Path, Path]:
    """A self-signed certificate and key for `names` in `folder`, made on first use and reused after."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    label = "localhost" if names == list(LOOPBACK_NAMES) else "-".join(n.replace(":", "_") for n in names[3:])
    certfile, keyfile = folder / f"{label}.crt", folder / f"{label}.key"
    if certfile.is_file() and keyfile.is_file():
        existing = x509.load_pem_x509_certificate(certfile.read_bytes())
        if existing.not_valid_after_utc > datetime.now(UTC) + timedelta(days=1):
            return certfile, keyfile
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, names[0])])
    alternatives = []
    for name in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    now = datetime.now(UTC)
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=CERTIFICATE_DAYS))
                   .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    _write_private(keyfile, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    _write_private(certfile, certificate.public_bytes(serialization.Encoding.PEM))
    return certfile, keyfile


def _write_private(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    temporary.unlink(missing_ok=True)
    # O_EXCL | O_NOFOLLOW: a link planted under the temporary name is never written through.
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.replace(temporary, path)


_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def path_problem(path: str) -> str:
    """Why a request's path (still percent-encoded) cannot name a file, in a few words; "" if it can.

    Shared by both preview servers: a `%` not followed by two hex digits, bytes that do not decode as
    UTF-8, or a NUL or other control character once decoded.
    """
    if _PERCENT.search(path):
        return "bad percent-encoding in the path"
    try:
        decoded = unquote(path, errors="strict")
    except UnicodeDecodeError:
        return "the path is not UTF-8 once decoded"
    if shown(decoded) != decoded:
        return "the path holds control characters"
    return ""


def request_problem(line: bytes) -> str:
    """Why a Gemini request line is malformed, in a few words for the 59 answer; "" if it is not."""
    if len(line) > MAX_REQUEST_BYTES:
        return f"request longer than {MAX_REQUEST_BYTES} bytes"
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return "request is not UTF-8"
    if shown(text) != text:
        return "request holds control characters"
    try:
        return path_problem(urlsplit(text).path)
    except ValueError:  # an unmatched [ in the host
        return "not a URL"


def is_foreign(line: bytes, names: list[str]) -> bool:
    """Whether a (well-formed) request asks for another host or scheme than this capsule: a proxy request,
    which the Gemini specification answers with 53. Any IP address is taken as this machine's (a reader on
    the network types the LAN address); a name must be one the certificate carries."""
    parts = urlsplit(line.decode("utf-8"))
    if parts.scheme.lower() != "gemini":
        return True
    host = (parts.hostname or "").rstrip(".")
    try:
        ipaddress.ip_address(host)
        return False
    except ValueError:
        return host.lower() not in {name.lower() for name in names}


def inside_capsule(root: Path, relative: str) -> bool:
    """Whether `root/relative`, every symbolic link followed, stays inside `root` (a resolved folder)."""
    if "\x00" in relative:
        return False
    try:
        target = Path(os.path.realpath(root / relative))
        if target.is_dir():
            target = Path(os.path.realpath(target / "index.gmi"))  # what jetforce serves for a folder
    except (OSError, ValueError):
        return False
    return target.is_relative_to(root)


def sidecar_parameters(page: Path) -> str:
    """The MIME parameters (`; lang=en`) the `.meta` file beside `page` gives it, else ""."""
    try:
        lines = (page.parent / SIDECAR).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    for line in lines:
        name, _, value = line.partition(":")
        if name.strip() == page.name and value.strip().startswith(";"):
            parameters = [p.strip() for p in value.split(";") if p.strip()]
            return "".join(f"; {p}" for p in parameters)
    return ""


def _capsule_application(root: Path):
    """A jetforce static-file application for the capsule: no CGI, no dot files, charset and lang set."""
    from jetforce import Response, RoutePattern, StaticDirectoryApplication, Status

    class CapsuleApplication(StaticDirectoryApplication):
        def __init__(self) -> None:
            super().__init__(root_directory=str(root))
            # A preview answers for whatever name the reader typed (localhost, 127.0.0.1, a LAN address).
            self.routes = [(RoutePattern(strict_hostname=False, strict_port=False), self.serve_static_file)]

        def serve_static_file(self, request):
            if any(part.startswith(".") for part in PurePosixPath(request.path).parts):
                return Response(Status.NOT_FOUND, "Not Found")  # .meta, half-written .part files
            if not inside_capsule(self.root, os.path.normpath(request.path.strip("/") or ".")):
                return Response(Status.NOT_FOUND, "Not Found")  # a link out of the capsule is never followed
            response = super().serve_static_file(request)
            if isinstance(response, Response) and response.status == Status.SUCCESS and \
                    response.meta.startswith("text/gemini"):
                page = self.root / os.path.normpath(request.path.strip("/") or ".")
                response.meta += sidecar_parameters(page / self.index_file if page.is_dir() else page)
            return response

        def run_cgi_script(self, filesystem_path, environ):
            return Response(Status.NOT_FOUND, "Not Found")  # a capsule holds pages, never programs to run

        def guess_mimetype(self, filename: str) -> str:
            return "application/atom+xml" if filename == "atom.xml" else super().guess_mimetype(filename)

        def add_extra_parameters(self, meta: str) -> str:
            return meta + "; charset=utf-8" if meta.startswith("text/gemini") else meta

    return CapsuleApplication()


def _capsule_server_class(names: list[str]):
    """jetforce's GeminiServer, answering malformed requests (59) and requests for other hosts (53) in one log
    line, and escaping what it logs."""
    from jetforce import GeminiServer, Status
    from jetforce.protocol import GeminiProtocol

    class CapsuleProtocol(GeminiProtocol):
        async def _handle_request_noblock(self) -> None:
            problem = request_problem(self.request)
            status = Status.BAD_REQUEST
            if not problem and is_foreign(self.request, names):
                problem, status = "proxy request refused: this capsule serves only itself", \
                    Status.PROXY_REQUEST_REFUSED
            if not problem:
                await super()._handle_request_noblock()
                return
            # jetforce would log a traceback and re-raise into Twisted ("Unhandled error in Deferred").
            self.url = self.request[:MAX_REQUEST_BYTES].decode("utf-8", "backslashreplace")
            self.write_status(status, problem)
            self.flush_status()
            self.log_request()
            self.finish_connection()

    class CapsuleServer(GeminiServer):
        protocol_class = CapsuleProtocol

        def log_access(self, message: str) -> None:
            print(shown(message), flush=True)  # a request's escape sequences never reach the terminal

        def log_message(self, message: str) -> None:
            print("\n".join(shown(line) for line in message.split("\n")), file=sys.stderr, flush=True)

    return CapsuleServer


def _stop_on_interrupt(reactor) -> None:
    """Make Ctrl-C stop the reactor cleanly, even where SIGINT arrives ignored (a background job)."""
    stopping = []

    def stop() -> None:
        if not stopping:
            stopping.append(True)
            reactor.stop()

    # Twisted only takes over SIGINT when Python's default handler is in place, so set ours explicitly.
    signal.signal(signal.SIGINT, lambda _number, _frame: reactor.callFromThread(stop))


def serve_capsule(folder: Path, host: str = "127.0.0.1", port: int = 1965, on_listening=None) -> None:
    """Serve `folder` (OUTDIR/gemini) over Gemini until Ctrl-C; refuse a folder that holds no capsule.

    `on_listening` is called once the port is bound (the web server's announcement waits for it)."""
    folder = Path(folder)
    if not (folder / "index.gmi").is_file():
        raise ChapbookError(folder, "no Gemini capsule here", "run chapbook build -f gemini first")
    from jetforce.tls import GeminiCertificateOptions
    from twisted.internet import reactor
    from twisted.internet.error import CannotListenError
    from twisted.protocols.tls import TLSMemoryBIOFactory

    names = certificate_names(host)
    certfile, keyfile = ensure_certificate(state_folder(dict(os.environ)) / "tls", names)
    server_class = _capsule_server_class([*names, socket.getfqdn()])
    server = server_class(_capsule_application(folder.resolve()), reactor=reactor, host=host, port=port,
                          hostname="localhost", certfile=str(certfile), keyfile=str(keyfile))
    # Bound here rather than by GeminiServer.run(), which drops a failed bind and serves nothing.
    tls = TLSMemoryBIOFactory(GeminiCertificateOptions(certfile=str(certfile), keyfile=str(keyfile)), False, server)
    try:
        listening = reactor.listenTCP(port, tls, interface=host)
    except CannotListenError as error:
        reason = getattr(error.socketError, "strerror", None) or str(error.socketError)
        if isinstance(error.socketError, socket.gaierror):
            raise ChapbookError(host, f"not an address this machine has ({reason})",
                                "pass --host 127.0.0.1, or an address of this machine") from None
        raise ChapbookError(f"{host} port {port}", f"cannot listen here ({reason})",
                            "choose another port with --port") from None
    server.port = listening.getHost().port
    warning = bind_warning(host)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    shown = "localhost" if host in ("", "0.0.0.0", "::") else f"[{host}]" if ":" in host else host
    print(f"serving {folder} at gemini://{shown}:{server.port}/ (certificate {certfile}); Ctrl-C stops",
          file=sys.stderr, flush=True)
    if on_listening:
        on_listening()
    _stop_on_interrupt(reactor)
    reactor.run()
    print("stopped", file=sys.stderr, flush=True)
