"""The JSON files notebooks hand each other: where they live and how they are written.

Layout inside an artifacts folder::

    calibration.json        written by notebooks/calibration.ipynb
    cases/<id>.json         written by notebooks/business_case.ipynb, one per initiative
    roadmap.json            written by notebooks/roadmap.ipynb

Writes are atomic (temporary file then rename) so a reader never sees half a file.

Initiative ids become file names and links (``cases/<id>.json``,
``<Q>/cases/<id>.html``, ``.ipynb``, ``.log``), so they are restricted to a
safe set rather than encoded: ASCII letters, digits, ``-``, ``_`` and ``.``,
starting with a letter or digit, at most 64 characters (``ID_RULE``). Such an
id needs no URL encoding and cannot name another folder; ``#``, ``?``, ``%``,
``/``, spaces and the like are refused when the register is validated, and
every per-initiative path goes through ``safe_id`` and ``contained`` again, so
no id can write outside its folder whatever reaches them.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

CALIBRATION = "calibration.json"
ROADMAP = "roadmap.json"
CASES = "cases"
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
    from helpers.errors import InputError, Problem, shown

    problem = id_problem(str(initiative_id))
    if problem:
        raise InputError(Problem("initiative id", f"{shown(initiative_id)}: {problem}"))
    return initiative_id


def contained(folder: str | Path, relative: str | Path) -> Path:
    """``folder / relative``, refused (InputError) unless it stays inside ``folder``."""
    from helpers.errors import InputError, Problem

    base = Path(folder).resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or path == base:
        raise InputError(
            Problem(str(relative), f"would be written outside {base}: ids name files, {ID_RULE}")
        )
    return Path(folder) / relative


def resolve_artifacts_dir(root: str | Path, quarter: str, artifacts_dir: str | Path = "") -> Path:
    """The artifacts folder: ``artifacts_dir`` if given, else a scratch folder for hand runs.

    Hand runs (JupyterLab, nbval) write to ``<root>/reports/_scratch/<quarter>``;
    ``playbook run`` passes its own build folder.
    """
    if artifacts_dir:
        path = Path(artifacts_dir)
    else:
        path = Path(root) / "reports" / "_scratch" / quarter
    path.mkdir(parents=True, exist_ok=True)
    return path


def case_path(artifacts_dir: str | Path, initiative_id: str) -> Path:
    """Where the case summary of ``initiative_id`` lives (always inside ``cases/``)."""
    return contained(Path(artifacts_dir) / CASES, f"{safe_id(initiative_id)}.json")


def write_json(path: str | Path, document: Any) -> Path:
    """Write ``document`` as JSON atomically (NaN and inf become null)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(to_jsonable(document), indent=2, allow_nan=False)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; artifacts are published for all
    os.replace(tmp, path)
    return path


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


def load_calibration(artifacts_dir: str | Path, inputs: Any) -> dict | None:
    """The quarter's calibration: ``calibration.json`` if written, else computed now.

    ``inputs`` is a QuarterInputs. Returns None when params turn calibration off.
    """
    if not inputs.params.calibration.enabled:
        return None
    path = Path(artifacts_dir) / CALIBRATION
    if path.exists():
        return read_json(path)
    from helpers.calibration import calibrate_quarter

    return calibrate_quarter(inputs)
