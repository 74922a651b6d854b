"""``playbook case ID [--quarter Q] [--no-calibration] [--json]``: one business case's summary."""

from __future__ import annotations

from pathlib import Path

import click

from helpers.cli.common import echo_json, reports_errors, root_option
from helpers.core.errors import InputError, Problem


@click.command()
@click.argument("initiative_id")
@click.option(
    "--quarter",
    default=None,
    help="Quarter whose params and registers to use (default: the latest params file).",
)
@click.option(
    "--no-calibration",
    is_flag=True,
    help="Use the stated ranges alone (the inside view), not adjusted by past actuals.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the case as one JSON document.")
@root_option
@reports_errors
def case(
    initiative_id: str, quarter: str | None, no_calibration: bool, as_json: bool, root: Path
) -> None:
    """Simulate initiative INITIATIVE_ID and print its business case."""
    from helpers.load.inputs import initiative_row, load_quarter
    from helpers.load.params import list_quarters
    from helpers.model import business_case
    from helpers.report import case as case_report

    if quarter is None:
        quarters = list_quarters(root)
        if not quarters:
            raise InputError(
                Problem(
                    str(Path(root) / "params"),
                    "no quarter's params found: pass --root, or create one with "
                    "`playbook new-quarter`",
                )
            )
        quarter = quarters[-1]
    inputs = load_quarter(quarter, root)
    row = initiative_row(inputs, initiative_id)
    calibration = None
    if not no_calibration and inputs.params.calibration.enabled:
        from helpers.model.calibration import calibrate_quarter

        calibration = calibrate_quarter(inputs)
    stated, sim = business_case.simulate_views(
        row,
        inputs.params,
        calibration,
        related=business_case.find_related(inputs.initiatives, initiative_id),
        benefits=inputs.benefit_inputs(),
    )
    summary = business_case.summarise_case(
        sim, stated if sim.calibrated else None, explain=case_report.recommendation_text
    )
    summary["quarter"] = quarter
    if as_json:
        echo_json(summary)
    else:
        click.echo(case_report.render_text(summary))
