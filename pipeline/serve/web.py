"""`chapbook serve` for the web edition: OUTDIR/web over plain HTTP on loopback, to look at it in a browser.

Python's own `http.server`, restricted: files inside the folder only (a symbolic link leading out of it
is not followed), no directory listings, no dot files, UTF-8 named for text, and the same
Content-Security-Policy the pages carry, sent as a header too.
"""

from __future__ import annotations

import functools
import http.server
import signal
import sys
import threading
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from pipeline.editions import edition, media_types
from pipeline.errors import ChapbookError
from pipeline.files.paths import is_inside
from pipeline.serve.capsule import bind_warning, path_problem, serve_capsule
from pipeline.words.terminal import shown

DEFAULT_PORT = 8065
MAX_PATH_BYTES = 2048  # longer request targets get 414, as a browser never sends one for a page of the site
# Kept in step with the <meta http-equiv> every page of the site carries (pipeline/writers/web/site.py).
POLICY = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'"
# The site's own files, and the other editions' files as the registry declares them.
_TYPES = {**media_types(), ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".xml": "application/atom+xml; charset=utf-8", ".txt": "text/plain; charset=utf-8"}


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files of one folder, and nothing reached through it."""

    server_version = "chapbook"
    sys_version = ""

    def send_head(self):
        # A malformed path is the client's error (400, 414), answered before translate_path: a NUL byte there
        # raised inside the standard library, which logged a traceback and answered nothing.
        if len(self.path.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
            self.send_error(414, "URI Too Long")
            return None
        problem = path_problem(urlsplit(self.path).path)
        if problem:
            self.send_error(400, f"Bad Request ({problem})")
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        root = Path(self.directory).resolve()
        parts = PurePosixPath(unquote(urlsplit(path).path)).parts[1:]
        if any(part.startswith(".") or part == ".." for part in parts):
            return str(root / ".refused")  # never exists: dot files, half-written files, parent folders
        target = root.joinpath(*parts)
        if target.is_dir():
            target = target / "index.html"
        return str(target.resolve()) if is_inside(target, root) else str(root / ".refused")

    def list_directory(self, path):
        self.send_error(404, "Not Found")
        return None

    def guess_type(self, path) -> str:
        return _TYPES.get(Path(path).suffix.lower()) or super().guess_type(path)

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the standard library's name)
        # shown(): a client's escape sequences are written as visible escapes, never obeyed by the terminal.
        print(shown(f"http {self.address_string()} {format % args}"), file=sys.stderr, flush=True)


def start_site_server(folder: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT, announce: bool = True):
    """Start serving `folder` over HTTP in a background thread; the server (its `server_port` is the port).

    With `announce` false, say nothing yet: `announce_site` does it once the capsule's port is bound too.
    """
    folder = Path(folder)
    if not (folder / "index.html").is_file():
        raise ChapbookError(folder, "no web edition here", "run chapbook build -f web first")
    handler = functools.partial(_SiteHandler, directory=str(folder.resolve()))
    try:
        server = http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        raise ChapbookError(f"{host} port {port}", f"cannot listen here ({error.strerror or error})",
                            "choose another port with --http-port") from None
    server.daemon_threads = True
    server.folder, server.host = folder, host
    threading.Thread(target=server.serve_forever, name="chapbook-http", daemon=True).start()
    if announce:
        announce_site(server)
    return server


def announce_site(server) -> None:
    """Say where the site is served (and warn when beyond loopback)."""
    host = server.host
    warning = bind_warning(host)
    if warning:
        print(warning.replace("the capsule", "the site"), file=sys.stderr, flush=True)
    name = "localhost" if host in ("", "0.0.0.0", "::") else f"[{host}]" if ":" in host else host
    print(f"serving {server.folder} at http://{name}:{server.server_port}/; Ctrl-C stops", file=sys.stderr,
          flush=True)


def serve_outputs(outdir: Path, host: str = "127.0.0.1", port: int = 1965, http_port: int = DEFAULT_PORT) -> None:
    """Serve OUTDIR/gemini over Gemini and OUTDIR/web over HTTP, whichever were built, until Ctrl-C."""
    outdir = Path(outdir)
    web, capsule = edition("web").path(outdir), edition("gemini").path(outdir)
    serves_capsule = (capsule / "index.gmi").is_file() or not (web / "index.html").is_file()
    site = start_site_server(web, host, http_port, announce=not serves_capsule) \
        if (web / "index.html").is_file() else None
    try:
        if serves_capsule:
            # The site is announced only once the capsule's port is bound: a busy port ends it first.
            serve_capsule(capsule, host, port, on_listening=(lambda: announce_site(site)) if site else None)
        else:
            _wait_for_interrupt()
    finally:
        if site is not None:
            site.shutdown()
            site.server_close()


def _wait_for_interrupt() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda _number, _frame: stop.set())
    signal.signal(signal.SIGTERM, lambda _number, _frame: stop.set())
    while not stop.wait(0.5):  # a bounded wait, so the signal handler gets its turn
        pass
    print("stopped", file=sys.stderr, flush=True)
