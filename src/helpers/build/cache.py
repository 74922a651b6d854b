"""What a build compares to decide what to run again: digests of the files and folders it
read (the digests of values, frames and rows are ``helpers.core.digests``')."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers.core.digests import digest_of, file_digest

# Build machinery that notebooks never import: editing it re-renders, never re-executes.
BUILD_MODULES = ("build", "site", "cli")  # how pages are run and rendered: not what they say


def watched_file(key: str, root: Path) -> Path:
    """The file a build read, named by ``core.paths.project_relative`` (so a project copied
    or moved with its reports is checked against its own files), for the project at ``root``."""
    path = Path(key)
    return path if path.is_absolute() else Path(root) / path


def inputs_key_of(watched: dict[str, str | None], root: Path, *code: Any) -> str:
    """One digest of every file a build read, the params files there are and the code."""
    params_files = sorted(p.name for p in (root / "params").glob("*.yaml"))
    return digest_of(sorted(watched.items()), params_files, code)


def render_digests(helpers_dir: Path, root: Path) -> tuple[str, str]:
    """(what every page's look depends on, that and the SOP chapters' text)."""
    render = digest_of(
        tree_digest(helpers_dir / "site", "*"),
        tree_digest(root / "playbook", "*", exclude=("*.md",)),
    )
    return render, digest_of(render, tree_digest(root / "playbook", "*.md"))


def tree_digest(folder: Path, pattern: str, exclude: tuple[str, ...] = ()) -> str | None:
    """Digest of the files under ``folder`` matching ``pattern``, by relative path and bytes."""
    if not folder.is_dir():
        return None
    parts = []
    for path in sorted(folder.rglob(pattern)):
        relative = path.relative_to(folder)
        if not path.is_file() or "__pycache__" in relative.parts:
            continue
        if any(relative.match(x) or relative.parts[0] == x for x in exclude):
            continue
        parts.append((relative.as_posix(), file_digest(path)))
    return digest_of(parts)
