"""Pages opened in a real browser: Debian's headless Chromium driven by Playwright, measured as a reader sees them.

Used by the web edition's checker and the tests (and by the EPUB's rendering checks): open a local file or
a loopback URL at a viewport width, in the light or dark scheme; run axe-core; measure scroll width, element
boxes, overlaps, `innerText` and list depths from the DOM. Every request to another host (or to a file
outside the folder the page may use) is refused and reported, so a check never touches the network and a
page that tries to is caught. Playwright is imported lazily; without it or Chromium, `missing()` says what
to install, and `open_browser()` raises `BrowserUnavailable` carrying that command.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.check.installs import CHROMIUM_INSTALL, node_install, node_tools, python_install
from pipeline.files.paths import is_inside

# Debian's chromium is used: no `playwright install` (no browser download works here).
PLAYWRIGHT_INSTALL = python_install("playwright")
# No sandbox: the checks run as root in containers, where Chromium's sandbox cannot start. The rest keep
# Chromium from phoning home (updates, sync, field trials) so a check makes no request of its own.
LAUNCH_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run")
SCHEMES = ("light", "dark")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class BrowserUnavailable(Exception):
    """Chromium, Playwright or axe-core is not installed; `install` is the command that installs it."""

    def __init__(self, install: str) -> None:
        super().__init__(f"install it: {install}")
        self.install = install


def chromium_path() -> str | None:
    """Debian's chromium binary, or None."""
    return shutil.which("chromium") or shutil.which("chromium", path="/usr/bin")


def missing(axe: bool = False) -> str | None:
    """The install command for what is missing to open pages (and run axe-core if asked), or None if ready."""
    if chromium_path() is None:
        return CHROMIUM_INSTALL
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return PLAYWRIGHT_INSTALL
    if axe and not axe_script().is_file():
        return node_install(node_tools())
    return None


def axe_script() -> Path:
    """axe-core's script, in the Node checkers' folder (pipeline/check/installs.py)."""
    return node_tools() / "node_modules" / "axe-core" / "axe.min.js"


@dataclass(frozen=True)
class Box:
    """An element's border box in CSS pixels, relative to the page (not the viewport), with its text."""

    x: float
    y: float
    width: float
    height: float
    text: str = ""

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: Box) -> bool:
        """Whether the two boxes share area (touching edges do not count)."""
        return (self.x < other.right - 0.5 and other.x < self.right - 0.5
                and self.y < other.bottom - 0.5 and other.y < self.bottom - 0.5)


@dataclass(frozen=True)
class Violation:
    """One axe-core rule a page breaks: its id, impact, help text and the CSS selectors of the nodes."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}): {self.help} at {', '.join(self.targets[:3])}"


_BOXES_JS = """selector => Array.from(document.querySelectorAll(selector), element => {
  const r = element.getBoundingClientRect();
  return [r.left + scrollX, r.top + scrollY, r.width, r.height, (element.innerText || '').trim()];
})"""

# Each <li> inside `within` (and not inside `leavingOut`) with the number of lists around it up to `within`
# (1 = top level) and its own text, nested lists left out.
_INNER_TEXT_JS = """selector => {
  const root = document.querySelector(selector);
  if (!root) return '';
  const swapped = Array.from(root.querySelectorAll('math'), math => {
    const text = document.createElement('span');
    text.textContent = math.textContent;
    math.replaceWith(text);
    return [text, math];
  });
  const seen = root.innerText;
  swapped.forEach(([text, math]) => text.replaceWith(math));
  return seen;
}"""

_LIST_ITEMS_JS = """([within, leavingOut]) => {
  const root = document.querySelector(within);
  if (!root) return [];
  return Array.from(root.querySelectorAll('li'))
    .filter(item => !(leavingOut && item.closest(leavingOut)))
    .map(item => {
      let depth = 0;
      for (let node = item.parentElement; node && node !== root; node = node.parentElement)
        if (node.localName === 'ul' || node.localName === 'ol') depth++;
      const copy = item.cloneNode(true);
      copy.querySelectorAll('ul, ol').forEach(list => list.remove());
      return [depth, copy.textContent.replace(/\\s+/g, ' ').trim()];
    });
}"""

# Elements (with a box) whose right edge passes the viewport's: the cause of a horizontal scroll.
_WIDER_JS = """() => {
  const width = document.documentElement.clientWidth, found = [];
  for (const element of document.body.querySelectorAll('*')) {
    const r = element.getBoundingClientRect();
    if (r.width > 0 && (r.right > width + 0.5 || r.left < -0.5)) {
      const name = element.localName + (element.id ? '#' + element.id : '')
        + (element.classList.length ? '.' + Array.from(element.classList).join('.') : '');
      found.push(`${name} (${Math.round(r.left)}..${Math.round(r.right)} px)`);
    }
  }
  return found;
}"""

_AXE_RUN_JS = """options => axe.run(document, options).then(result => result.violations.map(v =>
  [v.id, v.impact || '', v.help, v.nodes.map(node => node.target.join(' '))]))"""


@dataclass
class PageView:
    """One page open at one viewport width and colour scheme; `refused` lists the requests that were blocked."""

    page: object
    url: str
    width: int
    scheme: str
    refused: list[str] = field(default_factory=list)

    def set_width(self, width: int, height: int = 800) -> None:
        """Resize the viewport (the page is laid out again; no reload)."""
        self.page.set_viewport_size({"width": width, "height": height})
        self.width = width

    def set_scheme(self, scheme: str) -> None:
        """Switch `prefers-color-scheme` to "light" or "dark" (no reload)."""
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, not {scheme!r}")
        self.page.emulate_media(color_scheme=scheme)
        self.scheme = scheme

    def evaluate(self, script: str, argument=None):
        """The value of a JavaScript expression or function evaluated in the page."""
        return self.page.evaluate(script, argument)

    def scroll_width(self) -> int:
        """The document's scroll width; larger than `width` means the reader scrolls sideways."""
        return self.page.evaluate("document.documentElement.scrollWidth")

    def wider_than_viewport(self) -> list[str]:
        """Elements reaching past the viewport's left or right edge, named `tag#id.class (left..right px)`."""
        return self.page.evaluate(_WIDER_JS)

    def boxes(self, selector: str) -> list[Box]:
        """The boxes of every element matching a CSS selector, in document order."""
        return [Box(*row) for row in self.page.evaluate(_BOXES_JS, selector)]

    def inner_text(self, selector: str = "body") -> str:
        """The rendered text of the first element matching `selector` (`innerText`: what a reader sees).

        Math is read as its text: Chromium's innerText leaves MathML's tokens out or sets them on lines
        of their own (innerText is defined for CSS boxes, MathML has its own layout).
        """
        return self.page.evaluate(_INNER_TEXT_JS, selector)

    def list_items(self, within: str = "body", leaving_out: str = "") -> list[tuple[int, str]]:
        """Every list item in document order: (depth counted from the DOM's nested lists, its own text).

        Only items inside the first element matching `within`, and none inside one matching `leaving_out`.
        """
        return [(depth, text) for depth, text in self.page.evaluate(_LIST_ITEMS_JS, [within, leaving_out])]

    def overlapping(self, selector: str) -> list[tuple[str, str]]:
        """Pairs of elements matching `selector` whose boxes overlap, neither containing the other."""
        return self.page.evaluate("""selector => {
          const elements = Array.from(document.querySelectorAll(selector)), pairs = [];
          const boxes = elements.map(element => element.getBoundingClientRect());
          for (let i = 0; i < elements.length; i++) for (let j = i + 1; j < elements.length; j++) {
            const a = boxes[i], b = boxes[j];
            if (!a.width || !b.width || elements[i].contains(elements[j]) || elements[j].contains(elements[i]))
              continue;
            if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
              pairs.push([elements[i].outerHTML.slice(0, 60), elements[j].outerHTML.slice(0, 60)]);
          }
          return pairs;
        }""", selector)

    def axe(self, tags: tuple[str, ...] = (), rules: tuple[str, ...] = ()) -> list[Violation]:
        """axe-core's violations on this page: its default rules, or only those with the given tags (e.g.
        "wcag2aa", which also runs rules off by default) or the given rule ids (e.g. "color-contrast")."""
        script = axe_script()
        if not script.is_file():
            raise BrowserUnavailable(node_install(node_tools()))
        # Evaluated, not added as a <script>: the pages forbid scripts, and the check must not need them.
        if not self.page.evaluate("typeof axe !== 'undefined'"):
            self.page.evaluate(script.read_text(encoding="utf-8"))
        options = {"runOnly": {"type": "rule", "values": list(rules)}} if rules else \
            {"runOnly": {"type": "tag", "values": list(tags)}} if tags else {}
        rows = self.page.evaluate(_AXE_RUN_JS, options)
        return [Violation(rule, impact, text, tuple(targets)) for rule, impact, text, targets in rows]

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """A PNG of the page (the whole length unless `full_page` is False)."""
        self.page.screenshot(path=str(path), full_page=full_page)
        return path


def _allowed(url: str, root: Path | None, origin: str | None) -> bool:
    """Whether a request stays on this machine and inside what the page may use."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    if parts.scheme == "file":
        if root is None:
            return False
        return is_inside(Path(unquote(parts.path)), root)
    return origin is not None and f"{parts.scheme}://{parts.netloc}" == origin


class Browser:
    """A running headless Chromium; `open` gives pages at a width and scheme."""

    def __init__(self, chromium) -> None:
        self.chromium = chromium

    @contextmanager
    def open(self, target: str | Path, width: int, scheme: str = "light", height: int = 800,
             root: Path | None = None) -> Iterator[PageView]:
        """Open a local file or a loopback http URL at `width` × `height` CSS pixels in the `scheme` colours.

        A file page may load files under `root` (default: its own folder); a loopback page, its own origin.
        Every other request is refused and listed in the view's `refused`.
        """
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, not {scheme!r}")
        url, origin = _address(target)
        if root is None and origin is None:
            root = Path(unquote(urlsplit(url).path)).resolve().parent
        root = root.resolve() if root is not None else None
        context = self.chromium.new_context(viewport={"width": width, "height": height}, color_scheme=scheme,
                                            device_scale_factor=1, service_workers="block")
        view = PageView(None, url, width, scheme)

        def route(request_route) -> None:
            if _allowed(request_route.request.url, root, origin):
                request_route.continue_()
            else:
                note(request_route.request.url)
                request_route.abort("blockedbyclient")

        def note(url: str) -> None:
            if url not in view.refused:
                view.refused.append(url)

        # Requests a page's own Content-Security-Policy stops never reach the route; they count too.
        def seen(request) -> None:
            if not _allowed(request.url, root, origin):
                note(request.url)

        try:
            context.route("**/*", route)
            view.page = context.new_page()
            view.page.on("request", seen)
            view.page.goto(url, wait_until="load")
            yield view
        finally:
            context.close()


def _address(target: str | Path) -> tuple[str, str | None]:
    """The URL to open and, for an http page, the origin it may load from."""
    text = str(target)
    parts = urlsplit(text)
    if parts.scheme in ("http", "https"):
        if parts.hostname not in _LOOPBACK_HOSTS:
            raise ValueError(f"only loopback pages are opened, not {text}")
        return text, f"{parts.scheme}://{parts.netloc}"
    if parts.scheme == "file":
        return text, None
    return Path(text).resolve().as_uri(), None


@contextmanager
def open_browser() -> Iterator[Browser]:
    """Headless Debian Chromium under Playwright, closed on exit; raises BrowserUnavailable if not installed."""
    install = missing()
    if install:
        raise BrowserUnavailable(install)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=list(LAUNCH_FLAGS))
        try:
            yield Browser(chromium)
        finally:
            chromium.close()
