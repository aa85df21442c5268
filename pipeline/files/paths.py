"""Where a path really is: the one place chapbook decides whether a file lies inside a folder; its cache folder."""

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


def cache_folder(environment: dict[str, str]) -> Path:
    """Chapbook's cache folder (the build cache, the PDF engine's generated data); never inside an output folder."""
    if environment.get("CHAPBOOK_CACHE_DIR"):
        return Path(environment["CHAPBOOK_CACHE_DIR"])
    base = environment.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "chapbook"
