"""``playbook calibrate ACTUALS --estimates NEW`` and ``--backtest``: the calibration put to use.

``--estimates`` answers "I said 40 days; what should we plan on?" for every row
and metric of a register of new estimates; ``--backtest`` checks the
calibration out of sample on the register's own history and compares the class
columns it could calibrate by (no classes, category, and ``--by``'s column:
``by_candidates``). With ``--json`` the documents of DESIGN §6
(``estimates.<id>.<metric>`` and ``backtest.<metric>``), together when both
options are given; else text from ``helpers.report.backtest``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from helpers.cli.common import echo_json
from helpers.core.errors import InputError, Problem


def answer_checks(
    frame: Any,
    calibration: dict[str, Any],
    *,
    new: str | None,
    backtest: bool,
    metrics: Iterable[str] | None,
    as_json: bool,
) -> None:
    """Print the calibrated new estimates and/or the backtest of ``frame``'s calibration."""
    from helpers.model.backtest import backtest_history, by_candidates_for
    from helpers.model.outside_view import calibrate_estimates
    from helpers.report.backtest import render_backtest, render_estimates

    source = calibration.get("source", "actuals")
    document: dict[str, Any] = {"source": source, "by": calibration["by"]}
    texts = []
    if new is not None:
        answered = calibrate_estimates(
            _read_new(new), calibration, confidence=calibration["confidence"]
        )
        document.update(answered)
        texts.append(render_estimates(answered, source=source))
    if backtest:
        checked = backtest_history(
            frame,
            by=calibration["by"],
            n0=calibration["n0"],
            min_class_size=calibration["min_class_size"],
            metrics=metrics,
            candidates=by_candidates_for(frame.columns, calibration["by"]),
        )
        document.update({k: v for k, v in checked.items() if k != "projects"})
        texts.append(render_backtest(checked, source=source))
    if as_json:
        echo_json(document)
    else:
        click.echo("\n\n".join(texts))


def _read_new(new: str):
    from helpers.load.sources import read_register

    path = Path(new)
    if not path.is_file():
        raise InputError(
            Problem(
                new,
                "no such file: --estimates takes a register of new estimates (.csv or .xlsx) "
                "with id, the class column and <metric>_estimate (or _low/_likely/_high)",
            )
        )
    frame = read_register(path)
    frame.attrs["label"] = new
    return frame
