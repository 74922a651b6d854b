"""Words and tables for the backtest (``helpers.model.backtest``) and for calibrated new estimates.

The verdict reads "Out of sample, our calibrated P80 held 81% of actual costs;
raw estimates held 62%." Levels come from :func:`helpers.report.labels.level_label`;
shares are formatted once here. The share said is the tie-split one (an actual
equal to the quantile counts half below it); where ties matter the shares at
or below and strictly below are given beside it. Each verdict comes with the
sampling error (one binomial standard error, in points, to two significant
figures) so a reader does not take noise for a verdict; shares get a decimal
where that error is under a point.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from helpers.core.fmt import fmt_pct
from helpers.model.backtest import GOAL, NO_CLASS, held_check, standard_error
from helpers.report.labels import level_label
from helpers.report.markdown import escape_text, returns_markdown

TIE_GAP = 0.005  # shares ≤ and < further apart than this: ties worth showing
ACTUALS_WORDS = {
    "cost": "actual costs",
    "duration": "actual durations",
    "effort": "actual efforts",
    "benefit": "actual benefits",
}


def actuals_words(metric: str) -> str:
    """How a sentence names a metric's actual figures: ``cost`` → ``actual costs``."""
    return ACTUALS_WORDS.get(metric, f"actual {escape_text(metric)} figures")


def fmt_points(fraction: float | None) -> str:
    """A sampling error in percentage points, two significant figures: 0.0046 → ``0.46 points``."""
    if fraction is None:
        return "–"
    return f"{100 * fraction:.2g} points"


def _digits(n: int) -> int:
    """Decimals a share of n rows deserves: one where a standard error is under a point."""
    return 1 if n and standard_error(0.5, n) < 0.01 else 0


def _shares(summary: Mapping[str, Any], level: float) -> tuple[float, float, float]:
    """The shares tie-split, at or below and strictly below the calibrated quantile at ``level``."""
    key = f"p{round(100 * level)}"
    if f"share_tiesplit_{key}" in summary:
        return (
            summary[f"share_tiesplit_{key}"],
            summary[f"share_le_{key}"],
            summary[f"share_lt_{key}"],
        )
    # another level (e.g. a budget confidence of 0.9): from the reliability curve
    reliability = summary["reliability"]
    at = [round(q, 6) for q in reliability["levels"]].index(round(level, 6))
    return (
        reliability["share_tiesplit"][at],
        reliability["share_le"][at],
        reliability["share_lt"][at],
    )


def held_words(summary: Mapping[str, Any], level: float) -> str:
    """How close the calibrated quantile came to its level, as ``backtest.held_check`` judges.

    "within 3 points of 80%", "within sampling error of 80%" or "further from
    80% than sampling error explains", on the tie-split share.
    """
    share = _shares(summary, level)[0]
    verdict = held_check(share, level, summary["n"])
    if verdict == "within_goal":
        return f"within {round(100 * GOAL)} points of {fmt_pct(level)}"
    if verdict == "within_sampling_error":
        return f"within sampling error of {fmt_pct(level)}"
    return f"further from {fmt_pct(level)} than sampling error explains"


def _held(summary: Mapping[str, Any], level: float) -> str:
    share, le, lt = _shares(summary, level)
    digits = _digits(summary["n"])
    if le - lt > TIE_GAP:
        return (
            f"{fmt_pct(share, digits)} (ties split: {fmt_pct(le, digits)} at or below it, "
            f"{fmt_pct(lt, digits)} strictly below)"
        )
    return fmt_pct(share, digits)


@returns_markdown
def describe_backtest(document: Mapping[str, Any], *, level: float = 0.8) -> str:
    """One Markdown bullet per metric: how the calibrated quantiles held out of sample."""
    lines = []
    for metric, found in document["backtest"].items():
        s = found["summary"]
        if not found["enough_history"]:
            lines.append(
                f"- **{escape_text(metric)}**: only {found['n_dated']} dated projects; at least "
                f"{document['min_rows']} are needed to check calibration out of sample, so no "
                "verdict yet."
            )
            continue
        coverage = s.get("coverage_p10_p90_tiesplit", s["coverage_p10_p90"])
        lines.append(
            f"- **{escape_text(metric)}**: out of sample, our calibrated {level_label(level)} "
            f"held {_held(s, level)} of {actuals_words(metric)}; raw estimates held "
            f"{fmt_pct(s['share_le_estimate'])}. The calibrated {level_label(0.5)} held "
            f"{_held(s, 0.5)} and {fmt_pct(coverage, _digits(s['n']))} fell between "
            f"{level_label(0.1)} and {level_label(0.9)} ({s['n']:,} projects predicted; "
            f"sampling error ±{fmt_points(standard_error(level, s['n']))} at "
            f"{level_label(level)}). The {level_label(level)} is "
            f"{held_words(s, level)}, the {level_label(0.5)} {held_words(s, 0.5)}."
        )
    return "\n".join(lines) or "- No metric to check."


@returns_markdown
def describe_backtest_method(document: Mapping[str, Any]) -> str:
    """Markdown: how the backtest was run, in words."""
    cuts = document["cut_fractions"]
    return (
        f"Projects sorted by completion date; at each cut ({fmt_pct(cuts[0])} to "
        f"{fmt_pct(cuts[-1])} of the history) the calibration is built from the projects "
        "before the cut and predicts those up to the next cut (the last cut: to the end), so "
        "each later project is predicted once, from its own point estimate and class "
        f"(`{document['by']}`, pooled with weight n ÷ (n + {document['n0']:g})). A calibrated "
        f"{level_label(0.8)} is honest when about {fmt_pct(0.8)} of later actuals land below "
        "it. With whole-number estimates an actual often equals it exactly: such a tie counts "
        "half below and half above (the share is the one strictly below plus half the share "
        "equal), so a record where nearly every actual equals its estimate cannot pass by "
        "ties alone; the shares at or below and strictly below are shown beside it. The "
        "verdict: within 3 points of the level, else within two standard errors "
        "√(level × (1 − level) ÷ n) of it, else it misses. "
        f"Metrics with fewer than {document['min_rows']} dated projects get no verdict. "
        "Projects still running at a cut (started before it, finished after) enter its "
        "duration calibration as lower bounds, elapsed ÷ estimated weeks at the cut, through "
        "the Kaplan–Meier estimator: only what was known at the cut, never their later actual. "
        "Without them the calibration would hold only the projects that finished early, "
        "which are the ones that overran least."
    )


def _held_cell(summary: Mapping[str, Any], level: float) -> str:
    """A table cell: the tie-split share, with ≤ and < where ties split them."""
    share, le, lt = _shares(summary, level)
    if share is None:
        return "–"
    digits = _digits(summary["n"])
    if le - lt > TIE_GAP:
        return f"{fmt_pct(share, digits)} (≤ {fmt_pct(le, digits)}, < {fmt_pct(lt, digits)})"
    return fmt_pct(share, digits)


def backtest_table(document: Mapping[str, Any]) -> pd.DataFrame:
    """One row per metric (then all metrics): rows predicted and the shares, as text.

    A "held" cell is the tie-split share (an actual equal to the quantile counts
    half); where ties split it, the shares at or below and strictly below follow.
    """
    entries = list(document["backtest"].items())
    if len(entries) > 1:
        entries.append(("all metrics", {"enough_history": True, "summary": document["overall"]}))
    rows = []
    for metric, found in entries:
        s = found["summary"]
        rows.append(
            {
                "metric": metric,
                "predicted": s["n"],
                f"{level_label(0.5)} held": _held_cell(s, 0.5),
                f"{level_label(0.8)} held": _held_cell(s, 0.8),
                f"{level_label(0.8)} ± se": fmt_points(s.get("se_p80")),
                f"{level_label(0.1)}–{level_label(0.9)}": fmt_pct(
                    s.get("coverage_p10_p90_tiesplit", s["coverage_p10_p90"]), _digits(s["n"])
                ),
                "≤ raw estimate": fmt_pct(s["share_le_estimate"]),
            }
        )
    return pd.DataFrame(rows)


def _class_name(by: str) -> str:
    return "no classes" if by == NO_CLASS else f"`{by}`"


def by_candidates_table(document: Mapping[str, Any]) -> pd.DataFrame:
    """One row per class column compared (``by_candidates``): loss and tie-split shares."""
    found = document.get("by_candidates") or {}
    rows = []
    for c in found.get("candidates", []):
        digits = _digits(c["n"])
        rows.append(
            {
                "calibrate by": "none" if c["by"] == NO_CLASS else c["by"],
                "classes": c["classes"],
                "loss": "–" if c["loss"] is None else f"{c['loss']:.4f}",
                "vs best": _gap(c, found.get("recommended")),
                f"{level_label(0.5)} held": fmt_pct(c["share_tiesplit_p50"], digits),
                f"{level_label(0.8)} held": fmt_pct(c["share_tiesplit_p80"], digits),
                f"{level_label(0.1)}–{level_label(0.9)}": fmt_pct(
                    c["coverage_p10_p90_tiesplit"], digits
                ),
                "use": "◀" if c["by"] == found.get("recommended") else "",
            }
        )
    return pd.DataFrame(rows)


def _gap(candidate: Mapping[str, Any], best: str | None) -> str:
    """A candidate's loss above the best's, with the standard error of that paired gap."""
    if candidate["loss_gap"] is None:
        return "–"
    if candidate["by"] == best:
        return "best"
    return f"+{candidate['loss_gap']:.4f} ± {candidate['loss_gap_se'] or 0:.4f}"


@returns_markdown
def describe_by_candidates(document: Mapping[str, Any]) -> str:
    """Markdown: which class column to calibrate by, and how clear the evidence is."""
    found = document.get("by_candidates") or {}
    best = found.get("recommended")
    if best is None:
        return "Too little dated history to compare class columns out of sample."
    scored = {c["by"]: c for c in found["candidates"] if c["loss"] is not None}
    chosen = scored[best]
    others = [c for b, c in scored.items() if b != best]
    if not others:
        return f"Only {_class_name(best)} could be checked out of sample."
    runner = min(others, key=lambda c: c["loss"])
    explain = (
        " The loss is the pinball loss of log(actual ÷ estimate) against the calibrated "
        f"{level_label(0.1)}…{level_label(0.9)}, averaged over every later project: lower is "
        "better, and a class column that splits the record into classes too small to learn "
        "from does worse than none."
    )
    current = document.get("by")
    if not found.get("clear"):
        keep = f"keep `{current}`" if current is not None else "keep the current classes"
        return (
            f"No class column predicts clearly better than another out of sample: "
            f"{_class_name(best)} scored lowest ({chosen['loss']:.4f} against "
            f"{runner['loss']:.4f} with {_class_name(runner['by'])}, a gap within two standard "
            f"errors), so {keep} or calibrate with no classes.{explain}"
        )
    relative = runner["loss_gap"] / runner["loss"] if runner["loss"] else 0.0
    advice = (
        f" The calibration now uses `{current}`: set `calibration.by: {best}` to switch."
        if current is not None and current != best and best != NO_CLASS
        else f" The calibration now uses `{current}`: the record says classes do not help."
        if current is not None and current != best
        else ""
    )
    return (
        f"Calibrate by {_class_name(best)}: its out-of-sample quantile loss is "
        f"{chosen['loss']:.4f} against {runner['loss']:.4f} with "
        f"{_class_name(runner['by'])} ({fmt_pct(relative, 1)} lower, more than two standard "
        f"errors).{advice}{explain}"
    )


def render_backtest(document: Mapping[str, Any], *, source: str = "actuals") -> str:
    """The backtest for a terminal: a table and the verdict in plain text."""
    head = f"Backtest of the calibration of {source} (out of sample, by completion date)."
    table = backtest_table(document).to_string(index=False)
    parts = [head, table, describe_backtest(document).plain]
    if document.get("by_candidates"):
        parts += [
            "Which class column to calibrate by (out of sample):",
            by_candidates_table(document).to_string(index=False),
            describe_by_candidates(document).plain,
        ]
    parts.append(describe_backtest_method(document).plain)
    return "\n\n".join(parts)


# the unit each metric's estimates and answers are in (DESIGN: money in the
# register's currency, durations in weeks, effort in IT person-weeks)
ESTIMATE_UNITS = {
    "cost": "money",
    "benefit": "money a year",
    "duration": "weeks",
    "effort": "person-weeks",
}
WEIGHT_MEANING = (
    "weight: how much the class's own record counts against the record of all past "
    "projects, n / (n + n0), from 0 (all projects only) to 1 (the class only)"
)


def estimates_table(document: Mapping[str, Any]) -> pd.DataFrame:
    """One row per new estimate and metric: stated figure with its unit, calibrated
    quantiles, the class used and how many past projects it rests on, and its weight."""
    rows = []
    for ident, metrics in document["estimates"].items():
        for metric, found in metrics.items():
            stated = found["stated"]
            point = stated["low"] == stated["high"]
            row = {
                "id": ident,
                "metric": metric,
                "unit": ESTIMATE_UNITS.get(metric, ""),
                "stated": (
                    _figure(stated["low"])
                    if point
                    else f"{_figure(stated['low'])}–{_figure(stated['high'])}"
                ),
            }
            for key, value in found["quantiles"].items():
                row[level_label(float(key))] = _figure(value)
            row["class used"] = found["class_used"] or "all projects"
            n = found.get("n_projects")
            row["past projects"] = "–" if n is None else f"{n:,}"
            row["weight"] = f"{found['weight']:.2f}"
            rows.append(row)
    return pd.DataFrame(rows)


def estimate_sentence(
    ident: str, metric: str, found: Mapping[str, Any], *, level: float = 0.8
) -> str:
    """One estimate in words: "NEW-1 duration: you said 40 weeks; plan on 75 weeks to be
    80% sure; past crm projects (n=12) ran 1.25× their estimates on average."."""
    unit = ESTIMATE_UNITS.get(metric, "")
    after = "" if unit in ("money", "money a year", "") else f" {unit}"
    stated = found["stated"]
    said = (
        _figure(stated["low"])
        if stated["low"] == stated["high"]
        else f"{_figure(stated['low'])}–{_figure(stated['high'])}"
    )
    quantiles = {float(k): v for k, v in found["quantiles"].items()}
    chosen = level if level in quantiles else max(quantiles)
    text = (
        f"{ident} {metric}: you said {said}{after}; plan on "
        f"{_figure(quantiles[chosen])}{after} to be {round(chosen * 100)}% sure"
    )
    n, mean = found.get("n_projects"), found.get("ratio_mean")
    if n is None or mean is None:
        return text + "; no past project records this metric, so this is the range as stated."
    who = f"past {found['class_used']} projects" if found["class_used"] else "all past projects"
    text += f"; {who} (n={n:,}) ran {mean:.2f}× their estimates on average"
    if found["class_used"] and found["weight"] < 1:
        text += (
            f", counted at weight {found['weight']:.2f} against all past projects "
            f"(n={found.get('n_all') or 0:,})"
        )
    elif found.get("class") and not found["class_used"]:
        text += f" (class {found['class']} has too few past projects of its own)"
    return text + "."


def _figure(value: float) -> str:
    """A figure in the estimate's own units: whole thousands separated, small ones to 3 digits."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def render_estimates(
    document: Mapping[str, Any],
    *,
    source: str = "actuals",
    level: float = 0.8,
    n0: float | None = None,
) -> str:
    """Calibrated new estimates for a terminal: a table of what to plan on, per row and
    metric, then one sentence per estimate and what ``weight`` means."""
    levels = ", ".join(level_label(float(k)) for k in document["levels"])
    head = (
        f"New estimates calibrated by the record of {source} (classes by {document['by']}): "
        f"{levels} of what each will really take, in the estimate's unit."
    )
    table = estimates_table(document)
    if not len(table):
        return f"{head}\n\n(no estimate to calibrate)"
    sentences = [
        estimate_sentence(ident, metric, found, level=level)
        for ident, metrics in document["estimates"].items()
        for metric, found in metrics.items()
    ]
    return "\n\n".join(
        [
            head,
            table.to_string(index=False),
            "\n".join(sentences),
            WEIGHT_MEANING + ("." if n0 is None else f", with n0 = {n0:g} here."),
        ]
    )


def published_table(documents: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """One row per published dataset and metric: the backtest shares, as text."""
    frames = []
    for dataset, document in documents.items():
        table = backtest_table(document)
        table.insert(0, "dataset", dataset)
        frames.append(table[table["metric"] != "all metrics"])
    if not frames:
        return pd.DataFrame(columns=["dataset", "metric"])
    return pd.concat(frames, ignore_index=True)


@returns_markdown
def describe_published(documents: Mapping[str, Mapping[str, Any]], *, level: float = 0.8) -> str:
    """Markdown: one verdict bullet per published dataset and metric, or that none was found."""
    if not documents:
        return "- The published datasets were not found, so there is no backtest to show."
    lines = []
    for dataset, document in documents.items():
        for line in describe_backtest(document, level=level).splitlines():
            lines.append(line.replace("- **", f"- **{escape_text(dataset)}, ", 1))
    return "\n".join(lines)
