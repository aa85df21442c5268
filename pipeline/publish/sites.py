"""Which built folder `chapbook publish` sends, and where: the capsule (OUTDIR/gemini) or the web site (OUTDIR/web).

The one place that knows each site's folder, the file that shows it was built, the setting naming its
destination and the protocols that can carry it. Both go through the same `publish(folder, destination)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.editions import edition
from pipeline.errors import ChapbookError
from pipeline.publish.destination import Destination, parse_destination


@dataclass(frozen=True)
class Site:
    """A published site: its name (recorded in the destination's manifest) and how to find and send it."""

    name: str  # the edition that builds it (pipeline/editions.py), also recorded in the destination's manifest
    home: str  # the page every build of it writes
    setting: str  # the project setting naming its destination
    examples: str  # destinations written as a user would
    refused: dict[str, str] = field(default_factory=dict)  # scheme -> why it cannot carry this site
    pings_antenna: bool = False

    @property
    def label(self) -> str:
        """How messages name it ("web site"): its edition's label."""
        return edition(self.name).label

    def built_folder(self, outdir: Path) -> Path:
        """OUTDIR's folder for this site, or one line saying to build it first."""
        folder = edition(self.name).path(outdir)
        if not (folder / self.home).is_file():
            raise ChapbookError(folder, f"no {self.label} here", f"run chapbook build -f {self.name} first")
        return folder

    def destination(self, text: str, where: str = "") -> Destination:
        """Where to send it (from --to, else the setting); a protocol that cannot carry it is one line. `where`
        says where `text` came from (`--to`, `publish_to in /path/chapbook.toml`), named in every error."""
        destination = parse_destination(text, where or self.setting, self.examples)
        if destination.scheme in self.refused:
            raise ChapbookError(str(destination), f"{destination.setting}: the {self.label} cannot be published "
                                f"over {destination.scheme}://, {self.refused[destination.scheme]}",
                                f"publish it by sftp:// or to a folder (--to or {self.setting}: {self.examples})")
        return destination


SITES = {
    "gemini": Site("gemini", "index.gmi", "publish_to",
                   "sftp://me@example.org/srv/gemini, titan://example.org/, file:///srv/gemini", pings_antenna=True),
    "web": Site("web", "index.html", "publish_web_to",
                "sftp://me@example.org/srv/www, file:///srv/www",
                {"titan": "a Gemini protocol that web servers do not take"}),
}


def site_label(name: str) -> str:
    """How messages name a site recorded in a manifest (an unknown name as it is)."""
    return SITES[name].label if name in SITES else f"site '{name}'"
