"""`chapbook serve` for the web edition: OUTDIR/web over plain HTTP on loopback, to look at it in a browser.

Python's own `http.server`, restricted: files inside the folder only (a symbolic link leading out of it
is not followed), no directory listings, no dot files, UTF-8 named for text, and the same
Content-Security-Policy the pages carry, sent as a header too.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import http.server
import io
import signal
import sys
import threading
import time
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs, unquote, urlsplit

from pipeline.editions import edition, media_types
from pipeline.errors import ChapbookError
from pipeline.files.paths import is_inside
from pipeline.serve.capsule import bind_warning, path_problem, serve_capsule
from pipeline.words.terminal import shown
from pipeline.writers.web.site import POLICY as PAGE_POLICY
from pipeline.writers.web.site import STYLESHEET

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
        return None if self.refused_malformed(self.path) else super().send_head()

    def refused_malformed(self, target: str) -> bool:
        """Answer a malformed path (400, 414) before translate_path, and say so; False when it is well formed.

        A NUL byte reaching translate_path raised inside the standard library, which logged a traceback
        and answered nothing.
        """
        if len(target.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
            self.send_error(414, "URI Too Long")
            return True
        problem = path_problem(urlsplit(target).path)
        if problem:
            self.send_error(400, f"Bad Request ({problem})")
            return True
        return False

    def translate_path(self, path: str) -> str:
        root = Path(self.directory).resolve()
        parts = PurePosixPath(unquote(urlsplit(path).path)).parts[1:]
        if any(part.startswith(".") or part == ".." for part in parts):
            return str(root / ".refused")  # never exists: dot files, half-written files, parent folders
        target = root.joinpath(*parts)
        if target.is_dir():
            target = target / "index.html"
        return str(target.resolve()) if is_inside(target, root) else str(root / ".refused")

    def copyfile(self, source, outputfile) -> None:
        # The reader closed the tab or reloaded: nothing left to answer, and no traceback to print.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().copyfile(source, outputfile)

    def list_directory(self, path):
        self.send_error(404, "Not Found")
        return None

    def guess_type(self, path) -> str:
        return _TYPES.get(Path(path).suffix.lower()) or super().guess_type(path)

    policy = POLICY

    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", self.policy)
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the standard library's name)
        # shown(): a client's escape sequences are written as visible escapes, never obeyed by the terminal.
        print(shown(f"http {self.address_string()} {format % args}"), file=sys.stderr, flush=True)


# The preview's reload (serve --watch) -------------------------------------------------------------------
# Only what the preview server sends carries it; the built pages stay script-free. A page opens a
# server-sent event stream (https://html.spec.whatwg.org/multipage/server-sent-events.html) that names
# it; the server answers one event once the page's file or the stylesheet changes, and the page reloads.
# The path starts with a dot, so it can never be a file of the site (those are never served).
RELOAD_PATH = "/.chapbook/reload"
RELOAD_SCRIPT = (f'new EventSource("{RELOAD_PATH}?page=" + encodeURIComponent(location.pathname))'
                 ".onmessage = function () { location.reload(); };")
RELOAD_SNIPPET = f"<script>{RELOAD_SCRIPT}</script>\n"
# The preview's policy allows that one script by its hash (CSP Level 3, "hash-source"), and no other.
_SCRIPT_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(RELOAD_SCRIPT.encode()).digest()).decode() + "'"
PREVIEW_POLICY = POLICY.replace("script-src 'none'", f"script-src {_SCRIPT_HASH}")
_PAGE_POLICY = f'<meta http-equiv="Content-Security-Policy" content="{PAGE_POLICY}">'
_PREVIEW_PAGE_POLICY = _PAGE_POLICY.replace("script-src 'none'", f"script-src {_SCRIPT_HASH}")
POLL_SECONDS = 0.1  # how often an open event stream looks at its page's file
KEEP_ALIVE_SECONDS = 15  # a comment line this often, so a closed tab's stream ends


def preview_page(page: bytes) -> bytes:
    """A built page as the preview sends it: its policy allowing the reload script, the script before </body>."""
    text = page.decode("utf-8", errors="surrogateescape").replace(_PAGE_POLICY, _PREVIEW_PAGE_POLICY, 1)
    at = text.rfind("</body>")
    text = text[:at] + RELOAD_SNIPPET + text[at:] if at >= 0 else text + RELOAD_SNIPPET
    return text.encode("utf-8", errors="surrogateescape")


def _version(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is written again (atomic writes rename a new file into place), or None."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns, status.st_size


class _PreviewHandler(_SiteHandler):
    """The site as `serve --watch` sends it: each HTML page with the reload script, and the event stream."""

    policy = PREVIEW_POLICY

    def do_GET(self) -> None:
        address = urlsplit(self.path)
        if address.path == RELOAD_PATH:
            page = parse_qs(address.query).get("page", ["/"])[0]
            if not self.refused_malformed(page):
                self._send_reload_event(page)
            return
        super().do_GET()

    def send_head(self):
        if self.refused_malformed(self.path):
            return None
        path = Path(self.translate_path(self.path))
        if path.suffix != ".html" or not path.is_file():
            return super().send_head()
        body = preview_page(path.read_bytes())
        self.send_response(200)
        self.send_header("Content-Type", _TYPES[".html"])
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")  # a reload fetches the page again
        self.end_headers()
        return io.BytesIO(body)

    def _send_reload_event(self, page: str) -> None:
        """Hold the stream open until the page's file (or the stylesheet) changes, then send one event."""
        watched = [Path(self.translate_path(page)), Path(self.directory) / STYLESHEET]
        seen = [_version(path) for path in watched]
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        quiet = 0.0
        try:
            self.wfile.write(b"retry: 1000\n\n")
            self.wfile.flush()
            while [_version(path) for path in watched] == seen:
                time.sleep(POLL_SECONDS)
                quiet += POLL_SECONDS
                if quiet >= KEEP_ALIVE_SECONDS:
                    quiet = 0.0
                    self.wfile.write(b": still watching\n\n")
                    self.wfile.flush()
            self.wfile.write(b"data: reload\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the tab was closed


def start_site_server(folder: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT, live: bool = False,
                      announce: bool = True):
    """Start serving `folder` over HTTP in a background thread; the server (its `server_port` is the port).

    `live` (serve --watch): each page is sent with the reload script, which reloads it once its file changes.
    With `announce` false, say nothing yet: `announce_site` does it once the capsule's port is bound too.
    """
    folder = Path(folder)
    if not (folder / "index.html").is_file():
        raise ChapbookError(folder, "no web edition here", "run chapbook build -f web first")
    handler = functools.partial(_PreviewHandler if live else _SiteHandler, directory=str(folder.resolve()))
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


def serve_outputs(outdir: Path, host: str = "127.0.0.1", port: int = 1965, http_port: int = DEFAULT_PORT,
                  live: bool = False) -> None:
    """Serve OUTDIR/gemini over Gemini and OUTDIR/web over HTTP, whichever were built, until Ctrl-C.

    `live`: the web pages reload themselves when their files change (`start_site_server`).
    """
    outdir = Path(outdir)
    web, capsule = edition("web").path(outdir), edition("gemini").path(outdir)
    serves_capsule = (capsule / "index.gmi").is_file() or not (web / "index.html").is_file()
    site = start_site_server(web, host, http_port, live, announce=not serves_capsule) \
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
