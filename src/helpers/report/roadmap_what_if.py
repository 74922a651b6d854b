"""The roadmap's what-if (JupyterLab): the budget, the confidence of staying within it,
capacity and scoring moved, the same selection over the quarter model's cases re-run, and
what changes said in words: which initiatives enter or leave the plan."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from helpers.core.errors import ComputationError, InputError
from helpers.core.fmt import fmt_money, fmt_pct
from helpers.load.params import SCORING_METHODS, Params
from helpers.model.selection import MONEY_METHODS, select_portfolio
from helpers.report.labels import level_label, method_label, plan_cost_label, sure_label
from helpers.report.roadmap import is_nan, rule_text, value_column_of, worth
from helpers.report.tables import styled_table

CONFIDENCE_RANGE = (0.5, 0.95, 0.05)  # the what-if's budget confidence: lowest, highest, step


def budget_description(level: float, currency: str) -> str:
    """The budget slider's label at a confidence: ``Budget at P80 (USD)``."""
    return f"Budget at {level_label(level)} ({currency})"


def what_if_controls(document: Mapping[str, Any]) -> dict[str, Any]:
    """Slider settings for the what-if panel: budget and capacity from a quarter to
    2.5 times this quarter's, the confidence that the plan stays within budget (P50 to
    P95), the scoring methods, each weight from 0 to 1.

    Budget is in the quarter's currency, capacity in IT person-weeks, confidence a
    fraction; each slider has a full ``description``; ``method`` options are
    (label, method) pairs.
    """
    budget, capacity = document["budget"], document["capacity"]
    lowest, highest, step = CONFIDENCE_RANGE
    return {
        "budget": {
            "value": budget,
            "min": 0.25 * budget,
            "max": 2.5 * budget,
            "step": 0.05 * budget,
            "description": budget_description(document["budget_confidence"], document["currency"]),
        },
        "confidence": {
            "value": document["budget_confidence"],
            "min": min(lowest, document["budget_confidence"]),
            "max": max(highest, document["budget_confidence"]),
            "step": step,
            "description": "Chance the plan stays within budget",
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
    confidence: float | None = None,
    capacity: float | None = None,
    method: str | None = None,
    roadmap: Mapping[str, Any] | None = None,
    **weights: float,
) -> Any:
    """The selection under another budget, confidence, capacity, method or weights, as a
    small table (Styler).

    ``budget`` in the quarter's currency, ``confidence`` the chance the plan's cost
    stays within it (a fraction; params ``budget_confidence`` when None),
    ``capacity`` in IT person-weeks; ``weights`` are criterion=weight (only those
    given change). With the quarter's ``roadmap`` (its select document) the table
    also says which initiatives enter the plan and which leave it compared with the
    roadmap. Errors (e.g. a budget too small for the must-dos) come back as a
    one-row table saying so.
    """
    merged = dict(params.scoring.weights)
    merged.update({k: float(v) for k, v in weights.items()})
    if sum(merged.values()) <= 0:
        merged = dict(params.scoring.weights)
    if confidence is not None:  # rounded: a front end may send 0.8000000000000002
        params = params.model_copy(update={"budget_confidence": round(float(confidence), 4)})
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
    if roadmap is not None:
        enter, leave = plan_changes(roadmap["selected"], document["selected"])
        rows["enters the plan"] = ", ".join(enter) or "none"
        rows["leaves the plan"] = ", ".join(leave) or "none"
    frame = pd.DataFrame({"what if": list(rows), "result": list(rows.values())})
    return styled_table(frame, name="roadmap-what-if")


def plan_changes(roadmap: Sequence[str], what_if: Sequence[str]) -> tuple[list[str], list[str]]:
    """The initiatives that enter the plan (in the what-if, not the roadmap) and those that
    leave it (in the roadmap, not the what-if), each in its plan's order."""
    return [i for i in what_if if i not in roadmap], [i for i in roadmap if i not in what_if]


def what_if_panel(
    initiatives: pd.DataFrame,
    cases: Mapping[str, Mapping[str, Any]],
    params: Params,
    document: Mapping[str, Any],
    *,
    missing: Iterable[str] = (),
) -> Any:
    """The roadmap's what-if panel for JupyterLab (an ipywidgets ``VBox``).

    Budget (money, in full), the confidence that the plan stays within it (``P80``,
    the budget's label following it), capacity (person-weeks) and the ranking
    method; the weights show only when the method is "weighted" (the only method
    they change), with a line saying so. The selection table below
    (``panel.result``, an HTML widget) is recomputed by :func:`what_if_selection`
    when a control is released, and says which initiatives enter or leave the plan
    compared with ``document`` (the roadmap).
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
    confidence, confidence_row = slider(
        controls["confidence"], lambda v: f"{level_label(v)} ({sure_label(v)})"
    )
    confidence.observe(
        lambda change: setattr(budget, "description", budget_description(change["new"], currency)),
        "value",
    )
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
            confidence=confidence.value,
            capacity=capacity.value,
            method=method.value,
            roadmap=document,
            **given,
        )
        result.value = table.to_html()

    for control in (budget, confidence, capacity, method, *weights.values()):
        control.observe(update, names="value")
    update()
    panel = widgets.VBox([budget_row, confidence_row, capacity_row, method, weights_box, result])
    panel.result = result
    panel.controls = {
        "budget": budget,
        "confidence": confidence,
        "capacity": capacity,
        "method": method,
        **weights,
    }
    return panel
