"""A quarter's calibration, cases and selection for the command line and the checks.

The same computations as the quarter model (``quarter_model``), one at a time:

- :func:`load_calibration`: computed from the actuals (None when params turn
  calibration off);
- :func:`load_cases`: every in-scope case (``quarter_model.compute_cases``);
- :func:`select_quarter`: those cases, then ``selection.select_portfolio``;
- :func:`check_must_dos`: before anything is built, whether the must-dos and
  committed work fit (``select``'s own check, on their cases alone).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from helpers.core.errors import InputError, PlaybookError
from helpers.model.calibration import calibrate_quarter
from helpers.model.quarter_model import case_calibration, compute_cases
from helpers.model.selection import COMMITTED, select_portfolio


def load_calibration(inputs: Any) -> dict | None:
    """The quarter's calibration document, computed from the actuals and the ledger's
    outcomes (``calibration.calibrate_quarter``); None when params turn calibration off.
    ``inputs`` is a ``QuarterInputs``."""
    if not inputs.params.calibration.enabled:
        return None
    return calibrate_quarter(inputs)


def load_cases(
    inputs: Any, *, calibration: Mapping[str, Any] | None | bool = None
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """The case of every in-scope initiative, computed now, and the ids whose case failed.

    ``calibration``: the calibration document to compute with; None computes it
    (:func:`load_calibration`); False computes uncalibrated (stated) cases.
    """
    if calibration is None:
        calibration = load_calibration(inputs)
    calibration_doc = calibration if isinstance(calibration, Mapping) else None
    return _compute_cases(inputs, sorted(inputs.in_scope()["id"]), calibration_doc)


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
    inputs: Any, **overrides: Any
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Compute the quarter's cases and select: (the select document, the cases used).

    ``overrides`` go to ``selection.select_portfolio`` (budget, capacity,
    method, weights...).
    """
    cases, missing = load_cases(inputs)
    document = select_portfolio(
        inputs.initiatives, cases, inputs.params, missing=missing, **overrides
    )
    return document, cases


__all__ = [
    "check_must_dos",
    "forced_ids",
    "load_calibration",
    "load_cases",
    "select_quarter",
]
