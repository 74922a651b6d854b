"""The method and assumptions section of a business case: how ranges, calibration,
simulation, cash flow and the value of information were applied, with this case's figures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from helpers.core.fmt import fmt_pct
from helpers.model import business_case
from helpers.report.case import REFERENCE_METHOD, Case, money_of, ramp_text, range_text
from helpers.report.correlation import describe_metric_correlations
from helpers.report.labels import (
    PAYBACK_LABEL,
    input_label,
)
from helpers.report.markdown import escape_text, returns_markdown
from helpers.report.tables import styled_table
from helpers.report.templates import describe_case_driver_calibration


@returns_markdown
def describe_method(case: Case) -> str:
    """The Method and assumptions section (parameters and thresholds included)."""
    money = money_of(case)
    confidence = case["estimate_confidence"]
    rec = case["recommendation"]
    calibration = describe_reference_class(case)
    lines = [
        f"- **Ranges**: each range is a {fmt_pct(confidence)} interval: low and high "
        "are the "
        f"{fmt_pct((1 - confidence) / 2)} and {fmt_pct((1 + confidence) / 2)} "
        "quantiles of a lognormal; with a likely value it is a split lognormal whose "
        "median is the likely value. "
        + describe_metric_correlations((case.get("correlation") or {}).get("between_metrics")),
        f"- **Calibration**: {calibration}",
        *filter(None, [str(describe_case_driver_calibration(case))]),
        f"- **Simulations**: {case['simulations']:,}, seeded from the quarter's seed and the "
        "initiative's id, so the same inputs always give the same numbers.",
        f"- **Cash flow** (monthly, over {case['horizon_years']:g} years, discounted at "
        f"{fmt_pct(case['discount_rate'], 1)} a year, i.e. (1 + annual)^(1/12) − 1 a month): "
        "delivery cost spread evenly over the delivery time; benefit starts when delivery "
        f"ends and {ramp_text(case['ramp_months'])}; run cost of {money(case['run_cost'])} "
        "a year from delivery on. Nothing after the horizon counts.",
        "- **Measures**: NPV; ROI = expected NPV ÷ expected present value of delivery and "
        "run cost (profitability index − 1, so its sign is the expected NPV's); "
        f"{PAYBACK_LABEL} = the month cumulative discounted cash turns positive (never, "
        "if not within the horizon); cost of delay = NPV lost if the whole initiative "
        "starts a month later "
        "(0 when the expected NPV is not positive).",
        "- **Value of information**: EVPI = E[max(NPV, 0)] − max(E[NPV], 0), what knowing "
        "the outcome before deciding to fund would be worth. EVPPI per input or driver fits "
        "the NPV to that input by regression (a restricted cubic spline of its rank with "
        f"{case.get('evppi_knots', 8)} knots, after Strong, Oakley and Brennan 2014) and "
        "takes E[max(fit, 0)] − max(E[NPV], 0); its Monte Carlo error is 1.96 standard "
        f"deviations of that figure over {case.get('evppi_resamples', 100)} bootstrap "
        "resamples of the simulations, and a value within its error is shown as ≈ 0. The "
        "tornado shows NPV with one input at its P10 and P90 and the others at their medians.",
        "- **Recommendation rules** (constants in `helpers.model.business_case`): a must-do is "
        "funded; the lean version goes first when its staged value exceeds the full "
        "initiative's expected NPV and 0. The staged value is the lean version's own "
        "expected NPV plus the value of deciding the full initiative once the lean version "
        "is delivered and has measured for a window (params `lean_measurement_months`), on "
        "what it measured: a noisy reading of the input or driver it measures, whose error "
        "is params `lean_measurement_error` (in standard deviations of our present "
        "uncertainty, with all of the data) divided by the square root of the share of the "
        "data it sees; the full initiative is funded where, given the reading, it is "
        "expected to pay, and the lean version's own benefit stops when the full one goes "
        "live, so that benefit is counted once. The roadmap values lean versions the same "
        "way; a chance of a loss of "
        f"{fmt_pct(rec['material_loss_probability'])} or more is material; otherwise fund "
        "when the expected NPV is positive and the "
        "risk not material; gather information on the input with the largest EVPPI when "
        f"that is worth at least {fmt_pct(rec['information_share_of_cost'])} of the "
        "expected cost; else fund if the expected NPV is positive, and don't fund if not.",
        f"- **Caveats**: {_independence_caveat(case)}IT effort is reported for capacity "
        "planning but "
        "does not enter NPV (its cost is inside delivery cost); EVPI is an upper bound on "
        "what any study or proof of concept can be worth.",
    ]
    return "\n".join(lines)


def _independence_caveat(case: Case) -> str:
    """The caveat of independent inputs, when the inputs were drawn independently."""
    entries = (case.get("correlation") or {}).get("between_metrics") or ()
    if any(entry.get("rank") for entry in entries):
        return ""
    return (
        "inputs are treated as independent (a costlier project is not assumed to be a longer one); "
    )


def describe_reference_class(case: Case) -> str:
    """Which past projects calibrated the case, input by input, in one paragraph (Markdown).

    Reads the case document's ``reference_class``
    (``outside_view.reference_class``). A class with no past projects, or too
    few, is named with the record used instead ("no past projects in class
    'X'; calibrated with all 40 projects"), never called its track record.
    """
    if not case["calibrated"]:
        return "No calibration was applied: the stated ranges were used as given."
    record = case.get("reference_class")
    if not record:  # a case document written before the record was kept
        return f"Calibrated by our track record. {REFERENCE_METHOD}"
    by = escape_text(str(record.get("by") or "category"))
    written = record.get("class")
    name = f"class '{escape_text(written)}' (column {by})" if written else None
    groups: dict[tuple, list[str]] = {}
    for metric, found in record["metrics"].items():
        key = (found["status"], found["class_used"], found["n_class"], found["n_all"])
        groups.setdefault(key + (round(found["weight"], 2),), []).append(metric)
    sentences = []
    for (status, used, n_class, n_all, weight), metrics in groups.items():
        inputs = _inputs_words(metrics)
        if status == "own":
            sentences.append(
                f"{inputs}: adjusted by the track record of class '{escape_text(used)}' "
                f"(column {by}): its {_projects(n_class)} carry weight {weight:.2f}, all "
                f"{_projects(n_all)} the rest."
            )
        elif name is None:
            sentences.append(
                f"{inputs}: the initiative names no {by}, so calibrated with all "
                f"{_projects(n_all)}."
            )
        elif status == "too_small":
            sentences.append(
                f"{inputs}: {name} has only {_projects(n_class)} (fewer than "
                f"{record.get('min_class_size')}), too few to use; calibrated with all "
                f"{_projects(n_all)}."
            )
        else:
            sentences.append(
                f"{inputs}: no past projects in {name}; calibrated with all {_projects(n_all)}."
            )
    uncalibrated = [
        m for m, r in case["inputs"]["stated"].items() if r and m not in record["metrics"]
    ]
    if uncalibrated:
        sentences.append(f"{_inputs_words(uncalibrated)}: no past record, used as stated.")
    return " ".join([*sentences, REFERENCE_METHOD])


def _inputs_words(metrics: Sequence[str]) -> str:
    """``Delivery cost and delivery time (weeks)``: input labels as a sentence's subject."""
    words = [input_label(m) if m in business_case.INPUTS else escape_text(m) for m in metrics]
    words = [words[0], *(w[:1].lower() + w[1:] if w[1:2].islower() else w for w in words[1:])]
    text = ", ".join(words[:-1]) + (f" and {words[-1]}" if len(words) > 1 else words[-1])
    return text[:1].upper() + text[1:]


def _projects(n: int) -> str:
    return f"{n:,} past project" + ("" if n == 1 else "s")


def fmt_inputs(case: Case) -> Any:
    """The ranges as stated beside the ranges the simulation draws from (calibrated when
    calibration applies). Both are inputs, named low / likely / high: the middle of the
    drawn range is not called a median or P50, which is the simulated figure of the
    summary (``cost["0.5"]``) and can differ from it by sampling."""
    currency = case["currency"]
    inputs = case["inputs"]
    rows = [
        {
            "input": input_label(name),
            "stated low / likely / high": range_text(name, inputs["stated"][name], currency),
            "range drawn from: low / likely / high": range_text(
                name, inputs["calibrated"][name], currency
            ),
        }
        for name in business_case.INPUTS
    ]
    return styled_table(pd.DataFrame(rows), name=f"inputs {case['id']}")
