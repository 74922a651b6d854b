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

import re
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
    from helpers.load.cells import in_file_order
    from helpers.model.backtest import backtest_history, by_candidates_for
    from helpers.model.outside_view import calibrate_estimates
    from helpers.report.backtest import render_backtest, render_estimates

    source = calibration.get("source", "actuals")
    document: dict[str, Any] = {"source": source, "by": calibration["by"]}
    texts = []
    if new is not None:
        frame_new, problems = _read_new(new)
        try:
            answered = calibrate_estimates(
                frame_new, calibration, confidence=calibration["confidence"]
            )
        except InputError as exc:
            problems += exc.problems
        if problems:  # every bad cell at once, in row order
            raise InputError(in_file_order(problems))
        document.update(answered)
        texts.append(render_estimates(answered, source=source, n0=calibration["n0"]))
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


def _read_new(new: str) -> tuple[Any, list[Problem]]:
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
    return _estimate_numbers(frame)


ESTIMATE_COLUMN = re.compile(r"^[a-z][a-z0-9_]*_(?:estimate|low|likely|high)$")


def _estimate_numbers(frame: Any) -> tuple[Any, list[Problem]]:
    """The new estimates with their figures read as every register's numbers are
    (``cells.parse_number``: ``1,5`` and ``1.234,5`` are refused, not read as 15 and
    1.23), finite and at most ``cells.MAX_MAGNITUDE``, and the problems of the cells
    refused (left blank in the frame, so the other checks still run)."""
    from helpers.load.cells import MAX_MAGNITUDE, Collector, cell_text, check_magnitudes

    if "id" not in frame.columns:
        return frame, []  # calibrate_estimates refuses it, naming the columns it needs
    bad = Collector(frame)
    ids = [cell_text(v) for v in frame["id"]]
    frame = frame.copy()
    for column in [c for c in frame.columns if ESTIMATE_COLUMN.match(str(c))]:
        frame[column] = bad.number(frame, column, ids)
        check_magnitudes(frame, {column: (MAX_MAGNITUDE, "in the estimate's unit")}, bad)
    return frame, bad.problems
