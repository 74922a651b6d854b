"""Digests of what a result is computed from: equal digests, equal inputs.

The build compares them with its previous build's to decide what to run again
(``helpers.build.cache``); the model keys its memo of computed cases on them
(``helpers.model.quarter_model``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def digest_of(*parts: Any) -> str:
    """One short digest of JSON-able ``parts`` (anything else by its ``str``)."""
    text = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def frame_digest(frame: Any) -> str:
    """The digest of a data frame's rows, in order."""
    return digest_of(frame.to_dict(orient="records"))


def row_digest(row: dict[str, Any]) -> str:
    """The digest of one register row, without its spreadsheet ``row`` number (rows move
    when a row is added above them; what they say does not)."""
    return digest_of({k: v for k, v in row.items() if k != "row"})


def file_digest(path: Path | str) -> str | None:
    """The digest of a file's bytes (None when there is no such file)."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:20]
    except FileNotFoundError:
        return None
