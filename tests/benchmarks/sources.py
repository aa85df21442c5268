"""The benchmark's inputs: the essay, the essay's body 20 times over, and a gemlog of 30 posts cut from it."""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ESSAY = ROOT / "source" / "essay.md"
POSTS = 30
_SECTION = re.compile(r"#{1,2} ")  # a section or subsection heading starts a post
_FIRST_DAY = date(2024, 6, 1)


def _front_matter(text: str) -> tuple[str, str]:
    """The essay's YAML block (without its fences) and its body."""
    head, body = text.split("\n---\n", 1)
    return head.removeprefix("---\n"), body


def make_essays(folder: Path) -> dict[str, Path]:
    """The essay as it is, and its body repeated 20 times (a book-length source), each in a folder of its own."""
    head, body = _front_matter(ESSAY.read_text(encoding="utf-8"))
    made = {}
    for name, copies in (("essay", 1), ("20x", 20)):
        path = folder / name / "essay.md"
        path.parent.mkdir(parents=True)
        path.write_text(f"---\n{head}\n---\n" + ("\n\n" + body) * copies, encoding="utf-8")
        made[name] = path
    return made


def _sections(body: str) -> list[list[str]]:
    """The body cut before each section and subsection heading; a heading with no text of its own joins the next."""
    chunks: list[list[str]] = [[]]
    for line in body.splitlines():
        if _SECTION.match(line):
            chunks.append([])
        chunks[-1].append(line)
    merged: list[list[str]] = []
    pending: list[str] = []
    for chunk in chunks:
        if not "".join(chunk[1:]).strip():
            pending += chunk + [""]
            continue
        merged.append(pending + chunk)
        pending = []
    if pending:
        merged[-1] += pending
    return merged


def _size(chunk: list[str]) -> int:
    return sum(len(line) + 1 for line in chunk)


def _yaml_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def make_posts(folder: Path, count: int = POSTS) -> list[Path]:
    """`count` short posts cut from the essay at its sections, each with its own title and date.

    The shortest post is joined to the one before it until `count` remain. A post's title is its first
    heading (the text before the first heading keeps the essay's title); that heading leaves the body.
    """
    head, body = _front_matter(ESSAY.read_text(encoding="utf-8"))
    title = re.search(r"^title: (.*)$", head, re.MULTILINE).group(1)
    chunks = _sections(body)
    if len(chunks) < count:
        raise SystemExit(f"the essay has {len(chunks)} sections, fewer than the {count} posts asked for")
    while len(chunks) > count:
        shortest = min(range(1, len(chunks)), key=lambda index: _size(chunks[index]))
        chunks[shortest - 1] += [""] + chunks.pop(shortest)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, chunk in enumerate(chunks):
        first = chunk[0] if _SECTION.match(chunk[0]) else None
        post_title = first.split(" ", 1)[1].strip() if first else title
        text = "\n".join(chunk[1:] if first else chunk).strip("\n")
        day = _FIRST_DAY + timedelta(days=number)
        path = folder / f"post-{number + 1:02d}.md"
        path.write_text(f"---\ntitle: {_yaml_string(post_title)}\nlang: en\ndate: {day.isoformat()}\n---\n\n"
                        f"{text}\n", encoding="utf-8")
        paths.append(path)
    return paths


def make_gemlog(folder: Path, count: int) -> list[Path]:
    """A gemlog of `count` posts (hundreds, a thousand): the essay's posts over and over, each with a day of its own.

    The essay's sections repeated, as a gemlog that grows by a post a week for years would look to the
    build: many short dated posts of the author's own voice. Titles carry their round, so no two are alike.
    """
    originals = make_posts(folder / ".originals", POSTS)
    texts = [path.read_text(encoding="utf-8") for path in originals]
    shutil.rmtree(folder / ".originals")
    paths = []
    for number in range(count):
        text = texts[number % len(texts)]
        round_number = number // len(texts) + 1
        day = _FIRST_DAY + timedelta(days=number)
        text = re.sub(r"^(title: '.*)'$", rf"\1 ({round_number})'", text, count=1, flags=re.MULTILINE)
        text = re.sub(r"^date: .*$", f"date: {day.isoformat()}", text, count=1, flags=re.MULTILINE)
        path = folder / f"post-{number + 1:04d}.md"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
