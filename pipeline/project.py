"""`chapbook new FOLDER`: a project to start from, laid out as `chapbook build` expects it.

source/first-post.md shows the source's conventions (docs/settings.md) by using them: the metadata
block, a disclaimer, a nested list, an asterisk note and its marker. chapbook.toml lists every setting
with its default, commented out, and its meaning, made from the declarations in pipeline/settings.py.
"""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path

from pipeline.errors import ChapbookError
from pipeline.files.atomic import atomic_write
from pipeline.settings import PROJECT_FILE, SETTINGS

FIRST_POST = """---
title: my first post
lang: en
date: {today}
---

[disclaimer: chapbook new wrote this post to show how a source is written; rewrite it or delete it]

this is where the writing goes. every letter keeps the case it was typed in, in every edition: a
lowercase title stays lowercase, and so does every label chapbook adds.

# how a post is written

a list keeps its depth in every edition. nest it with 4 spaces per level:

- a first thought
    - a thought under it
        - and one under that
- a second thought

an asterisk stays an asterisk, never emphasis: write it with a backslash, as in \\*this word, and
start the note it points at with the same asterisk and a space.

\\* the note, kept with its asterisk in every edition

# what next

`chapbook build` makes every edition into build/, and `chapbook check` reads them back.
"""

GITIGNORE = "# what chapbook build writes\nbuild/\n"


def project_file() -> str:
    """chapbook.toml's text: every setting, its meaning and allowed values, and its default commented out."""
    lines = [f"# {PROJECT_FILE}: this project's settings, each with its default, commented out: remove the #",
             "# before a setting to change it. a source's metadata can change the \"project or source\" ones for",
             "# itself, and a flag of chapbook build wins over both.", ""]
    for setting in SETTINGS:
        scope = "project or source" if setting.scope == "document" else "project only"
        flag = f"; {setting.option} on the command line" if setting.flag else ""
        lines += [f"# {line}" for line in textwrap.wrap(setting.help, 96)]
        lines += [f"# {setting.describe()}; {scope}{flag}", f"# {setting.name} = {json.dumps(setting.default)}", ""]
    return "\n".join(lines)


def new_project(folder: Path, today: date | None = None) -> list[Path]:
    """Write a new project into `folder` (made if missing; refused if not empty); returns the files written."""
    if folder.exists() and not folder.is_dir():
        raise ChapbookError(folder, "this is a file, not a folder", "name a new folder for the project")
    if folder.is_dir() and any(folder.iterdir()):
        raise ChapbookError(folder, "this folder is not empty; chapbook new starts a project only in a new or "
                            "empty folder", "name a new folder, or run chapbook build in this one")
    files = {folder / "source" / "first-post.md": FIRST_POST.format(today=(today or date.today()).isoformat()),
             folder / PROJECT_FILE: project_file(),
             folder / ".gitignore": GITIGNORE}
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text.encode("utf-8"))
    except OSError as error:
        raise ChapbookError(folder, f"cannot write the project ({error.strerror})",
                            "choose another folder or fix its permissions") from None
    return list(files)
