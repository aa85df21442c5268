"""Where a path really is: the one place chapbook decides whether a file lies inside a folder."""

from __future__ import annotations

from pathlib import Path


def is_inside(path: Path, folder: Path) -> bool:
    """Whether `path`, with every symbolic link followed, is `folder` or lies under it."""
    return Path(path).resolve().is_relative_to(Path(folder).resolve())


def plain_file_inside(folder: Path, relative: str) -> Path | None:
    """`folder / relative` if it is a regular file inside `folder` reached through no symbolic link, else None."""
    parts = Path(relative).parts
    if not parts or Path(relative).is_absolute() or ".." in parts:
        return None
    path = folder
    for part in parts:
        path = path / part
        if path.is_symlink():
            return None
    return path if path.is_file() else None
