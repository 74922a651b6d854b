"""Draft and approved quarters, and change control after approval.

``playbook approve Q --by NAME`` records in ``params/<Q>.yaml`` that the
quarter is approved, by whom and when, and a **fingerprint** of what was
approved, so the approval travels with the repository rather than with a
build folder. The fingerprint is one sha256 per part:

- ``params``: the decision-relevant keys set away from their defaults
  (everything but the title, the register locations, where notebooks run,
  and the approval keys themselves);
- ``initiatives``: the register's rows as validated (in id order);
- ``actuals``: the rows completed on or before the approval date (a shared
  register grows with later projects; those did not inform this decision);
- ``outcomes``: the rows, when params name an outcomes register.

Once approved, a quarter whose inputs no longer match the fingerprint must
say why in its ``changes:`` log (date, what, why, approved_by); without an
entry dated on or after the approval, validation fails (exit 2) naming the
parts that differ and how to record the change.

The fingerprint proves *that* the inputs changed; to show *what the change
did*, approval also keeps the approved inputs themselves in
``params/approved/<Q>/`` (:func:`write_snapshot`: the params file and the
register files, and the benefit templates, laid out as a small project).
"Changes since approval" compares the roadmap selected from that snapshot,
with the same method as the roadmap notebook (:func:`approved_selection`),
with the roadmap selected from today's inputs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.core.errors import Problem
from helpers.load.params import params_path
from helpers.load.sources import read_register

APPROVAL_KEYS = ("status", "approved_on", "approved_by", "fingerprint")
REGISTER_KEYS = ("initiatives", "actuals", "benefits", "outcomes")
APPROVED_FOLDER = Path("params") / "approved"  # the approved inputs, one project per quarter
NOT_DECISIONS = {
    "quarter",
    "title",
    "initiatives",
    "actuals",
    "benefits",
    "outcomes",
    "executor",
    "scheduler",
    "status",
    "approved_on",
    "approved_by",
    "fingerprint",
    "changes",
}


def _sha(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _blank(value: Any) -> bool:
    if isinstance(value, (list, tuple, dict)):
        return not value
    if value is None or value is pd.NaT:  # a blank date column (e.g. started) is NaT
        return True
    return value == "" or (isinstance(value, float) and value != value)


def _rows(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Rows in id order, without the row number and without columns blank in every row.

    A column no row fills (one a later version of the playbook adds with a
    blank default) changes nothing that was approved, so it leaves the
    fingerprint as it was.
    """
    if frame is None:
        return []
    frame = frame.drop(columns=["row"], errors="ignore")
    filled = [c for c in frame.columns if not all(_blank(v) for v in frame[c].tolist())]
    ordered = frame[filled].sort_values("id", kind="stable")
    records = ordered.astype(object).where(ordered.notna(), None).to_dict("records")
    return records


def fingerprint(inputs: Any, approved_on: str) -> dict[str, str]:
    """The sha256 of each part of ``inputs`` as of ``approved_on`` (YYYY-MM-DD)."""
    # keys left at their defaults are out: a key a later version adds changes no decision
    params = inputs.params.model_dump(mode="json", exclude_defaults=True)
    decisions = {k: v for k, v in params.items() if k not in NOT_DECISIONS}
    actuals = inputs.actuals
    if "completed" in actuals.columns:
        day = pd.Timestamp(approved_on)
        actuals = actuals[actuals["completed"].isna() | (actuals["completed"] <= day)]
    parts = {
        "params": _sha(decisions),
        "initiatives": _sha(_rows(inputs.initiatives)),
        "actuals": _sha(_rows(actuals)),
    }
    if getattr(inputs, "outcomes", None) is not None:
        parts["outcomes"] = _sha(_rows(inputs.outcomes))
    return parts


def changed_parts(inputs: Any) -> list[str]:
    """The parts of an approved quarter that differ from its fingerprint ([] when none)."""
    params = inputs.params
    if params.status != "approved" or not params.fingerprint:
        return []
    now = fingerprint(inputs, params.approved_on or dt.date.today().isoformat())
    recorded = dict(params.fingerprint)
    return sorted(k for k in set(now) | set(recorded) if now.get(k) != recorded.get(k))


def check_approval(inputs: Any) -> list[Problem]:
    """Problems of an approved quarter: no approval record, or a change not in ``changes:``."""
    params = inputs.params
    label = f"params/{params.quarter}.yaml"
    if params.status != "approved":
        return []
    missing = [k for k in ("approved_on", "approved_by", "fingerprint") if not getattr(params, k)]
    if missing:
        return [
            Problem(
                label,
                f"status is approved but {', '.join(missing)} is missing: approve it with "
                f"`playbook approve {params.quarter} --by NAME`, which records them",
                column="status",
                column_word="key",
            )
        ]
    differs = changed_parts(inputs)
    recorded = [c for c in params.changes if c.date >= str(params.approved_on)]
    if not differs or recorded:
        return []
    words = {
        "params": "its decision keys (budget, capacity, scoring, confidence...)",
        "initiatives": f"the initiatives register rows ({params.initiatives.label})",
        "actuals": f"the actuals rows completed by {params.approved_on} ({params.actuals.label})",
        "outcomes": "the outcomes register rows",
    }
    return [
        Problem(
            label,
            f"{params.quarter} was approved on {params.approved_on} by {params.approved_by}, "
            f"but {'; '.join(words.get(p, p) for p in differs)} differ from what was approved "
            "(its fingerprint). Record the change under changes: with date, what, why and "
            "approved_by, e.g.\n  changes:\n    - date: "
            f"{dt.date.today().isoformat()}\n      what: dropped WEB-03\n      why: ...\n"
            "      approved_by: ...\n(or undo the edit)",
            column="changes",
            column_word="key",
        )
    ]


_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:")


def strip_keys(text: str, keys: tuple[str, ...]) -> str:
    """``text`` (a params file) without the top-level ``keys`` and their indented lines.

    Every other line, comment and blank is kept as written.
    """
    kept, skipping = [], False
    for line in text.splitlines():
        found = _TOP_KEY.match(line)
        if found:
            skipping = found.group(1) in keys
        elif line and not line[0].isspace() and not line.startswith("#"):
            skipping = False
        if not skipping:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept) + "\n"


def approval_block(approved_on: str, approved_by: str, parts: dict[str, str]) -> str:
    """The params lines ``playbook approve`` writes (status, who, when, fingerprint)."""
    lines = [
        "status: approved",
        f"approved_on: {json.dumps(approved_on)}",
        f"approved_by: {json.dumps(approved_by, ensure_ascii=False)}",
        "fingerprint:              # sha256 of what was approved (playbook approve); do not edit",
    ]
    lines += [f"  {name}: {digest}" for name, digest in parts.items()]
    return "\n".join(lines) + "\n"


def approve_text(text: str, approved_on: str, approved_by: str, parts: dict[str, str]) -> str:
    """A params file's text approved: old approval keys replaced, ``changes:`` kept."""
    return strip_keys(text, APPROVAL_KEYS) + approval_block(approved_on, approved_by, parts)


def _standing(plan: Any) -> dict[str, Any] | None:
    """What a plan (a roadmap document or a ledger plan) says about value and risk."""
    if not isinstance(plan, dict) or "selected" not in plan:
        return None
    return {
        "expected_value": plan.get("expected_value"),
        "prob_over_budget": plan.get("prob_over_budget"),
        "selected": list(plan.get("selected", [])),
    }


def change_log(
    changes: list[dict[str, Any]],
    decisions: dict[str, Any] | None,
    roadmap: Any,
) -> list[dict[str, Any]]:
    """Each change with the plan's value and risk ``before`` and ``after`` it.

    Read from the ledger (``decisions``, see ``helpers.load.ledger``), never from an
    earlier build: the first change's ``before`` is the plan as approved; a
    change the ledger has recorded ends at the plan recorded with it; a change
    not recorded yet ends at this build's ``roadmap`` (``recorded`` false). Each
    change starts where the one before it ended.
    """
    recorded = {
        (c.get("date"), c.get("what")): c.get("plan")
        for c in (decisions or {}).get("changes") or []
    }
    standing = _standing((decisions or {}).get("approved", {}).get("plan"))
    log = []
    for change in changes:
        key = (change.get("date"), change.get("what"))
        after = _standing(recorded[key]) if key in recorded else _standing(roadmap)
        log.append({**change, "before": standing, "after": after, "recorded": key in recorded})
        standing = after
    return log


# --- the approved inputs ---------------------------------------------------------------


def snapshot_dir(root: str | Path, quarter: str) -> Path:
    """Where ``playbook approve`` keeps the approved inputs: ``params/approved/<Q>/``."""
    return Path(root) / APPROVED_FOLDER / quarter


def write_snapshot(inputs: Any, root: str | Path) -> Path:
    """Keep the inputs ``playbook approve`` approved, as a project of their own.

    ``params/approved/<Q>/`` gets ``params/<Q>.yaml`` (the params without the
    approval keys and ``changes:``, its registers pointing at the copies),
    ``params/defaults.yaml``, ``registers/`` (each register file as it was;
    a database table as the CSV of its rows) and ``playbook/templates/``.
    Replaces an earlier snapshot of the quarter. Returns the folder.
    """

    root = Path(root)
    quarter = inputs.params.quarter
    target = snapshot_dir(root, quarter)
    if target.exists():
        shutil.rmtree(target)
    (target / "params").mkdir(parents=True)
    (target / "registers").mkdir()
    lines = []
    for key in REGISTER_KEYS:
        source = getattr(inputs.params, key, None)
        if source is None:
            continue
        fields = {k: v for k, v in source.model_dump().items() if v is not None}
        if source.path and not source.url:
            path = Path(source.path) if Path(source.path).is_absolute() else root / source.path
            name = f"registers/{path.name}"
            shutil.copy2(path, target / name)
            fields["path"] = name
        else:
            name = f"registers/{key}.csv"
            read_register(source, root).to_csv(target / name, index=False)
            fields = {"path": name}
        lines.append(f"{key}: {json.dumps(fields)}")
    text = strip_keys(
        params_path(quarter, root).read_text(encoding="utf-8"),
        (*APPROVAL_KEYS, "changes", *REGISTER_KEYS),
    )
    (target / "params" / f"{quarter}.yaml").write_text(
        text + "\n".join(lines) + "\n", encoding="utf-8"
    )
    defaults = root / "params" / "defaults.yaml"
    if defaults.is_file():
        shutil.copy2(defaults, target / "params" / "defaults.yaml")
    templates = root / "playbook" / "templates"
    if templates.is_dir():
        shutil.copytree(templates, target / "playbook" / "templates")
    return target
