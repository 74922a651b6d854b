"""The JSON files notebooks hand each other: where they live and how they are written.

Layout inside an artifacts folder::

    calibration.json        written by notebooks/calibration.ipynb
    cases/<id>.json         written by notebooks/business_case.ipynb, one per initiative
    roadmap.json            written by notebooks/roadmap.ipynb

Writes are atomic (temporary file then rename) so a reader never sees half a file.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

CALIBRATION = "calibration.json"
ROADMAP = "roadmap.json"
CASES = "cases"


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
    """Where the case summary of ``initiative_id`` lives."""
    return Path(artifacts_dir) / CASES / f"{initiative_id}.json"


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
