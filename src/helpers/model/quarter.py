"""Loading a quarter's artifacts: its calibration, its business cases, the previous roadmap.

``helpers.load.artifacts`` says where the JSON files live and writes them; this
module decides which to read and what to compute when one is missing, once,
for the notebooks, the pipeline and the command line:

- :func:`load_calibration`: ``calibration.json`` if written, else computed
  from the actuals (None when params turn calibration off);
- :func:`load_cases`: ``cases/<id>.json`` of every initiative in scope, the
  missing ones computed or listed;
- :func:`select_quarter`: those cases, then ``selection.select_portfolio``;
- :func:`check_must_dos`: before anything is built, whether the must-dos and
  committed work fit (``select``'s own check, on their cases alone);
- :func:`load_previous_roadmap`: the previous quarter's plan, from the ledger
  (``params/approved/<Q>/decisions.json``), never from ``reports/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from helpers.core.errors import InputError, PlaybookError
from helpers.load import artifacts, ledger
from helpers.load.params import list_quarters
from helpers.model.calibration import calibrate_quarter
from helpers.model.quarter_model import case_calibration, compute_cases
from helpers.model.selection import COMMITTED, select_portfolio


def previous_quarter(quarter: str, quarters: Sequence[str]) -> str | None:
    """The latest quarter in ``quarters`` before ``quarter`` (``"2026Q3"`` for 2026Q4), or None."""
    earlier = [q for q in quarters if q < quarter]
    return max(earlier) if earlier else None


def load_calibration(inputs: Any, artifacts_dir: str | Path | None = None) -> dict | None:
    """The quarter's calibration document.

    ``calibration.json`` under ``artifacts_dir`` when it has been written, else
    computed now from the actuals (``calibration.calibrate_quarter``). None when
    params turn calibration off. ``inputs`` is a ``QuarterInputs``.
    """
    if not inputs.params.calibration.enabled:
        return None
    if artifacts_dir:
        path = Path(artifacts_dir) / artifacts.CALIBRATION
        if path.exists():
            return artifacts.read_json(path)

    return calibrate_quarter(inputs)


def load_cases(
    inputs: Any,
    artifacts_dir: str | Path | None,
    *,
    compute_missing: bool = True,
    calibration: Mapping[str, Any] | None | bool = None,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The case of every in-scope initiative, and the ids without one.

    Reads ``cases/<id>.json`` under ``artifacts_dir``. A case with no file is
    computed (``business_case.simulate_case`` then ``summarise_case``) when
    ``compute_missing``, else listed as missing; so is one whose computation
    fails. ``calibration``: the calibration document to compute with; None
    loads it only when a case must be computed (:func:`load_calibration`);
    False computes uncalibrated cases.
    """
    cases: dict[str, dict[str, Any]] = {}
    missing: list[str] = []
    to_compute: list[str] = []
    for initiative_id in sorted(inputs.in_scope()["id"]):
        path = artifacts.case_path(artifacts_dir, initiative_id) if artifacts_dir else None
        if path is not None and path.exists():
            cases[initiative_id] = artifacts.read_json(path)
        elif compute_missing:
            to_compute.append(initiative_id)
        else:
            missing.append(initiative_id)
    if to_compute:
        if calibration is None:
            calibration = load_calibration(inputs, artifacts_dir)
        calibration_doc = calibration if isinstance(calibration, Mapping) else None
        computed, failed = _compute_cases(inputs, to_compute, calibration_doc)
        cases.update(computed)
        missing += failed
    return cases, sorted(missing)


def _compute_cases(
    inputs: Any, ids: Sequence[str], calibration: Mapping[str, Any] | None
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The case documents of ``ids`` simulated now, and the ids whose simulation failed:
    the quarter model's own computation (``quarter_model.compute_cases``), so the
    command line selects on the cases the pages show."""
    cases, failures = compute_cases(inputs, ids, case_calibration(inputs, calibration))
    return cases, sorted(failures)


def forced_ids(inputs: Any) -> list[str]:
    """The in-scope initiatives that must go ahead: must-dos, committed work (approved or in
    progress) and, transitively, the in-scope initiatives they depend on (sorted ids)."""

    scope = inputs.in_scope().set_index("id", drop=False)
    pending = [
        str(initiative_id)
        for initiative_id, row in scope.iterrows()
        if bool(row.get("must_do", False)) or row["status"] in COMMITTED
    ]
    found: set[str] = set()
    while pending:
        initiative_id = pending.pop()
        if initiative_id in found:
            continue
        found.add(initiative_id)
        depends_on = scope.loc[initiative_id].get("depends_on")
        pending += [str(p) for p in (depends_on or ()) if p in scope.index]
    return sorted(found)


def check_must_dos(inputs: Any) -> None:
    """Raise InputError (exit 2) when the must-dos and committed work cannot all go ahead:
    over the budget or IT capacity at the budget confidence, a prerequisite ruled out,
    or two variants of one initiative. The message names the ids, their cost at that
    level, the budget and the fix.

    It is ``select``'s own check (``selection.check_forced``, through
    ``select_portfolio``) on the cases of :func:`forced_ids` alone, simulated now with
    the quarter's calibration, so it says what ``playbook select`` would say, before
    any notebook runs. When the calibration or a case cannot be computed the check is
    left to the notebooks, which report that failure themselves.
    """
    ids = forced_ids(inputs)
    if not ids:
        return

    try:
        cases, _ = _compute_cases(inputs, ids, load_calibration(inputs))
        scope = set(inputs.in_scope()["id"])
        select_portfolio(
            inputs.initiatives,
            cases,
            inputs.params,
            missing=sorted(scope - set(cases)),
            explain=False,
            frontier=False,
        )
    except InputError:
        raise
    except PlaybookError:
        return


def select_quarter(
    inputs: Any,
    artifacts_dir: str | Path | None = None,
    *,
    compute_missing_cases: bool = True,
    **overrides: Any,
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Load the quarter's cases and select: (the select document, the cases used).

    ``overrides`` go to ``selection.select_portfolio`` (budget, capacity,
    method, weights...).
    """

    cases, missing = load_cases(inputs, artifacts_dir, compute_missing=compute_missing_cases)
    document = select_portfolio(
        inputs.initiatives, cases, inputs.params, missing=missing, **overrides
    )
    return document, cases


def load_roadmap(artifacts_dir: str | Path | None) -> dict[str, Any] | None:
    """The quarter's ``roadmap.json`` under ``artifacts_dir`` when it has been written, else
    None (business cases usually run before the roadmap)."""
    if not artifacts_dir:
        return None
    path = Path(artifacts_dir) / artifacts.ROADMAP
    return artifacts.read_json(path) if path.exists() else None


def load_previous_roadmap(root: str | Path, quarter: str) -> tuple[dict[str, Any] | None, str]:
    """The previous quarter's plan, from the ledger, and where it came from.

    The quarter before ``quarter`` (the latest earlier one with params) is
    compared only when it was approved: its plan as it stands after its
    recorded changes (``helpers.load.ledger``). Never read from ``reports/``.
    (None, why) when no earlier quarter has params or it was never approved.
    """

    previous = previous_quarter(quarter, list_quarters(Path(root)))
    if previous is None:
        return None, f"no quarter before {quarter} has params"
    decisions = ledger.read_decisions(root, previous)
    if decisions is None:
        return None, (
            f"{previous} was never approved, so the ledger holds no plan of it "
            f"(`playbook approve {previous} --by NAME` records one)"
        )
    changes = len(decisions.get("changes") or [])
    after = f", after its {changes} recorded change{'s' * (changes != 1)}" if changes else ""
    return ledger.current_plan(decisions), f"the approved {previous} plan{after}"


__all__ = [
    "check_must_dos",
    "forced_ids",
    "load_calibration",
    "load_cases",
    "load_previous_roadmap",
    "load_roadmap",
    "previous_quarter",
    "select_quarter",
]
