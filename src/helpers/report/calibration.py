"""The calibration report's words and tables, read from a calibration document.

The document is ``calibration.json`` (``helpers.model.calibration.calibrate_history``
or ``calibrate_quarter``); nothing here re-computes a statistic. Sentences come
out as Markdown (``$`` escaped once, register text such as metric and class
names escaped), tables through :func:`helpers.report.tables.styled_table`, and
the command line's text table as plain text.

Every level label ("P80", "uplift P80") is formatted from ``budget_confidence``
through :func:`helpers.report.labels.level_label`. What a planner applies at that
level is one number per metric, :func:`plan_adjustment`: the uplift
U(p) = quantile₁₋ₚ(r) − 1 for a cost-like metric, the haircut 1 − quantileₚ(r)
for benefit, with p = 1 − budget_confidence. The sentences, the notebook table
and ``playbook calibrate`` all show that number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from helpers.core.fmt import fmt_pct, fmt_ratio, quantile_key
from helpers.load.history import dataset_path
from helpers.report.labels import level_label
from helpers.report.markdown import escape_text, returns_markdown
from helpers.report.tables import styled_table

ALL = "all projects"
SUMMARY_COLUMNS = (
    "metric",
    "class",
    "n",
    "median",
    "geometric_mean",
    "share_overrun",
    "share_on_estimate",
    "share_underrun",
    "bias_factor",
    "coverage",
    "widening",
    "uplift",
    "uplift_pooled",
)
CITATIONS = {
    "kitchenham": (
        "Kitchenham, Pfleeger, McColl & Eagan, *An empirical study of maintenance and "
        "development estimation accuracy*, Journal of Systems and Software 64 (2002): "
        "145 projects of one outsourcing company; first estimate against actual effort "
        "(person-hours), classes by project type."
    ),
    "rk31": (
        "Moløkken-Østvold & Jørgensen, *A comparison of software project overruns: flexible "
        "versus sequential development models*, IEEE Transactions on Software Engineering 31 "
        "(2005): 44 Norwegian projects; effort (hours) and duration, classes by development "
        "model (flex or seq)."
    ),
    "little06": (
        "Little, *Schedule estimation and uncertainty surrounding the cone of uncertainty*, "
        "IEEE Software 23(3) (2006): 121 projects at Landmark Graphics, 1999–2002; first "
        "estimated release against actual release, durations in weeks from the start."
    ),
}


# --- the one number a planner applies ----------------------------------------


def chance_key(budget_confidence: float) -> str:
    """The document key of the accepted chance of overrun: 0.8 -> ``"0.2"``."""
    return quantile_key(round(1 - budget_confidence, 10))


def plan_adjustment(
    found: Mapping[str, Any], entry: Mapping[str, Any], *, budget_confidence: float
) -> float | None:
    """What to apply to a stated figure to plan at ``budget_confidence`` (a fraction).

    ``found`` is the metric's part of the document, ``entry`` its overall or
    class entry. Benefit: the haircut 1 − quantileₚ(r) (cut the stated figure by
    it). Other metrics: the uplift quantile₁₋ₚ(r) − 1 read off the history, or
    the pooled lognormal model's when the document has no history uplift at that
    chance (add it). p = 1 − budget_confidence; None when the entry has no figure.
    """
    chance = chance_key(budget_confidence)
    if found["benefit"]:
        return (entry.get("haircut") or {}).get(chance)
    if chance in entry["uplift"]:
        return entry["uplift"][chance]
    return entry["uplift_pooled"].get(chance)


def adjustment_name(found: Mapping[str, Any], budget_confidence: float) -> str:
    """The column word for :func:`plan_adjustment`: ``uplift P80``, for benefit ``haircut P80``."""
    word = "haircut" if found["benefit"] else "uplift"
    return f"{word} {level_label(budget_confidence)}"


def _adjustment_text(found: Mapping[str, Any], value: float | None) -> str:
    """``add 13%`` (uplift) or ``cut 42%`` (haircut); a negative figure turns the verb round."""
    if value is None:
        return "–"
    adds = (value >= 0) != bool(found["benefit"])
    return f"{'add' if adds else 'cut'} {fmt_pct(abs(value))}"


# --- tables --------------------------------------------------------------------


def _entries(found: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    return [(ALL, found["overall"]), *found["by_class"].items()]


def summary_table(calibration: Mapping[str, Any], *, chance: float = 0.2) -> pd.DataFrame:
    """One row per metric and class (all projects first): how biased and how overconfident.

    Columns: metric, class, n, median, geometric_mean, share_overrun,
    share_on_estimate, share_underrun, bias_factor (e^bias, pooled),
    coverage, widening, uplift (empirical, at the given chance of overrun),
    uplift_pooled. Fractions, not percents.
    """
    rows = []
    for metric, found in calibration["metrics"].items():
        for label, entry in _entries(found):
            rows.append(
                {
                    "metric": metric,
                    "class": label,
                    "n": entry["n"],
                    "median": entry["quantiles"]["0.5"],
                    "geometric_mean": entry["geometric_mean"],
                    "share_overrun": entry["share_overrun"],
                    "share_on_estimate": entry["share_on_estimate"],
                    "share_underrun": entry["share_underrun"],
                    "bias_factor": math.exp(entry["bias"]),
                    "coverage": entry["coverage"],
                    "widening": entry["widening"],
                    "uplift": entry["uplift"].get(quantile_key(chance)),
                    "uplift_pooled": entry["uplift_pooled"].get(quantile_key(chance)),
                }
            )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def fmt_summary_table(calibration: Mapping[str, Any], *, budget_confidence: float) -> Any:
    """Per metric and class, as text: bias, shares, what to plan with, coverage (a Styler).

    The plan column holds :func:`plan_adjustment` at ``budget_confidence``: "add 13%"
    (uplift) or, for benefit, "cut 42%" (haircut), the numbers the sentences use.
    """
    table = summary_table(calibration, chance=round(1 - budget_confidence, 10))
    plans = [
        _adjustment_text(found, plan_adjustment(found, entry, budget_confidence=budget_confidence))
        for found in calibration["metrics"].values()
        for _, entry in _entries(found)
    ]
    frame = pd.DataFrame(
        {
            "metric": table["metric"],
            "class": table["class"],
            "projects": table["n"],
            "median ratio": [fmt_ratio(v) for v in table["median"]],
            "geometric mean": [fmt_ratio(v) for v in table["geometric_mean"]],
            "over / on / under": [
                f"{fmt_pct(o)} / {fmt_pct(e)} / {fmt_pct(u)}"
                for o, e, u in zip(
                    table["share_overrun"],
                    table["share_on_estimate"],
                    table["share_underrun"],
                    strict=True,
                )
            ],
            "bias used": [fmt_ratio(v) for v in table["bias_factor"]],
            f"to plan at {level_label(budget_confidence)}": plans,
            "range coverage": [fmt_pct(v) for v in table["coverage"]],
            "widening": [fmt_ratio(v) for v in table["widening"]],
        }
    )
    return styled_table(frame, name="calibration summary")


def excluded_frame(calibration: Mapping[str, Any]) -> Any:
    """Per metric, how many projects could not give a ratio, and why, with their ids (a Styler)."""
    rows = [
        {
            "metric": metric,
            "missing": found["excluded"]["missing"],
            "zero": found["excluded"]["zero"],
            "negative": found["excluded"]["negative"],
            "ids": ", ".join(found["excluded"]["ids"]),
        }
        for metric, found in calibration["metrics"].items()
    ]
    frame = pd.DataFrame(rows, columns=["metric", "missing", "zero", "negative", "ids"])
    return styled_table(frame, name="calibration excluded")


# --- sentences -------------------------------------------------------------------


@returns_markdown
def describe_bias(calibration: Mapping[str, Any], *, budget_confidence: float) -> str:
    """One Markdown bullet per metric: bias, overrun share, what to apply at the budget level."""
    lines = []
    for metric, found in calibration["metrics"].items():
        entry = found["overall"]
        name = escape_text(metric)
        if not entry["n"]:
            lines.append(f"- **{name}**: no project with a usable estimate and actual.")
            continue
        plan = plan_adjustment(found, entry, budget_confidence=budget_confidence)
        if plan is None:
            advice = ""
        elif found["benefit"]:
            advice = (
                f"cut stated {name} by {fmt_pct(plan)} to have a "
                f"{fmt_pct(1 - budget_confidence)} chance of falling short"
            )
        else:
            advice = f"add {fmt_pct(plan)} to plan at {level_label(budget_confidence)}"
        side = "fell short" if found["benefit"] else "overran"
        share = entry["share_underrun"] if found["benefit"] else entry["share_overrun"]
        lines.append(
            f"- **{name}** ({entry['n']} projects): actual was "
            f"{fmt_ratio(entry['geometric_mean'])} the estimate on (geometric) average "
            f"and {fmt_pct(share)} {side}; {advice}."
        )
    return "\n".join(lines)


@returns_markdown
def describe_coverage(calibration: Mapping[str, Any]) -> str:
    """One Markdown sentence per metric with stated ranges: coverage against nominal, widening."""
    nominal = calibration["confidence"]
    lines = []
    for metric, found in calibration["metrics"].items():
        entry = found["overall"]
        if entry["coverage"] is None:
            continue
        k = entry["widening"]
        if entry["coverage"] < nominal:
            verdict = (
                f"so they were overconfident: ranges {fmt_ratio(k)} as wide (in log terms, "
                "about the estimate) would have held the nominal share"
            )
        else:
            verdict = "so they were honest"
            if k is not None and k < 1:
                verdict += f" (even ranges {fmt_ratio(k)} as wide would have been)"
        lines.append(
            f"- **{escape_text(metric)}**: {fmt_pct(entry['coverage'])} of actuals fell inside "
            f"the {fmt_pct(nominal)} ranges stated ({entry['coverage_n']} projects), {verdict}."
        )
    if not lines:
        return "- No project in this history stated a range, so coverage cannot be checked."
    return "\n".join(lines)


@returns_markdown
def describe_summary(calibration: Mapping[str, Any], *, budget_confidence: float) -> str:
    """The report's summary in Markdown: the record, the bias, the ranges, and what we do."""
    source = escape_text(calibration.get("source", "the actuals register"))
    head = (
        f"Past estimates against actuals for **{calibration['projects']} projects** "
        f"({source}), per {escape_text(calibration['by'])}. Ratio = actual ÷ estimate; above "
        "×1 is an overrun (for benefit, below ×1 is a shortfall)."
    )
    action = (
        "**What we do with it:** every new estimate is moved by its class's bias (small "
        "classes lean on all projects) and widened to at least the spread of its track "
        "record before it is simulated. Business cases show this calibrated view beside "
        "the stated one."
    )
    return "\n\n".join(
        [
            head,
            describe_bias(calibration, budget_confidence=budget_confidence),
            describe_coverage(calibration),
            action,
        ]
    )


@returns_markdown
def describe_fit(calibration: Mapping[str, Any]) -> str:
    """One Markdown bullet per metric: how many projects overran, hit or beat the estimate."""
    lines = []
    for metric, found in calibration["metrics"].items():
        entry = found["overall"]
        if not entry["n"]:
            continue
        lines.append(
            f"- **{escape_text(metric)}**: {fmt_pct(entry['share_overrun'])} came in above the "
            f"estimate, {fmt_pct(entry['share_on_estimate'])} exactly on it and "
            f"{fmt_pct(entry['share_underrun'])} below; half were within "
            f"{fmt_ratio(entry['quantiles']['0.25'])}–{fmt_ratio(entry['quantiles']['0.75'])} "
            "of the estimate."
        )
    return "\n".join(lines) or "- No project with a usable estimate and actual."


@returns_markdown
def describe_spread(calibration: Mapping[str, Any]) -> str:
    """One Markdown bullet per metric: the classes whose outcomes scatter most and least."""
    lines = []
    for metric, found in calibration["metrics"].items():
        ranked = sorted(
            (
                (entry["sigma_raw"], label)
                for label, entry in found["by_class"].items()
                if entry["n"] >= calibration["min_class_size"] and entry["sigma_raw"] is not None
            ),
        )
        overall = found["overall"]["sigma_raw"]
        if overall is None:
            continue
        text = (
            f"- **{escape_text(metric)}**: a typical miss is {fmt_ratio(math.exp(overall))} "
            "either way (one standard deviation of log ratio)"
        )
        if len(ranked) >= 2:
            (low, calm), (high, wild) = ranked[0], ranked[-1]
            text += (
                f"; most in {escape_text(wild)} ({fmt_ratio(math.exp(high))}), "
                f"least in {escape_text(calm)} ({fmt_ratio(math.exp(low))})"
            )
        lines.append(text + ".")
    return "\n".join(lines) or "- Too few projects to measure the spread."


@returns_markdown
def describe_uplift(calibration: Mapping[str, Any], *, budget_confidence: float) -> str:
    """One Markdown bullet per metric: what to add (or cut, for benefit) at two confidences.

    The first is ``budget_confidence``; the second a stricter 10% chance (5% when
    the budget already accepts 10% or less).
    """
    chance = chance_key(budget_confidence)
    stricter = "0.1" if float(chance) > 0.1 + 1e-9 else "0.05"
    lines = []
    for metric, found in calibration["metrics"].items():
        entry = found["overall"]
        if not entry["n"]:
            continue
        name = escape_text(metric)
        if found["benefit"]:
            lines.append(
                f"- **{name}**: to keep the chance of falling short at {fmt_pct(float(chance))}, "
                f"cut the stated figure by "
                f"{fmt_pct(plan_adjustment(found, entry, budget_confidence=budget_confidence))}; "
                f"at {fmt_pct(float(stricter))}, by {fmt_pct(entry['haircut'].get(stricter))}."
            )
        else:
            lines.append(
                f"- **{name}**: to keep the chance of overrun at {fmt_pct(float(chance))}, add "
                f"{fmt_pct(entry['uplift'].get(chance))} (history) or "
                f"{fmt_pct(entry['uplift_pooled'].get(chance))} (lognormal model); at "
                f"{fmt_pct(float(stricter))}, add {fmt_pct(entry['uplift'].get(stricter))}."
            )
    return "\n".join(lines) or "- No project with a usable estimate and actual."


@returns_markdown
def describe_trend(calibration: Mapping[str, Any]) -> str:
    """One Markdown bullet per metric: earlier against later projects (by completion quarter)."""
    lines = []
    for metric, found in calibration["metrics"].items():
        trend = found["overall"]["trend"]
        if len(trend) < 2:
            continue
        half = len(trend) // 2
        early, late = trend[:half], trend[half:]
        (before, n_before), (after, n_after) = _pooled_trend(early), _pooled_trend(late)
        verdict = (
            "closer to estimate"
            if abs(math.log(after)) < abs(math.log(before))
            else "no closer to estimate"
        )
        lines.append(
            f"- **{escape_text(metric)}**: {fmt_ratio(before)} in "
            f"{early[0]['quarter']}–{early[-1]['quarter']} ({n_before} projects) against "
            f"{fmt_ratio(after)} in {late[0]['quarter']}–{late[-1]['quarter']} "
            f"({n_after} projects): {verdict}."
        )
    return "\n".join(lines) or "- No completion dates, so no trend can be shown."


def _pooled_trend(points: list[Mapping[str, Any]]) -> tuple[float, int]:
    """Geometric mean over several quarters' points (weighted by projects), and their count."""
    n = sum(p["n"] for p in points)
    return math.exp(sum(p["n"] * math.log(p["geometric_mean"]) for p in points) / n), n


@returns_markdown
def describe_excluded(calibration: Mapping[str, Any]) -> str:
    """Markdown: how many projects per metric could not give a ratio, and why."""
    lines = []
    for metric, found in calibration["metrics"].items():
        ex = found["excluded"]
        count = ex["missing"] + ex["zero"] + ex["negative"]
        if count:
            lines.append(
                f"- **{escape_text(metric)}**: {count} of {calibration['projects']} projects left "
                f"out of the ratios ({ex['missing']} with no estimate or actual, {ex['zero']} "
                f"zero, {ex['negative']} negative)."
            )
    return "\n".join(lines) or "- Every project gave a usable ratio for every metric."


@returns_markdown
def describe_method(calibration: Mapping[str, Any]) -> str:
    """Markdown: the settings this calibration used, in words."""
    n0 = calibration["n0"]
    return (
        f"Classes by `{calibration['by']}`. A class of n projects gets the credibility "
        f"weight n ÷ (n + {n0:g}) against all projects; classes with fewer than "
        f"{calibration['min_class_size']} usable projects use all projects. Ranges were "
        f"taken as stated at {fmt_pct(calibration['confidence'])} confidence."
        + _running_text(calibration)
    )


def _running_text(calibration: Mapping[str, Any]) -> str:
    """The sentences on projects still running, when a metric's record holds any."""
    metrics = calibration.get("metrics", {})
    found = metrics.get("duration")
    running = found["overall"].get("n_running", 0) if found else 0
    text = ""
    if running:
        text += (
            f" {running} project{'s' if running != 1 else ''} still running on "
            f"{calibration.get('as_of')} count{'' if running != 1 else 's'} toward the duration "
            "record as lower bounds (elapsed ÷ estimated weeks: the ratio will be at least "
            "that), combined with the finished projects by the Kaplan–Meier (product-limit) "
            "estimator; leaving them out would calibrate on the projects that finished early, "
            "which are the ones that overran least."
        )
    spent = [
        f"{escape_text(m)} ({entry['overall']['n_running']})"
        for m, entry in metrics.items()
        if m != "duration" and entry["overall"].get("n_running")
    ]
    if spent:
        text += (
            " Running projects' spend so far (`_to_date`) is a lower bound the same way for "
            + ", ".join(spent)
            + "; without it a running project's other metrics stay out."
        )
    elif running:
        text += " Their cost, effort and benefit are not known yet and stay out."
    return text


# --- the published-history example ------------------------------------------------


@returns_markdown
def describe_dataset(dataset: str, datasets_dir: str | Path) -> str:
    """Markdown: which published dataset this is, or a clear note that the folder is absent."""
    path = dataset_path(dataset, datasets_dir)
    if not path.is_file():
        return (
            f"**The published datasets were not found** (looked for `{path}`). Clone the "
            "project beside `shared/datasets`, or set `datasets_dir` to the folder that holds "
            "them; the sections below are empty until then."
        )
    return f"{CITATIONS[dataset]} Read in place from `{path}`."


@returns_markdown
def describe_published(dataset: str, calibration: Mapping[str, Any]) -> str:
    """Markdown: the paper's published claim beside the figure this calibration computes."""
    metrics = calibration.get("metrics", {})
    if not metrics:
        return "- No data: the dataset was not found, so there is nothing to compare."
    if dataset == "kitchenham":
        effort = metrics["effort"]["overall"]
        return (
            f"- Published: mean |actual − estimate| ÷ actual about 26%, about 63% of projects "
            f"within 25%. Here: **{fmt_pct(effort['mmre'])}** and "
            f"**{fmt_pct(effort['pred_25'])}** over {effort['n']} projects."
        )
    if dataset == "rk31":
        effort = metrics["effort"]["by_class"]
        flex, seq = effort["flex"], effort["seq"]
        verdict = "less" if flex["geometric_mean"] < seq["geometric_mean"] else "not less"
        return (
            "- Published: flexible (incremental) projects overran their effort estimates less "
            f"than sequential ones. Here: flexible {fmt_ratio(flex['geometric_mean'])} (geometric "
            f"mean, {fmt_pct(flex['share_overrun'])} overran, n = {flex['n']}) against "
            f"sequential {fmt_ratio(seq['geometric_mean'])} ({fmt_pct(seq['share_overrun'])} "
            f"overran, n = {seq['n']}): flexible overran **{verdict}**."
        )
    duration = metrics["duration"]["overall"]
    return (
        "- Published: most projects finished later than first estimated; actual ÷ estimate "
        f"is close to lognormal. Here: **{fmt_pct(duration['share_overrun'])}** finished "
        f"late; median ratio {fmt_ratio(duration['quantiles']['0.5'])} against geometric mean "
        f"{fmt_ratio(duration['geometric_mean'])} (equal for a lognormal)."
    )


# --- the command line's text table ---------------------------------------------------


def _pct(value: float | None) -> str:
    return (
        "–"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{100 * value:.0f}%"
    )


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


COLUMNS = (
    ("class", "<"),
    ("n", ">"),
    ("median", ">"),
    ("geo mean", ">"),
    ("over", ">"),
    ("on", ">"),
    ("under", ">"),
    ("plan", ">"),  # header from adjustment_name: "uplift P80" or "haircut P80"
    ("coverage", ">"),
    ("widening", ">"),
)


def _line(cells: list[str], widths: list[int]) -> str:
    return "  ".join(
        f"{cell:{align}{width}}"
        for cell, (_, align), width in zip(cells, COLUMNS, widths, strict=True)
    )


def render_table(document: Mapping[str, Any], *, budget_confidence: float) -> str:
    """The calibration document as plain text for a terminal: one table per metric.

    The plan column is :func:`plan_adjustment` at ``budget_confidence`` (a fraction),
    headed ``uplift P80`` or, for benefit, ``haircut P80``.
    """
    lines = [
        f"Calibration of {document.get('source', 'actuals')}: ratio = actual / estimate, "
        f"classes by {document['by']}; ranges stated at {_pct(document['confidence'])}."
    ]
    for metric, found in document["metrics"].items():
        rows = [
            [
                label,
                str(e["n"]),
                _num(e["quantiles"]["0.5"]),
                _num(e["geometric_mean"]),
                _pct(e["share_overrun"]),
                _pct(e["share_on_estimate"]),
                _pct(e["share_underrun"]),
                _pct(plan_adjustment(found, e, budget_confidence=budget_confidence)),
                _pct(e["coverage"]),
                _num(e["widening"]),
            ]
            for label, e in _entries(found)
        ]
        header = [name for name, _ in COLUMNS]
        header[7] = adjustment_name(found, budget_confidence)
        widths = [max(len(name), *(len(row[i]) for row in rows)) for i, name in enumerate(header)]
        lines += ["", f"{metric}", _line(header, widths)]
        lines += [_line(["-" * w for w in widths], widths)] + [_line(row, widths) for row in rows]
        excluded = found["excluded"]
        count = excluded["missing"] + excluded["zero"] + excluded["negative"]
        if count:
            shown = ", ".join(excluded["ids"][:10]) + (" …" if count > 10 else "")
            lines.append(
                f"excluded {count}: {excluded['missing']} missing, {excluded['zero']} zero, "
                f"{excluded['negative']} negative ({shown})"
            )
    return "\n".join(lines)
