"""Judging the plain-text edition: UTF-8, lines within the wrap width, the voice."""

from __future__ import annotations

from pathlib import Path

from pipeline.ast import map_blocks
from pipeline.check import readback
from pipeline.check.findings import Finding
from pipeline.check.voice import voice_findings
from pipeline.document import Document
from pipeline.words.measure import display_width


def check_text(document: Document, path: Path) -> list[Finding]:
    """Plain text: UTF-8, lines within the wrap width (URLs, unbreakable words and code excepted), the voice."""
    label = str(path)
    try:
        reading = readback.read_text_edition(path)
    except UnicodeDecodeError as error:
        return [Finding("fail", label, "UTF-8", str(error))]
    code = _code_lines(document.blocks)  # set as written, never wrapped (a note's marker may lead)
    wide = [n for n, line in enumerate(reading.text.splitlines(), 1)
            if display_width(line) > document.settings.wrap and " " in line.strip() and "://" not in line
            and not any(line.rstrip().endswith(written) for written in code if written)]
    findings = [Finding("fail" if wide else "ok", label, f"lines within {document.settings.wrap} columns",
                        f"line {wide[0]} is wider" if wide else "")]
    return findings + voice_findings(document, reading, label)


def _code_lines(blocks: list) -> set[str]:
    """Every line of every code block, in any container (notes too), stripped."""
    lines: set[str] = set()

    def collect(block: dict) -> dict:
        if block.get("t") == "CodeBlock":
            lines.update(line.strip() for line in block["c"][1].split("\n"))
        return block
    map_blocks(blocks, collect)
    return lines
