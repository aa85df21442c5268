"""The outside checkers stores and browsers trust: DAISY Ace (EPUB accessibility) and the Nu HTML Checker.

Both are Node packages, found where pipeline/check/installs.py says (`make` installs them into a
checkout's tools/node_modules). Each runner returns plain records, or `Skipped` naming the exact
command that installs what is missing: a missing tool is never a pass. Both are slow to start (a JVM,
a browser), so each takes many files in one run.

Public API: `nu_messages(paths, epub=False)` and `ace_violations(books)`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.check.installs import ACE_BATCH, CHROMIUM_INSTALL, JAVA_INSTALL, NODE_INSTALL, node_install, node_tools

CHROMIUM = "/usr/bin/chromium"
# Nu knows HTML, not EPUB's vocabulary: `epub:type` is reported as an attribute "type" not allowed on
# the element. Standard Ebooks' `se build --check` drops those messages; we drop those and only those.
_NOT_ALLOWED_TYPE = re.compile(r"\AAttribute “type” not allowed on element “([^”]+)” at this point\.\Z")
_BARE_TYPE = re.compile(r"(?<![\w:-])type\s*=")
# Elements on which HTML allows its own `type`: there, "type not allowed" can only mean epub:type.
_HTML_TYPE_ELEMENTS = {"a", "button", "embed", "input", "link", "object", "ol", "script", "source", "style"}


@dataclass(frozen=True)
class Skipped:
    """A checker that could not run: which tool is missing and the command that installs it."""

    tool: str
    install: str

    def __str__(self) -> str:
        return f"{self.tool} is not installed; install it: {self.install}"


@dataclass(frozen=True)
class NuMessage:
    """One message of the Nu HTML Checker: its severity ("error", "warning", "info"), file, line and text."""

    severity: str
    path: str
    line: int
    message: str
    extract: str = ""

    def __str__(self) -> str:
        return f"{Path(self.path).name}:{self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True)
class AceViolation:
    """One failed Ace assertion: its impact (minor … critical), rule (axe or Ace id), file and description."""

    impact: str
    rule: str
    file: str
    description: str

    def __str__(self) -> str:
        return f"{self.file}: {self.rule} ({self.impact})"


def _vnu_jar(tools: Path) -> Path:
    return tools / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def nu_messages(paths: Sequence[Path], epub: bool = False, tools: Path | None = None) -> list[NuMessage] | Skipped:
    """Every Nu HTML Checker message on `paths` (HTML, XHTML, CSS files), all checked in one Java run.

    With `epub=True`, the messages about EPUB's own `epub:type` attributes are left out (Nu does not know
    them); nothing else is. Messages come back in Nu's order; a file Nu could not read is an "error".
    `tools` holds the Node checkers' node_modules (default: installs.node_tools()).
    """
    tools = tools or node_tools()
    jar = _vnu_jar(tools)
    if shutil.which("java") is None:
        return Skipped("Java (for the Nu HTML Checker)", JAVA_INSTALL)
    if not jar.is_file():
        return Skipped("the Nu HTML Checker (vnu-jar)", node_install(tools))
    if not paths:
        return []
    # Stylesheets get a run of their own: with --also-check-css, Nu counts XHTML lines one short.
    stylesheets = [path for path in paths if Path(path).suffix.lower() == ".css"]
    markup = [path for path in paths if Path(path).suffix.lower() != ".css"]
    raw = []
    for files, options in ((markup, []), (stylesheets, ["--css"])):
        if files:
            raw += _run_vnu(jar, files, options)
    messages = [_nu_message(entry) for entry in raw]
    return [message for message in messages if not (epub and _about_epub_type(message))]


def _run_vnu(jar: Path, files: Sequence[Path], options: list[str]) -> list[dict]:
    command = ["java", "-jar", str(jar), "--format", "json", "--stdout", "--exit-zero-always", *options,
               *(str(Path(path).resolve()) for path in files)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        return json.loads(result.stdout).get("messages", [])
    except json.JSONDecodeError:
        detail = (result.stderr or result.stdout).strip().splitlines()
        return [{"type": "error", "url": f"file:{Path(files[0]).resolve()}",
                 "message": f"the Nu HTML Checker failed: {detail[-1] if detail else 'no output'}"}]


def _nu_message(raw: dict) -> NuMessage:
    kind = raw.get("type", "error")
    severity = "error" if kind != "info" else ("warning" if raw.get("subType") == "warning" else "info")
    url = raw.get("url", "")
    path = url.removeprefix("file:") if url.startswith("file:") else url
    extract = raw.get("extract", "")
    start, length = raw.get("hiliteStart"), raw.get("hiliteLength")
    highlighted = extract[start:start + length] if start is not None and length is not None else extract
    return NuMessage(severity, path, raw.get("lastLine", 0), raw.get("message", ""), highlighted)


def _about_epub_type(message: NuMessage) -> bool:
    """Whether Nu is complaining about an `epub:type` attribute (and not about an HTML `type` attribute)."""
    match = _NOT_ALLOWED_TYPE.match(message.message)
    tag = message.extract
    if not match or "epub:type=" not in tag:
        return False
    return match.group(1) in _HTML_TYPE_ELEMENTS or not _BARE_TYPE.search(tag.replace("epub:type=", ""))


def nu_problems(messages: list[NuMessage]) -> list[NuMessage]:
    """The errors and warnings among `messages` (info messages are advice, not problems)."""
    return [message for message in messages if message.severity in ("error", "warning")]


def _ace_missing(tools: Path) -> Skipped | None:
    if shutil.which("node") is None:
        return Skipped("Node.js (for Ace by DAISY)", NODE_INSTALL)
    if not Path(os.environ.get("PUPPETEER_EXECUTABLE_PATH", CHROMIUM)).is_file():
        return Skipped("Chromium (for Ace by DAISY)", CHROMIUM_INSTALL)
    if not (tools / "node_modules" / "@daisy" / "ace-core").is_dir():
        return Skipped("Ace by DAISY (@daisy/ace-cli)", node_install(tools))
    return None


def ace_violations(books: Sequence[Path], tools: Path | None = None) -> dict[Path, list[AceViolation]] | Skipped:
    """Ace's failed assertions for each EPUB in `books`, all checked in one Node process and one browser.

    A book Ace could not check at all gets one "critical" violation named `ace-error` with Ace's message.
    `tools` holds the Node checkers' node_modules (default: installs.node_tools()).
    """
    tools = tools or node_tools()
    missing = _ace_missing(tools)
    if missing:
        return missing
    if not books:
        return {}
    # ace-batch.js is chapbook's own (package data); Node finds Ace's packages through NODE_PATH.
    environment = dict(os.environ, PUPPETEER_EXECUTABLE_PATH=os.environ.get("PUPPETEER_EXECUTABLE_PATH", CHROMIUM),
                       ACE_TIMEOUT_INITIAL="60000",  # a busy machine can take more than Ace's 5 s to start a browser
                       NODE_PATH=str((tools / "node_modules").resolve()))
    with tempfile.TemporaryDirectory(prefix="chapbook-ace-") as folder:
        command = ["node", str(ACE_BATCH), folder, *(str(Path(book).resolve()) for book in books)]
        result = subprocess.run(command, capture_output=True, text=True, check=False, env=environment, cwd=folder)
        found: dict[Path, list[AceViolation]] = {}
        for index, book in enumerate(books):
            report = Path(folder) / str(index) / "report.json"
            if report.is_file():
                found[book] = ace_report_violations(json.loads(report.read_text(encoding="utf-8")))
            else:
                reason = " ".join(line for line in result.stderr.splitlines() if str(book) in line or "Error" in line)
                found[book] = [AceViolation("critical", "ace-error", str(book), reason or "Ace wrote no report")]
    return found


def ace_report_violations(report: dict) -> list[AceViolation]:
    """The failed assertions of one Ace `report.json`, each with its impact, rule and file."""
    violations = []
    for subject in report.get("assertions", []):
        file = subject.get("earl:testSubject", {}).get("url", "")
        for assertion in subject.get("assertions", []):
            if assertion.get("earl:result", {}).get("earl:outcome") != "fail":
                continue
            test = assertion.get("earl:test", {})
            violations.append(AceViolation(test.get("earl:impact", ""), test.get("dct:title", ""), file,
                                           assertion["earl:result"].get("dct:description", "")))
    return violations
