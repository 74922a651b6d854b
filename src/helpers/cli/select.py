"""``playbook select Q [--budget X] [--json]``: the quarter's portfolio selection."""

from __future__ import annotations

from pathlib import Path

import click

from helpers.cli.common import MoneyAmount, echo_json, reports_errors, root_option


@click.command()
@click.argument("quarter")
@click.option(
    "--budget",
    type=MoneyAmount(),
    default=None,
    help="Budget in the quarter's currency (default: the params budget).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the selection as one JSON document.")
@root_option
@reports_errors
def select(quarter: str, budget: float | None, as_json: bool, root: Path) -> None:
    """Choose the portfolio of QUARTER under its budget and IT capacity.

    Business cases are simulated now from the quarter's params and registers
    (calibrated when params enable it), so the selection reflects the current
    inputs.
    """
    from helpers.load.inputs import load_quarter
    from helpers.model.quarter import select_quarter
    from helpers.report.reasons import reason_text
    from helpers.report.roadmap import decision_reason, format_selection

    inputs = load_quarter(quarter, root)
    document, _ = select_quarter(
        inputs, budget=budget, describe_decision=decision_reason, describe_reason=reason_text
    )
    if as_json:
        echo_json(document)
    else:
        click.echo(format_selection(document))
