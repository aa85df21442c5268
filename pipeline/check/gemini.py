"""Judging the Gemini capsule: an independent gemtext parser, links that resolve, and the voice."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.check import readback
from pipeline.check.findings import Finding
from pipeline.check.installs import python_install
from pipeline.check.voice import expected_list_items, link_targets, source_location, voice_findings
from pipeline.document import Document
from pipeline.files.paths import is_inside


def _parse(path: Path):
    import trimgmi

    document = trimgmi.Document()
    for line in path.read_text(encoding="utf-8").split("\n"):
        document.append(line)
    return list(document.emit_line_objects(auto_tidy=False))


def _broken_links(page: Path, capsule: Path) -> list[str]:
    import trimgmi

    broken = []
    for line in _parse(page):
        if line.type != trimgmi.LineType.LINK:
            continue
        target = urlsplit(line.extra)
        if target.scheme or target.netloc:
            continue
        resolved = (page.parent / unquote(target.path)).resolve()
        if not is_inside(resolved, capsule) or not resolved.exists():
            broken.append(line.extra)
    return broken


def page_for(document: Document, capsule: Path) -> Path | None:
    """The gemlog page whose `# title` line is the document's title."""
    for page in sorted((capsule / "gemlog").glob("*.gmi")):
        first = page.read_text(encoding="utf-8").split("\n", 1)[0]
        if first == f"# {document.meta.title}" and page.name != "index.gmi":
            return page
    return None


def check_capsule(documents: list[Document], capsule: Path) -> list[Finding]:
    """Findings for every page of the capsule: parser, links, line types, voice."""
    if not capsule.is_dir():
        return []
    try:
        import trimgmi  # noqa: F401
    except ImportError:
        return [Finding("skipped", str(capsule), "gemtext parser", f"install it: {python_install('trimgmi')}")]
    findings = []
    written = {url: document for document in documents for url in link_targets(document.blocks)}
    for page in sorted(capsule.rglob("*.gmi")):
        broken = _broken_links(page, capsule)
        # A link the author wrote is kept as written, wherever it points: the author's to mend, not a fault.
        own = [target for target in broken if target not in written]
        findings.append(Finding("fail" if own else "ok", str(page), "relative links resolve inside the capsule",
                                ", ".join(own[:5])))
        findings += [Finding("warning", source_location(written[target], target), "link points nowhere in the capsule",
                             f"{target} (kept as written in {page.name})") for target in broken if target in written]
    for document in documents:
        page = page_for(document, capsule)
        if page is None:
            findings.append(Finding("fail", str(capsule), "a page per source", f"none for {document.source}"))
            continue
        findings += gemtext_findings(document, page)
    return findings


def gemtext_findings(document: Document, page: Path) -> list[Finding]:
    """Line types as intended, then the voice check on the page."""
    import trimgmi

    label = str(page)
    raw = page.read_bytes()
    findings = [Finding("fail" if b"\r" in raw else "ok", label, "UTF-8 with LF line endings")]
    reading = readback.read_gemtext(raw.decode("utf-8"))
    lines = _parse(page)
    titles = [line.text for line in lines if line.type == trimgmi.LineType.HEADING1]
    findings.append(Finding("ok" if titles == [document.meta.title] else "fail", label,
                            "the title is the only # heading (sections ##, subsections ###)",
                            f"{len(titles)} # headings" if titles != [document.meta.title] else ""))
    findings.append(_edition_links_finding(lines, label))
    items = [line for line in lines if line.type == trimgmi.LineType.LIST_ITEM]
    expected = len(expected_list_items(document.blocks, tables=reading.lists_in_tables))
    findings.append(Finding("ok" if len(items) == expected else "fail", label, "list lines only for list items",
                            f"{len(items)} list lines for {expected} list items"))
    return findings + voice_findings(document, reading, label)


def _edition_links_finding(lines: list, label: str) -> Finding:
    """The page links each edition the capsule offers beside it (whether they resolve is checked above)."""
    import trimgmi

    from pipeline.editions import edition

    targets = [unquote(urlsplit(line.extra).path) for line in lines
               if line.type == trimgmi.LineType.LINK and not urlsplit(line.extra).scheme]
    wanted = {name: edition(name).output for name in edition("gemini").uses}
    missing = [name for name, suffix in wanted.items() if not any(target.endswith(suffix) for target in targets)]
    return Finding("fail" if missing else "ok", label, "links to the other editions",
                   f"none to the {', '.join(missing)}" if missing else ", ".join(wanted))
