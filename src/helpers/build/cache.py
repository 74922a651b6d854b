"""What a build compares to decide what to run again: digests of files, folders, frames
and rows, and the register indexed once per build."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Build machinery that notebooks never import: editing it re-renders, never re-executes.
BUILD_MODULES = ("build", "site", "cli")  # how pages are run and rendered: not what they say


@dataclass
class RegisterIndex:
    """The initiatives register as plain records, indexed for the per-case specs.

    ``records``: one dict per row, in register order, the values as
    ``inputs.initiative_row`` gives them (Python scalars); ``position``: id ->
    index in ``records``; ``variants``: id -> indexes of its lean variants. Made
    in one pass, so planning n cases costs O(n), not n scans of the register.
    """

    records: list[dict[str, Any]]
    position: dict[str, int]
    variants: dict[str, list[int]]

    @classmethod
    def of(cls, frame: Any) -> RegisterIndex:
        from helpers.load.inputs import python_value

        columns = list(frame.columns)
        records = [
            {c: python_value(v) for c, v in zip(columns, values, strict=True)}
            for values in frame.itertuples(index=False, name=None)
        ]
        position: dict[str, int] = {}
        variants: dict[str, list[int]] = {}
        for i, record in enumerate(records):
            position.setdefault(record["id"], i)
            if record.get("variant_of"):
                variants.setdefault(record["variant_of"], []).append(i)
        for record in records:
            record.pop("row", None)  # the spreadsheet row moves when rows are added above
        return cls(records, position, variants)


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


def digest_of(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def file_digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:20]
    except FileNotFoundError:
        return None


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


def frame_digest(frame: Any) -> str:
    records = frame.to_dict(orient="records")
    return digest_of(records)


def row_digest(row: dict[str, Any]) -> str:
    return digest_of({k: v for k, v in row.items() if k != "row"})
