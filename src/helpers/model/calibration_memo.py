"""A quarter's calibration, computed once: per loaded inputs, and per process by content.

``calibration.calibrate_quarter`` asks :func:`recall` first and hands what it
computed to :func:`keep`. Two memos answer:

- the inputs' own (``QuarterInputs.memo``): the must-do check and the quarter
  model of one build calibrate the same object;
- the process's, keyed by :func:`quarter_key` (a digest of everything the
  calibration reads): the inputs loaded again by every command of a session, or
  by a notebook run again in JupyterLab, give the same key.

A build also hands over the calibration its previous build computed from the same
inputs (:func:`remember_calibration`).
"""

from __future__ import annotations

import copy
import dataclasses
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from helpers.core.digests import digest_of, frame_digest
from helpers.load.ledger import ledger_digest

NAME = "calibrate_quarter"  # its entry in QuarterInputs.memo
KEY = "calibrate_quarter_key"  # and its key's
KEPT = 16  # quarter calibrations one process keeps
_calibrations: OrderedDict[str, dict[str, Any]] = OrderedDict()


def quarter_key(inputs: Any) -> str | None:
    """One digest of everything ``calibrate_quarter`` reads: the params (but where
    notebooks run), the actuals and, with outcomes, the outcomes register, the ledger's
    files (``load.ledger.ledger_digest``) and the templates' drivers. Equal keys, equal
    documents. None for inputs it cannot key (no params model): computed each time."""
    memo = getattr(inputs, "memo", None)  # made once per inputs: recall, then keep
    if memo is not None and KEY in memo:
        return memo[KEY]
    params = getattr(inputs, "params", None)
    if not hasattr(params, "model_dump") or getattr(inputs, "actuals", None) is None:
        return None
    outcomes = getattr(inputs, "outcomes", None)
    with_outcomes = None
    if outcomes is not None:
        templates = getattr(inputs, "templates", None) or {}
        with_outcomes = [
            frame_digest(outcomes),
            ledger_digest(inputs.root),
            sorted((name, repr(dataclasses.replace(t, path=""))) for name, t in templates.items()),
        ]
    key = digest_of(
        params.model_dump(mode="json", exclude={"executor", "scheduler"}),
        frame_digest(inputs.actuals),
        with_outcomes,
    )
    if memo is not None:
        memo[KEY] = key
    return key


def recall(inputs: Any) -> dict[str, Any] | None:
    """A copy of the calibration computed before from these inputs, or None."""
    memo = getattr(inputs, "memo", None)
    if memo is not None and NAME in memo:
        return copy.deepcopy(memo[NAME])
    key = quarter_key(inputs)
    if key is None or key not in _calibrations:
        return None
    _calibrations.move_to_end(key)
    if memo is not None:
        memo[NAME] = copy.deepcopy(_calibrations[key])
    return copy.deepcopy(_calibrations[key])


def keep(inputs: Any, document: Mapping[str, Any]) -> None:
    """Keep ``document``, the calibration just computed from ``inputs``, in both memos."""
    memo = getattr(inputs, "memo", None)
    if memo is not None:
        memo[NAME] = copy.deepcopy(dict(document))
    key = quarter_key(inputs)
    if key is not None:
        _calibrations[key] = copy.deepcopy(dict(document))
        while len(_calibrations) > KEPT:
            _calibrations.popitem(last=False)


def remember_calibration(inputs: Any, document: Mapping[str, Any]) -> None:
    """Give ``inputs`` the calibration computed before from the same inputs (a previous
    build's ``calibration.json``, its key checked by the caller): the document without the
    backtest's results, which ``backtest.calibrate_with_backtest`` adds."""
    memo = getattr(inputs, "memo", None)
    if memo is not None:
        skip = ("backtest", "backtest_overall")
        memo[NAME] = copy.deepcopy({k: v for k, v in document.items() if k not in skip})


def forget_calibrations() -> None:
    """Forget the calibrations this process computed (the next is computed again)."""
    _calibrations.clear()
