"""The ledger: what each approved quarter decided, and the inputs it decided on, in git.

The ledger is the only memory between quarters. ``reports/`` is output only:
nothing here reads it, so deleting it, or building into another ``--reports``
folder, changes no decision and no figure.

One entry per approved quarter, ``params/approved/<Q>/``::

    params/<Q>.yaml, params/defaults.yaml   the params as approved (no approval keys)
    registers/                              the register files as approved
    playbook/templates/                     the benefit templates as approved
    decisions.json                          what the quarter decided (this module)

``decisions.json`` holds the plan **as approved** and, for each change logged
under the quarter's ``changes:`` and recorded with ``playbook ledger Q``, the
plan **after** that change (the change's date and what, the selected ids,
each initiative's decision and the plan's figures). ``cases`` keeps the case
summary of every initiative any of those plans selected, as it was when the
plan was decided: the forecast the review later places each actual in. An
estimate is typed once and never rewritten: outcomes are joined to the
registers of the entry, never to today's registers.

A quarter that was never approved has no entry; readers return None and the
pages say so.

**The seal.** Nobody edits an entry by hand: ``decisions.json`` carries a
``seal``, the sha256 of every other file of the entry as approved (``files``)
and of the document itself (``sha256``). Every read (:func:`read_decisions`,
and through it every reader here) checks the entry against its seal and
refuses, naming the file, anything edited, added or removed since
``playbook approve`` or ``playbook ledger`` wrote it. The document also keeps
the fingerprint of the quarter's inputs as approved (``approved.fingerprint``)
and after each recorded change (``changes[].fingerprint``): change control
(``helpers.load.approval``) compares today's inputs with the last of them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from helpers.core.digests import file_digest
from helpers.core.errors import InputError, Problem
from helpers.core.paths import project_relative
from helpers.load.artifacts import to_jsonable, write_text_atomic
from helpers.load.params import QUARTER_PATTERN, list_quarters, load_params
from helpers.load.registers import validate_initiatives
from helpers.load.sources import read_register

LEDGER_FOLDER = Path("params") / "approved"
DECISIONS = "decisions.json"
FORMAT = 2  # 2: sealed, with the inputs' fingerprint as approved and after each change
SEAL = "seal"
PLAN_KEYS = (
    "budget",
    "budget_confidence",
    "capacity",
    "currency",
    "expected_value",
    "expected_npv",
    "cost_at_confidence",
    "prob_over_budget",
    "planning_quantile",
)
INITIATIVE_KEYS = ("name", "status", "selected", "decision", "value", "expected_npv", "cost")


def entry_dir(root: str | Path, quarter: str) -> Path:
    """The ledger entry of ``quarter``: ``<root>/params/approved/<quarter>/``."""
    return Path(root) / LEDGER_FOLDER / quarter


def decisions_path(root: str | Path, quarter: str) -> Path:
    """Where ``quarter``'s decisions are kept: ``params/approved/<Q>/decisions.json``."""
    return entry_dir(root, quarter) / DECISIONS


def read_decisions(root: str | Path, quarter: str) -> dict[str, Any] | None:
    """``quarter``'s recorded decisions, or None when it has no ledger entry.

    The entry is checked against its seal first: InputError naming each file
    edited, added or removed since the ledger was written."""
    path = decisions_path(root, quarter)
    if not path.is_file():
        return None
    folder = path.parent
    signature = _signature(folder)
    text = path.read_text(encoding="utf-8")
    if _VERIFIED.get(str(folder)) != (signature, text):
        problems = seal_problems(folder, text, f"{LEDGER_FOLDER.as_posix()}/{quarter}")
        if problems:
            raise InputError(problems)
        _VERIFIED[str(folder)] = (signature, text)
    return json.loads(text)


# an entry whose files are as last verified (by size, time and name) is not hashed again
_VERIFIED: dict[str, tuple[tuple, str]] = {}


def _signature(folder: Path) -> tuple:
    return tuple(
        (str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    )


def _sha_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _document_sha(document: Mapping[str, Any]) -> str:
    """The sha256 of a decisions document without its seal (as JSON, sorted keys)."""
    body = {k: v for k, v in document.items() if k != SEAL}
    text = json.dumps(to_jsonable(body), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return _sha_bytes(text.encode("utf-8"))


def entry_files(folder: str | Path) -> dict[str, str]:
    """The sha256 of each file of a ledger entry but ``decisions.json``, by relative path
    (``/``-separated; hidden files such as ``.gitkeep`` are not part of it)."""
    folder = Path(folder)
    found = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or relative.as_posix() == DECISIONS:
            continue
        if any(part.startswith(".") for part in relative.parts):
            continue
        found[relative.as_posix()] = _sha_bytes(path.read_bytes())
    return found


def seal_problems(folder: str | Path, text: str, label: str) -> list[Problem]:
    """What in the ledger entry ``folder`` differs from its seal ([] when nothing).

    ``text`` is ``decisions.json`` as read; ``label`` names the entry in messages
    (``params/approved/2026Q3``)."""
    fix = (
        "the ledger is never edited by hand: restore it from git "
        f"(git checkout -- {label}/), and record a change to the quarter under changes: "
        "in its params file instead"
    )
    where = f"{label}/{DECISIONS}"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return [Problem(where, f"is not valid JSON ({exc.msg}, line {exc.lineno}): {fix}")]
    seal = document.get(SEAL) if isinstance(document, dict) else None
    if not isinstance(seal, dict) or not isinstance(seal.get("files"), dict):
        return [
            Problem(
                where,
                "has no seal (written by hand, or by an older playbook), so what it records "
                f"cannot be trusted: {fix}; or approve the quarter again "
                "(playbook approve Q --by NAME)",
            )
        ]
    problems = []
    if seal.get("sha256") != _document_sha(document):
        problems.append(
            Problem(where, f"differs from what playbook approve and playbook ledger wrote: {fix}")
        )
    sealed, found = seal["files"], entry_files(folder)
    for name in sorted(set(sealed) | set(found)):
        if name not in found:
            message = f"is missing: it was part of the entry when it was approved; {fix}"
        elif name not in sealed:
            message = f"was not part of the entry when it was approved: remove it ({fix})"
        elif sealed[name] != found[name]:
            message = f"differs from the copy that was approved: {fix}"
        else:
            continue
        problems.append(Problem(f"{label}/{name}", message))
    return problems


def ledger_quarters(root: str | Path) -> list[str]:
    """Quarters with recorded decisions, oldest first."""
    folder = Path(root) / LEDGER_FOLDER
    if not folder.is_dir():
        return []
    found = (p.parent.name for p in folder.glob(f"*/{DECISIONS}"))
    return sorted(q for q in found if QUARTER_PATTERN.match(q))


def plan_of(select_document: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a ``select`` document the ledger keeps: the plan's figures, the
    selected ids and, per initiative, its decision and the value it was chosen on."""
    return {
        **{key: select_document.get(key) for key in PLAN_KEYS},
        "selected": list(select_document.get("selected", [])),
        "initiatives": {
            initiative_id: {key: entry.get(key) for key in INITIATIVE_KEYS}
            for initiative_id, entry in sorted((select_document.get("initiatives") or {}).items())
        },
    }


def current_plan(decisions: Mapping[str, Any]) -> dict[str, Any]:
    """The plan as it stands: after the last recorded change, else as approved."""
    changes = decisions.get("changes") or []
    return changes[-1]["plan"] if changes else decisions["approved"]["plan"]


def funded_ids(root: str | Path, quarter: str) -> list[str] | None:
    """The ids ``quarter``'s plan funds as it stands (None: no ledger entry)."""
    decisions = read_decisions(root, quarter)
    return None if decisions is None else list(current_plan(decisions)["selected"])


def funding_quarter(initiative_id: str, quarter: str, root: str | Path) -> str | None:
    """The latest approved quarter before ``quarter`` whose plan funds ``initiative_id``."""
    for earlier in sorted((q for q in ledger_quarters(root) if q < quarter), reverse=True):
        if initiative_id in (funded_ids(root, earlier) or []):
            return earlier
    return None


def previous_entry(root: str | Path, quarter: str) -> tuple[str, dict[str, Any]] | None:
    """The latest approved quarter before ``quarter`` and its decisions (None if none)."""
    earlier = [q for q in ledger_quarters(root) if q < quarter]
    if not earlier:
        return None
    return earlier[-1], read_decisions(root, earlier[-1]) or {}


def approved_registers(root: str | Path, quarter: str) -> dict[str, Any] | None:
    """The registers of ``quarter``'s ledger entry, as they were approved.

    ``{"initiatives": frame (validated), "benefits": frame or None (as read),
    "path": the initiatives file}``; None when the quarter has no ledger entry
    (never approved) or the entry keeps no initiatives register.
    """

    folder = entry_dir(root, quarter)
    if read_decisions(root, quarter) is None or not (folder / "params").is_dir():
        return None
    # read_decisions has checked every file of the entry against its seal, whose text
    # names each file's sha256: the same text, the same files, the same registers
    key = (str(folder), _VERIFIED[str(folder)][1])
    if key not in _APPROVED:
        if len(_APPROVED) >= 16:
            _APPROVED.clear()
        _APPROVED[key] = _read_approved_registers(folder, quarter)
    found = _APPROVED[key]
    if found is None:
        return None
    benefits = found["benefits"]
    return {  # copies: a caller may change its frames
        "initiatives": found["initiatives"].copy(),
        "benefits": None if benefits is None else benefits.copy(),
        "path": found["path"],
    }


# approved registers as read and checked, by entry folder and sealed decisions text
_APPROVED: dict[tuple[str, str], dict[str, Any] | None] = {}


def _read_approved_registers(folder: Path, quarter: str) -> dict[str, Any] | None:
    params = load_params(quarter, folder)
    source = params.initiatives
    if not source.path:
        return None
    benefits = None
    if params.benefits is not None and params.benefits.path:
        benefits = read_register(params.benefits, folder)
    return {
        "initiatives": validate_initiatives(
            read_register(source, folder), keep=(params.calibration.by,)
        ),
        "benefits": benefits,
        "path": folder / source.path,
    }


def ledger_cases(root: str | Path, quarter: str) -> dict[str, dict[str, Any]]:
    """The case summaries ``quarter``'s plans were decided on ({} without an entry)."""
    decisions = read_decisions(root, quarter) or {}
    return dict(decisions.get("cases") or {})


def new_decisions(
    quarter: str,
    approved_on: str,
    approved_by: str,
    select_document: Mapping[str, Any],
    cases: Mapping[str, Mapping[str, Any]],
    fingerprint: Mapping[str, str],
) -> dict[str, Any]:
    """The ledger document of a quarter just approved (no changes yet); ``fingerprint``
    is the inputs' fingerprint as approved (``approval.fingerprint``)."""
    plan = plan_of(select_document)
    return {
        "format": FORMAT,
        "quarter": quarter,
        "approved": {
            "on": approved_on,
            "by": approved_by,
            "fingerprint": dict(fingerprint),
            "plan": plan,
        },
        "changes": [],
        "cases": {i: dict(cases[i]) for i in plan["selected"] if i in cases},
    }


def with_change(
    decisions: Mapping[str, Any],
    change: Mapping[str, Any],
    select_document: Mapping[str, Any],
    cases: Mapping[str, Mapping[str, Any]],
    fingerprint: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``decisions`` with one more recorded change, the plan after it and the inputs'
    ``fingerprint`` after it (what the next edit is compared with).

    A newly funded initiative's case is kept as it was decided; one already kept
    is not rewritten."""
    plan = plan_of(select_document)
    kept = dict(decisions.get("cases") or {})
    for initiative_id in plan["selected"]:
        if initiative_id not in kept and initiative_id in cases:
            kept[initiative_id] = dict(cases[initiative_id])
    recorded = {key: change.get(key) for key in ("date", "what", "why", "approved_by")}
    if fingerprint is not None:
        recorded["fingerprint"] = dict(fingerprint)
    return {
        **decisions,
        "changes": [*(decisions.get("changes") or []), {**recorded, "plan": plan}],
        "cases": kept,
    }


def last_fingerprint(decisions: Mapping[str, Any]) -> dict[str, str] | None:
    """The inputs' fingerprint after the last recorded change, else as approved."""
    for change in reversed(decisions.get("changes") or []):
        if change.get("fingerprint"):
            return dict(change["fingerprint"])
    return (decisions.get("approved") or {}).get("fingerprint")


def unrecorded_changes(
    decisions: Mapping[str, Any] | None, changes: list[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The params' ``changes:`` entries the ledger has not recorded yet, in order."""
    if decisions is None:
        return list(changes)
    seen = {(c.get("date"), c.get("what")) for c in decisions.get("changes") or []}
    return [c for c in changes if (c.get("date"), c.get("what")) not in seen]


def write_decisions(root: str | Path, quarter: str, decisions: Mapping[str, Any]) -> Path:
    """Write ``decisions.json`` into ``quarter``'s ledger entry, sealed (``write_entry``)."""
    return write_entry(entry_dir(root, quarter), decisions)


def write_entry(folder: str | Path, decisions: Mapping[str, Any]) -> Path:
    """Write ``decisions.json`` into the ledger entry ``folder`` with its seal.

    The seal's ``files`` are those ``decisions`` already carries (read from a
    checked entry: a change recorded later never re-seals an edited copy), else
    the files now in ``folder`` (a new entry). Sorted keys, stable diff."""
    folder = Path(folder)
    path = folder / DECISIONS
    folder.mkdir(parents=True, exist_ok=True)
    old_seal = decisions.get(SEAL) if isinstance(decisions.get(SEAL), dict) else {}
    files = old_seal.get("files")
    if not isinstance(files, dict):
        files = entry_files(folder)
    body = to_jsonable({k: v for k, v in decisions.items() if k != SEAL})
    body[SEAL] = {"files": dict(sorted(files.items())), "sha256": _document_sha(body)}
    text = json.dumps(body, indent=1, sort_keys=True, allow_nan=False)
    write_text_atomic(path, text + "\n")
    return path


def ledger_files(root: str | Path) -> list[Path]:
    """Every file of the ledger (``params/approved/``) and the decisions file of every
    quarter with params, present or not (recording one later changes what is read)."""
    folder = Path(root) / LEDGER_FOLDER
    paths = set(folder.rglob("*")) if folder.is_dir() else set()
    paths |= {decisions_path(root, q) for q in list_quarters(Path(root))}
    return sorted(path for path in paths if not path.is_dir())


def ledger_digest(root: str | Path) -> list[tuple[str, str | None]]:
    """Each of :func:`ledger_files`, named relative to the project, with the digest of its
    bytes (None when absent): equal digests, the same ledger, wherever the project is."""
    return [(project_relative(path, root), file_digest(path)) for path in ledger_files(root)]


def previous_quarter(quarter: str, quarters: Sequence[str]) -> str | None:
    """The latest quarter in ``quarters`` before ``quarter`` (``"2026Q3"`` for 2026Q4), or None."""
    earlier = [q for q in quarters if q < quarter]
    return max(earlier) if earlier else None


def previous_decisions(root: str | Path, quarter: str) -> list[tuple[Path, str]]:
    """What the roadmap's "changed since last quarter" compares with, for a build's audit
    copy: the previous quarter's recorded decisions, as (file, ``previous/<Q>/decisions.json``)
    (none when no earlier quarter has recorded any)."""
    previous = previous_quarter(quarter, list_quarters(Path(root)))
    if previous is None or not decisions_path(root, previous).is_file():
        return []
    return [(decisions_path(root, previous), f"previous/{previous}/decisions.json")]


def load_previous_roadmap(root: str | Path, quarter: str) -> tuple[dict[str, Any] | None, str]:
    """The previous quarter's plan, from the ledger, and where it came from.

    The quarter before ``quarter`` (the latest earlier one with params) is
    compared only when it was approved: its plan as it stands after its
    recorded changes (this module). Never read from ``reports/``.
    (None, why) when no earlier quarter has params or it was never approved.
    """

    previous = previous_quarter(quarter, list_quarters(Path(root)))
    if previous is None:
        return None, f"no quarter before {quarter} has params"
    decisions = read_decisions(root, previous)
    if decisions is None:
        return None, (
            f"{previous} was never approved, so the ledger holds no plan of it "
            f"(`playbook approve {previous} --by NAME` records one)"
        )
    changes = len(decisions.get("changes") or [])
    after = f", after its {changes} recorded change{'s' * (changes != 1)}" if changes else ""
    return current_plan(decisions), f"the approved {previous} plan{after}"


__all__ = [
    "load_previous_roadmap",
    "previous_quarter",
    "DECISIONS",
    "approved_registers",
    "LEDGER_FOLDER",
    "current_plan",
    "decisions_path",
    "entry_dir",
    "funded_ids",
    "funding_quarter",
    "ledger_cases",
    "ledger_quarters",
    "new_decisions",
    "plan_of",
    "previous_entry",
    "read_decisions",
    "unrecorded_changes",
    "with_change",
    "write_decisions",
    "write_entry",
    "entry_files",
    "seal_problems",
    "last_fingerprint",
    "SEAL",
]
