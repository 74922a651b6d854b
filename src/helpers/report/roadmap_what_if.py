"""The roadmap's what-if (JupyterLab): the budget, capacity and scoring moved, the same
selection over the quarter model's cases re-run, and what changes said in words."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from helpers.core.errors import ComputationError, InputError
from helpers.core.fmt import fmt_money, fmt_pct
from helpers.load.params import SCORING_METHODS, Params
from helpers.model.selection import MONEY_METHODS, select_portfolio
from helpers.report.labels import (
    method_label,
    plan_cost_label,
)
from helpers.report.roadmap import is_nan, level_label_of, rule_text, value_column_of, worth
from helpers.report.tables import styled_table


def what_if_controls(document: Mapping[str, Any]) -> dict[str, Any]:
    """Slider settings for the what-if panel: budget and capacity from a quarter to
    2.5 times this quarter's, the scoring methods, each weight from 0 to 1.

    Budget is in the quarter's currency, capacity in IT person-weeks; each slider
    has a full ``description``; ``method`` options are (label, method) pairs.
    """
    budget, capacity = document["budget"], document["capacity"]
    return {
        "budget": {
            "value": budget,
            "min": 0.25 * budget,
            "max": 2.5 * budget,
            "step": 0.05 * budget,
            "description": f"Budget at {level_label_of(document)} ({document['currency']})",
        },
        "capacity": {
            "value": capacity,
            "min": 0.25 * capacity,
            "max": 2.5 * capacity,
            "step": 0.05 * capacity,
            "description": "IT capacity (person-weeks)",
        },
        "method": {
            "options": [(method_label(m), m) for m in SCORING_METHODS],
            "value": document["method"],
            "description": "Rank by",
        },
        "weights": {
            name: {
                "value": weight,
                "min": 0.0,
                "max": 1.0,
                "step": 0.05,
                "description": f"Weight of {name.replace('_', ' ')}",
            }
            for name, weight in document["weights"].items()
        },
    }


def _what_if_worth(value: float | None, document: Mapping[str, Any]) -> str:
    """The selection's value: money for NPV methods, whole points otherwise (never 1.44e+05)."""
    if document["method"] in MONEY_METHODS or is_nan(value):
        return worth(value, document)
    value = float(value)
    return f"{value:,.0f} points" if abs(value) >= 100 else f"{value:,.2f} points"


def what_if_selection(
    initiatives: pd.DataFrame,
    cases: Mapping[str, Mapping[str, Any]],
    params: Params,
    *,
    missing: Iterable[str] = (),
    budget: float | None = None,
    capacity: float | None = None,
    method: str | None = None,
    **weights: float,
) -> Any:
    """The selection under another budget, capacity, method or weights, as a small table (Styler).

    ``budget`` in the quarter's currency, ``capacity`` in IT person-weeks;
    ``weights`` are criterion=weight (only those given change). Errors (e.g. a
    budget too small for the must-dos) come back as a one-row table saying so.
    """
    merged = dict(params.scoring.weights)
    merged.update({k: float(v) for k, v in weights.items()})
    if sum(merged.values()) <= 0:
        merged = dict(params.scoring.weights)
    try:
        document = select_portfolio(
            initiatives,
            cases,
            params,
            budget=budget,
            capacity=capacity,
            method=method,
            weights=merged,
            missing=missing,
            explain=False,
            frontier=False,
        )
    except (ComputationError, InputError) as exc:
        frame = pd.DataFrame({"what if": ["no plan"], "result": [str(exc)]})
        return styled_table(frame, name="roadmap-what-if")
    currency = document["currency"]
    rows = {
        "fund": ", ".join(document["selected"]) or "nothing",
        value_column_of(document): _what_if_worth(document["expected_value"], document),
        "expected NPV": fmt_money(document["expected_npv"], currency),
        plan_cost_label(document["budget_confidence"], rule_text(document)): fmt_money(
            document["cost_at_confidence"], currency
        ),
        "plan cost at P50": fmt_money(document["cost_p50"], currency),
        "chance of overrunning the budget": fmt_pct(document["prob_over_budget"]),
        "IT person-weeks used": f"{document['effort_used']:,.0f} of {document['capacity']:,.0f}",
    }
    frame = pd.DataFrame({"what if": list(rows), "result": list(rows.values())})
    return styled_table(frame, name="roadmap-what-if")


def what_if_panel(
    initiatives: pd.DataFrame,
    cases: Mapping[str, Mapping[str, Any]],
    params: Params,
    document: Mapping[str, Any],
    *,
    missing: Iterable[str] = (),
) -> Any:
    """The roadmap's what-if panel for JupyterLab (an ipywidgets ``VBox``).

    Budget (money, in full), capacity (person-weeks) and the ranking method;
    the weights show only when the method is "weighted" (the only method they
    change), with a line saying so. The selection table below
    (``panel.result``, an HTML widget) is recomputed by
    :func:`what_if_selection` when a control is released.
    """
    import ipywidgets as widgets

    controls = what_if_controls(document)
    currency = document["currency"]
    missing = list(missing)
    wide = {"description_width": "14rem"}
    layout = widgets.Layout(width="36rem")

    def slider(spec: Mapping[str, Any], shown) -> Any:
        control = widgets.FloatSlider(
            **spec, readout=False, continuous_update=False, style=wide, layout=layout
        )
        text = widgets.Label(shown(spec["value"]))
        control.observe(lambda change: setattr(text, "value", shown(change["new"])), "value")
        return control, widgets.HBox([control, text])

    budget, budget_row = slider(controls["budget"], lambda v: fmt_money(v, currency, compact=False))
    capacity, capacity_row = slider(controls["capacity"], lambda v: f"{v:,.0f} IT person-weeks")
    method = widgets.Dropdown(**controls["method"], style=wide, layout=layout)
    weights, weight_rows = {}, []
    for name, spec in controls["weights"].items():
        weights[name], row = slider(spec, lambda v: f"{v:.2f}")
        weight_rows.append(row)
    weights_box = widgets.VBox(
        [widgets.Label("Weights change the weighted score only."), *weight_rows]
    )
    result = widgets.HTML()

    def update(_change=None) -> None:
        weighted = method.value == "weighted"
        weights_box.layout.display = None if weighted else "none"
        given = {name: w.value for name, w in weights.items()} if weighted else {}
        table = what_if_selection(
            initiatives,
            cases,
            params,
            missing=missing,
            budget=budget.value,
            capacity=capacity.value,
            method=method.value,
            **given,
        )
        result.value = table.to_html()

    for control in (budget, capacity, method, *weights.values()):
        control.observe(update, names="value")
    update()
    panel = widgets.VBox([budget_row, capacity_row, method, weights_box, result])
    panel.result = result
    panel.controls = {"budget": budget, "capacity": capacity, "method": method, **weights}
    return panel
