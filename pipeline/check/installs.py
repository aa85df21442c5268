"""What each outside checker needs, where chapbook looks for it, and the exact command that installs it.

`chapbook check` runs every check it can and names each one it skipped with one of these commands,
wherever chapbook is installed (a `make` checkout, `pipx`, `uv tool`, a plain venv):
- system tools (Java, Node.js, Chromium, poppler) from the system's packages, by their Debian names;
- the Python checkers (pyproject.toml's `check` extra) into the environment chapbook runs in;
- the Node checkers (Ace by DAISY, the Nu HTML Checker, axe-core, pinned in tools/package.json, which
  the package carries as pipeline/check/node-checkers.json) into a folder of their own: the one
  `$CHAPBOOK_NODE_TOOLS` names, else a checkout's tools/ (where `make` installs them), else chapbook's
  data folder (`$XDG_DATA_HOME/chapbook/node`, by default `~/.local/share/chapbook/node`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import sys
from importlib.resources import files
from pathlib import Path

JAVA_INSTALL = "sudo apt-get install -y default-jre-headless"
NODE_INSTALL = "sudo apt-get install -y nodejs npm"
CHROMIUM_INSTALL = "sudo apt-get install -y chromium"
POPPLER_INSTALL = "sudo apt-get install -y poppler-utils"
# The folder `make` installs the Node checkers into, when chapbook runs from its repository.
CHECKOUT_TOOLS = Path(__file__).resolve().parents[2] / "tools"
ACE_BATCH = Path(str(files("pipeline.check") / "ace-batch.js"))
NODE_PINS = files("pipeline.check") / "node-checkers.json"


def python_install(package: str) -> str:
    """The command that installs the Python package `package` into the environment chapbook runs in."""
    python = shlex.quote(sys.executable)
    if importlib.util.find_spec("pip") is None:  # `uv tool` environments have no pip of their own
        return f"uv pip install --python {python} {package}"
    return f"{python} -m pip install {package}"


def node_tools(environment: dict[str, str] | None = None) -> Path:
    """The folder whose node_modules holds the Node checkers (see the module's docstring)."""
    environment = os.environ if environment is None else environment
    if environment.get("CHAPBOOK_NODE_TOOLS"):
        return Path(environment["CHAPBOOK_NODE_TOOLS"]).expanduser()
    if (CHECKOUT_TOOLS / "package.json").is_file():
        return CHECKOUT_TOOLS
    data = environment.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "chapbook" / "node"


def node_install(folder: Path) -> str:
    """The command that installs the pinned Node checkers into `folder` (Debian's Chromium runs Ace)."""
    pins = json.loads(NODE_PINS.read_text(encoding="utf-8"))["dependencies"]
    packages = " ".join(f"{name}@{version}" for name, version in pins.items())
    return (f"PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix {shlex.quote(str(folder))} --no-audit --no-fund "
            f"{packages}")
