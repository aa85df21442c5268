"""Findings: what `chapbook check` reports, one line each."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# How every skip for want of a tool names the command that installs it (pipeline/check/installs.py).
INSTALL_IT = "install it: "


@dataclass(frozen=True)
class Finding:
    """One line of the check report."""

    # "ok"; "fail" (the edition is wrong); "warning" (the author's own content, e.g. a link to nowhere: the
    # edition keeps it as written, the path names the source line); "skipped" (the check could not decide:
    # for want of a tool, and the detail says "install it: <command>", or "because …" no tool would help).
    status: str
    path: str
    check: str
    detail: str = ""

    @property
    def wants_a_tool(self) -> bool:
        """Whether this check was skipped for want of a tool that installing would give (what --strict counts)."""
        return self.status == "skipped" and INSTALL_IT in self.detail

    def __str__(self) -> str:
        return f"{self.status:<7} {self.path}: {self.check}" + (f": {self.detail}" if self.detail else "")


def as_json(findings: list[Finding]) -> list[dict]:
    """Findings as plain dictionaries for `--json`."""
    return [asdict(finding) for finding in findings]
