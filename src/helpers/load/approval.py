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
- ``outcomes``: the rows, when params name an outcomes register;
- ``benefits`` and ``templates``: when the quarter uses benefit templates, the
  benefits register's rows and the templates its initiatives name (title,
  drivers, formula): a driver or a formula changes the cases as a register
  row does.

Once approved, every edit of the quarter's inputs needs its own entry in its
``changes:`` log (date, what, why, approved_by). The ledger
(``helpers.load.ledger``) keeps the fingerprint as approved and after each
change ``playbook ledger Q`` recorded; today's inputs must match the last of
them, unless the params log a change the ledger has not recorded yet (that
change is what today's inputs are). So an edit with no new entry is refused
(exit 2) naming the parts that differ and how to record the change, however
many changes came before. Going back to ``status: draft`` is such an edit: a
quarter with a ledger entry is a draft again only through a logged change.

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

from helpers.core.errors import InputError, Problem, shown
from helpers.load.ledger import decisions_path, last_fingerprint, read_decisions, unrecorded_changes
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


def _rows(frame: pd.DataFrame | None, by: tuple[str, ...] = ("id",)) -> list[dict[str, Any]]:
    """Rows in ``by`` order, without the row number and without columns blank in every row.

    A column no row fills (one a later version of the playbook adds with a
    blank default) changes nothing that was approved, so it leaves the
    fingerprint as it was.
    """
    if frame is None:
        return []
    frame = frame.drop(columns=["row"], errors="ignore")
    filled = [c for c in frame.columns if not all(_blank(v) for v in frame[c].tolist())]
    ordered = frame[filled].sort_values([c for c in by if c in filled], kind="stable")
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
    benefits = getattr(inputs, "benefits", None)
    if benefits is not None:
        # ``measured`` is read from ``source`` (load.benefits.cites_measurement), which the
        # rows already hold: a derived column, so it leaves the fingerprint as it was
        rows = benefits.drop(columns=["measured"], errors="ignore")
        parts["benefits"] = _sha(_rows(rows, by=("initiative_id", "beneficiary", "driver")))
        templates = getattr(inputs, "templates", None) or {}
        used = sorted(set(benefits.get("template", pd.Series(dtype=object)).dropna()))
        parts["templates"] = _sha(
            {
                name: {k: v for k, v in templates[name].as_dict().items() if k != "file"}
                for name in used
                if name in templates
            }
        )
    return parts


def changed_parts(inputs: Any, recorded: dict[str, str] | None = None) -> list[str]:
    """The parts of an approved quarter that differ from ``recorded`` (default: its
    fingerprint as approved; [] when none)."""
    params = inputs.params
    recorded = dict(recorded or params.fingerprint or {})
    if not recorded:
        return []
    now = fingerprint(inputs, params.approved_on or dt.date.today().isoformat())
    return sorted(k for k in set(now) | set(recorded) if now.get(k) != recorded.get(k))


def check_approval(inputs: Any) -> list[Problem]:
    """Problems of a quarter's approval: no approval record, a ledger entry edited by
    hand, or an edit since approval (or since the last recorded change) that no
    ``changes:`` entry logs. [] for a draft never approved."""
    params = inputs.params
    label = f"params/{params.quarter}.yaml"
    try:
        decisions = read_decisions(inputs.root, params.quarter)
    except InputError as exc:
        return list(exc.problems)
    changes = [c.model_dump(mode="json") for c in params.changes]
    pending = unrecorded_changes(decisions, changes)
    if params.status != "approved":
        return _reopened(params, label, decisions, pending)
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
    if decisions is None:
        return [_no_entry(params, label)]
    problems = _ledger_agrees(params, label, decisions, changes)
    if problems or pending:
        return problems  # a logged change not recorded yet: it is what the inputs are now
    recorded = decisions.get("changes") or []
    differs = changed_parts(inputs, last_fingerprint(decisions))
    if not differs:
        return []
    since = (
        f"the inputs as of its last recorded change ({recorded[-1].get('date')}: "
        f"{shown(recorded[-1].get('what'), 80)})"
        if recorded
        else "what was approved (its fingerprint)"
    )
    words = {
        "params": "its decision keys (budget, capacity, scoring, confidence...)",
        "initiatives": f"the initiatives register rows ({params.initiatives.label})",
        "actuals": f"the actuals rows completed by {params.approved_on} ({params.actuals.label})",
        "outcomes": "the outcomes register rows",
        "benefits": "the benefits register rows (drivers)",
        "templates": "the benefit templates its initiatives use (drivers, formula)",
    }
    return [
        Problem(
            label,
            f"{params.quarter} was approved on {params.approved_on} by {params.approved_by}, "
            f"but {'; '.join(words.get(p, p) for p in differs)} differ from {since}. "
            "Every edit needs its own entry: record the "
            "change under changes: with date, what, why and approved_by, e.g.\n  changes:\n"
            f"    - date: {dt.date.today().isoformat()}\n      what: dropped WEB-03\n"
            "      why: ...\n      approved_by: ...\n"
            f"then `playbook ledger {params.quarter}` (or undo the edit)",
            column="changes",
            column_word="key",
        )
    ]


def _no_entry(params: Any, label: str) -> Problem:
    return Problem(
        label,
        f"status is approved but there is no ledger entry ({decisions_path('', params.quarter)}),"
        " so nothing records what was approved: restore params/approved/ from git, or "
        f"approve it again with `playbook approve {params.quarter} --by NAME`",
        column="status",
        column_word="key",
    )


def _ledger_agrees(
    params: Any, label: str, decisions: dict[str, Any], changes: list[dict[str, Any]]
) -> list[Problem]:
    """The params' approval record and change log agree with the ledger's."""
    problems = []
    approved = decisions.get("approved") or {}
    if dict(params.fingerprint) != approved.get("fingerprint"):
        problems.append(
            Problem(
                label,
                "the fingerprint differs from the one the ledger recorded at approval "
                f"({decisions_path('', params.quarter)}): it is written by playbook approve; "
                "restore it from git (do not edit it)",
                column="fingerprint",
                column_word="key",
            )
        )
    logged = {(c.get("date"), c.get("what")) for c in changes}
    for change in decisions.get("changes") or []:
        if (change.get("date"), change.get("what")) not in logged:
            problems.append(
                Problem(
                    label,
                    f"the change of {change.get('date')} ({shown(change.get('what'))}) is "
                    "recorded in the ledger but no longer under changes:; put it back as "
                    "it was (a change is never rewritten: log a new one)",
                    column="changes",
                    column_word="key",
                )
            )
    for index, change in enumerate(changes):
        if params.approved_on and change["date"] < str(params.approved_on):
            problems.append(
                Problem(
                    label,
                    f"change {index + 1} is dated {change['date']}, before the approval on "
                    f"{params.approved_on}: date it the day the change was approved (when "
                    "approving again, remove the changes logged before this approval)",
                    column=f"changes.{index}.date",
                    column_word="key",
                )
            )
    return problems


def _reopened(
    params: Any, label: str, decisions: dict[str, Any] | None, pending: list[Any]
) -> list[Problem]:
    """A draft with a ledger entry was approved: it is a draft again only through a
    logged change the ledger has not recorded yet."""
    if decisions is None or pending:
        return []
    approved = decisions.get("approved") or {}
    return [
        Problem(
            label,
            f"status is {params.status}, but {params.quarter} was approved on "
            f"{approved.get('on')} by {approved.get('by')} (its ledger entry "
            f"{decisions_path('', params.quarter)}): an approved quarter goes back to draft "
            "only through a logged change; add one under changes: (date, what: back to "
            "draft, why, approved_by), or set status: approved again",
            column="status",
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


def write_snapshot(inputs: Any, root: str | Path, target: str | Path | None = None) -> Path:
    """Keep the inputs ``playbook approve`` approved, as a project of their own.

    ``target`` (default ``params/approved/<Q>/``) gets ``params/<Q>.yaml`` (the
    params without the approval keys and ``changes:``, its registers pointing
    at the copies), ``params/defaults.yaml``, ``registers/`` (each register
    file as it was; a database table as the CSV of its rows) and
    ``playbook/templates/``. Replaces what ``target`` held. Returns the folder.
    """

    root = Path(root)
    quarter = inputs.params.quarter
    target = Path(target) if target is not None else snapshot_dir(root, quarter)
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
