"""``playbook select Q [--budget X] [--json]``: the quarter's portfolio selection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from helpers.cli.common import echo_json, reports_errors, root_option


@click.command()
@click.argument("quarter")
@click.option(
    "--budget",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    callback=lambda ctx, param, value: _finite(value),
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
    from helpers.inputs import load_quarter
    from helpers.quarter import select_quarter

    inputs = load_quarter(quarter, root)
    document, _ = select_quarter(inputs, None, compute_missing_cases=True, budget=budget)
    if as_json:
        echo_json(document)
    else:
        click.echo(format_selection(document))


def format_selection(document: dict[str, Any]) -> str:
    """The selection as plain text: the headline, then one line per initiative."""
    from helpers.fmt import fmt_money, fmt_pct

    currency = document["currency"]
    level = f"P{100 * document['budget_confidence']:g}"
    chosen = document["selected"]
    lines = [
        f"Roadmap {document['quarter']}: method {document['method']}, budget "
        f"{fmt_money(document['budget'], currency)} at {level}, capacity "
        f"{document['capacity']:,.0f} IT person-weeks",
        f"Fund {len(chosen)} initiative{'s' if len(chosen) != 1 else ''}: "
        f"{', '.join(chosen) if chosen else 'none'}",
        f"Expected value {_value(document['expected_value'], document['method'], currency)}; "
        f"cost {fmt_money(document['cost_at_confidence'], currency)} at {level} "
        f"({fmt_money(document['cost_p50'], currency)} at P50); "
        f"{fmt_pct(document['prob_over_budget'])} chance of overrunning the budget; "
        f"{document['effort_used']:,.0f} of {document['capacity']:,.0f} person-weeks",
        "",
    ]
    items = document["initiatives"]
    width = max((len(i) for i in items), default=2)
    header = f"  {'id':<{width}}  {'value':>10}  {'cost ' + level:>10}  {'effort':>6}  decision"
    lines.append(header)
    ranked = sorted(items, key=lambda i: (not items[i]["selected"], -items[i]["value"], i))
    for initiative_id in ranked:
        entry = items[initiative_id]
        decision = "fund" if entry["selected"] else f"leave out: {entry.get('reason', '')}"
        if entry["selected"] and entry["forced"]:
            decision = "fund (must-do or committed)"
        lines.append(
            f"  {initiative_id:<{width}}  "
            f"{_value(entry['value'], document['method'], currency):>10}  "
            f"{fmt_money(entry['cost'], currency):>10}  {entry['effort']:>6.0f}  {decision}"
        )
    if document["missing"]:
        lines += ["", f"Missing business cases: {', '.join(document['missing'])}"]
    for note in document["notes"]:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


def _value(value: float, method: str, currency: str) -> str:
    from helpers.fmt import fmt_worth
    from helpers.selection import MONEY_METHODS

    return fmt_worth(value, money=method in MONEY_METHODS, currency=currency)


def _finite(value: float | None) -> float | None:
    """Reject nan and inf, which pass a numeric range check."""
    import math

    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"must be an amount of money, got {value}")
    return value
