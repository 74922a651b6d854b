"""Every path under ``reports/``, and how files are written there.

``reports/`` is output only: nothing reads it back to decide anything. Layout::

    reports/<Q>                     a link to the published build of quarter Q
    reports/.builds/<Q>-<stamp>/    one folder per build (BUILDS)
        build/                      manifest, executed notebooks, inputs, artifacts (BUILD)
        build/artifacts/            the quarter model playbook run wrote (write_documents):
            calibration.json, backtest.json, cases/<id>.json, roadmap.json,
            review.json, quarter.json, initiatives.csv

Writes are atomic (temporary file then rename) so a reader never sees half a file.

Initiative ids become file names and links (``cases/<id>.json``,
``<Q>/cases/<id>.html``, ``.ipynb``, ``.log``), so they are restricted to a
safe set rather than encoded: ASCII letters, digits, ``-``, ``_`` and ``.``,
starting with a letter or digit, at most 64 characters (``ID_RULE``). Such an
id needs no URL encoding and cannot name another folder; ``#``, ``?``, ``%``,
``/``, spaces and the like are refused when the register is validated, and
every per-initiative path goes through ``safe_id`` and ``contained`` again, so
no id can write outside its folder whatever reaches them.
A built quarter publishes them under ``reports/<Q>/build/artifacts/``
(:func:`published_artifacts_dir`); the site reads them there to draw its pages,
the notebooks of a build read them from their build folder
(``helpers.report.model``).

Every file the playbook writes (artifacts, executed notebooks, pages) goes
through :func:`write_text_atomic`: a temporary file in the same folder, then
one rename, so a reader never sees half a file and a failed write leaves the
old file whole. Files are made readable by all (0o644): the site is published.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from helpers.core.errors import InputError, Problem, shown

CALIBRATION = "calibration.json"
ROADMAP = "roadmap.json"
REVIEW = "review.json"  # the quarter review (notebooks/review.ipynb), from the second quarter on
CASES = "cases"
BUILDS = ".builds"  # in reports/: one folder per build; reports/<Q> links to the published one
BUILD = "build"  # inside a quarter folder: manifest, executed notebooks, artifacts, inputs
SNAPSHOT = "inputs.pickle"  # the checked inputs the notebooks load, deleted before publishing
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ID_RULE = (
    "use letters A-Z a-z, digits, '-', '_' and '.' only, starting with a letter or digit, "
    "at most 64 characters (e.g. CRM-02)"
)


def id_problem(initiative_id: str) -> str | None:
    """Why ``initiative_id`` cannot name files and links, or None when it can."""
    if ID_PATTERN.match(initiative_id):
        return None
    bad = sorted({c for c in initiative_id if not re.match(r"[A-Za-z0-9._-]", c)})
    if len(initiative_id) > 64:
        why = f"is {len(initiative_id)} characters long"
    elif bad:
        why = "contains " + " ".join(repr(c) for c in bad[:10])
    else:
        why = "starts with '.', '-' or '_'"
    return f"id {why}; ids name files and links: {ID_RULE}"


def safe_id(initiative_id: str) -> str:
    """``initiative_id`` unchanged if it is safe as a file name and link; else InputError."""

    problem = id_problem(str(initiative_id))
    if problem:
        raise InputError(Problem("initiative id", f"{shown(initiative_id)}: {problem}"))
    return initiative_id


def contained(folder: str | Path, relative: str | Path) -> Path:
    """``folder / relative``, refused (InputError) unless it stays inside ``folder``."""

    base = Path(folder).resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or path == base:
        raise InputError(
            Problem(str(relative), f"would be written outside {base}: ids name files, {ID_RULE}")
        )
    return Path(folder) / relative


FILE_MODE = 0o644  # every file written: owner read-write, everyone read (a web server serves it)


def case_path(artifacts_dir: str | Path, initiative_id: str) -> Path:
    """Where the case summary of ``initiative_id`` lives (always inside ``cases/``)."""
    return contained(Path(artifacts_dir) / CASES, f"{safe_id(initiative_id)}.json")


def published_artifacts_dir(reports_dir: str | Path, quarter: str) -> Path:
    """A built quarter's artifacts as published: ``<reports_dir>/<quarter>/build/artifacts``."""
    return Path(reports_dir) / quarter / "build" / "artifacts"


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically, readable by all (:data:`FILE_MODE`).

    The text goes to a temporary file in the same folder, which then replaces
    ``path`` in one ``os.replace``: a reader sees the old file or the new one,
    never half of one, and a write that fails leaves the old file and no
    temporary file behind. Missing folders are created.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, FILE_MODE)  # mkstemp makes it owner-only
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: str | Path, document: Any) -> Path:
    """Write ``document`` as JSON atomically (NaN and inf become null)."""
    text = json.dumps(to_jsonable(document), indent=2, allow_nan=False)
    return write_text_atomic(path, text)


def read_json(path: str | Path) -> Any:
    """Read a JSON artifact."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def to_jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers to JSON-safe Python values."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        return to_jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return to_jsonable(value.item())
    return value


def write_documents(folder: str | Path, documents: dict[str, Any]) -> list[str]:
    """Write each document under ``folder`` by its name: ``.json`` as JSON, ``.csv`` (a list
    of row dicts) as a table; every path stays inside ``folder``. Returns the names."""
    for name, document in documents.items():
        path = contained(folder, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".csv"):
            write_text_atomic(path, _csv_text(document))
        else:
            write_json(path, document)
    return list(documents)


def read_documents(folder: str | Path, names: list[str]) -> dict[str, Any]:
    """The JSON documents among ``names`` that exist under ``folder``, by name."""
    found = {}
    for name in names:
        path = contained(folder, name)
        if path.is_file():
            found[name] = read_json(path)
    return found


def _csv_text(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    columns = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows([{k: _cell(v) for k, v in row.items()} for row in rows])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    value = to_jsonable(value)
    return "" if value is None else value
