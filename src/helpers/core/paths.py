"""How the playbook names a file of the project: relative to the project's folder."""

from __future__ import annotations

from pathlib import Path


def project_relative(path: Path | str, root: Path | str) -> str:
    """``path`` relative to the project folder ``root`` (POSIX separators), or its whole
    resolved path when outside it: the same name wherever the project is copied or moved."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(resolved)
