"""The words and tables of the quarter review (``helpers.model.review``'s document).

Shares are said as "held k of n" against the nominal level, so a reader sees
at once whether a forecast was honest; levels come from ``level_label``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from helpers.core.fmt import fmt_money, fmt_pct
from helpers.report.keys import document_value, figure_key, tagged
from helpers.report.labels import INPUT_LABELS, level_label
from helpers.report.markdown import escape_text, returns_markdown
from helpers.report.tables import styled_table

STATUS_LABELS = {
    "delivered": "delivered",
    "stopped": "stopped",
    "cancelled": "cancelled",
    "slipped": "slipped (past its P80 delivery time, no outcome yet)",
    "in_progress": "in progress",
}
METRIC_WORDS = {
    "cost": "costs",
    "duration": "delivery times",
    "effort": "efforts",
    "benefit": "benefits",
}


def percentile_label(value: float | None, *, lowest: float = 0.05, highest: float = 0.95) -> str:
    """Where an actual landed: 0.536 -> ``P54``; at the forecast's edges ``P5 or below``."""
    if value is None:
        return ""
    if value <= lowest:
        return f"{level_label(lowest)} or below"
    if value >= highest:
        return f"{level_label(highest)} or above"
    return level_label(round(value, 2))


def held_count(share: float | None, n: int) -> str:
    """A tie-split share as a count: 0.625 of 4 -> ``2½ of 4`` (a tie counts half)."""
    if share is None:
        return "no forecast to check"
    halves = round(2 * share * n)
    whole = f"{halves // 2}½" if halves % 2 else f"{halves // 2}"
    return f"{whole.replace('0½', '½')} of {n}"


def _figure(review: Mapping[str, Any], fmt: Any, *steps: str) -> str:
    """A figure of the review document in a Markdown sentence, tagged ``review.<steps>``."""
    value = document_value(review, *steps)
    return tagged(fmt(value), figure_key("review", *steps), value)


@returns_markdown
def describe_summary(review: Mapping[str, Any], *, currency: str) -> str:
    """The review's headline: what was funded and happened, and how the forecasts held; each
    figure tagged with its key in the review document (``review.…``)."""
    portfolio = review["portfolio"]
    quarters = ", ".join(review["reviewed_quarters"]) or "no earlier quarter"

    def money(value: float) -> str:
        return fmt_money(value, currency)

    if not portfolio["funded"]:
        head = (
            f"No published roadmap before {review['quarter']} to review: "
            "build the previous quarter first."
        )
    else:
        counts = ", ".join(
            f"{_figure(review, str, 'portfolio', 'by_status', s)} {STATUS_LABELS[s].split(' (')[0]}"
            for s in sorted(portfolio["by_status"])
        )
        funded = _figure(review, str, "portfolio", "funded")
        head = f"**{funded} initiatives funded in {quarters}**: {counts}."
    lines = [head]
    if portfolio["n_cost"]:
        lines.append(
            f"Actual cost {_figure(review, money, 'portfolio', 'actual_cost')} against "
            f"{_figure(review, money, 'portfolio', 'expected_cost')} expected "
            f"({_figure(review, str, 'portfolio', 'n_cost')} with a cost recorded)."
        )
    kpis = [
        e["kpi"]
        for e in review["initiatives"].values()
        if (e.get("kpi") or {}).get("met") is not None
    ]
    if kpis:
        met = sum(1 for k in kpis if k["met"])
        lines.append(f"{met} of {len(kpis)} measured KPIs met their target.")
    verification = review["forecast_verification"].get("cost")
    if verification:
        n = verification["n"]

        def held(name: str) -> str:
            return _figure(
                review, lambda share: held_count(share, n), "forecast_verification", "cost", name
            )

        lines.append(
            f"Our calibrated {level_label(0.8)} held {held('share_tiesplit_p80')} costs; the "
            f"stated ranges held {held('stated_share_tiesplit_p80')}."
        )
    flagged = review.get("benefit_flags") or []
    if flagged:
        lines.append(
            f"**Check the recorded benefit of {', '.join(escape_text(i) for i in flagged)}**: "
            "its own realised drivers imply more than twice or under half of it (see the value "
            "section)."
        )
    return "\n\n".join(lines)


def _benefit_flag(review: Mapping[str, Any], ident: str, currency: str) -> str:
    """One initiative whose realised drivers contradict its recorded benefit, in words; each
    figure tagged ``review.initiatives.<id>.benefit_check.…``."""
    check = review["initiatives"][ident]["benefit_check"]
    assumed = (
        f" (taking {', '.join(escape_text(d) for d in check['assumed'])} as stated)"
        if check["assumed"]
        else ""
    )

    def figure(name: str, fmt: Any) -> str:
        return _figure(review, fmt, "initiatives", ident, "benefit_check", name)

    def money(value: float) -> str:
        return fmt_money(value, currency)

    return (
        f"**Check {escape_text(ident)}'s benefit**: its realised drivers imply "
        f"{figure('implied', money)} a year{assumed} against a recorded "
        f"{figure('recorded', money)} ({figure('ratio', lambda r: f'{r:.2g}')} times as much). "
        "One of the two is wrong or measured over another period or scope; correct it "
        "before it calibrates later cases."
    )


@returns_markdown
def describe_statuses(review: Mapping[str, Any]) -> str:
    """What was delivered, stopped or slipped, by name."""
    groups: dict[str, list[str]] = {}
    for initiative_id, entry in review["initiatives"].items():
        groups.setdefault(entry["status"], []).append(
            f"{escape_text(entry['name'])} ({escape_text(initiative_id)})"
        )
    if not groups:
        return "Nothing to review yet."
    return "\n".join(
        f"- **{STATUS_LABELS[status].capitalize()}**: {'; '.join(names)}"
        for status, names in sorted(groups.items())
    )


def initiatives_frame(review: Mapping[str, Any]) -> pd.DataFrame:
    """One row per funded initiative: status and the percentile each actual landed at."""
    rows = []
    for initiative_id, entry in review["initiatives"].items():
        row = {
            "Initiative": f"{initiative_id}: {entry['name']}",
            "Funded in": entry["funded_in"],
            "Status": STATUS_LABELS[entry["status"]],
        }
        for metric, label in INPUT_LABELS.items():
            value = entry["percentile"].get(metric)
            row[label] = percentile_label(value)
        rows.append(row)
    return pd.DataFrame(rows)


def fmt_initiatives_table(review: Mapping[str, Any]) -> Any:
    """:func:`initiatives_frame` as a report table."""
    return styled_table(initiatives_frame(review), name="review-initiatives")


@returns_markdown
def describe_percentiles(review: Mapping[str, Any]) -> str:
    """Where actuals landed in their calibrated forecasts."""
    placed = review.get("placed", [])
    if not placed:
        return "No delivered outcome has a published forecast yet: nothing to place."
    above = [p for p in placed if p["percentile"] is not None and p["percentile"] > 0.8]
    return (
        f"{len(placed)} actuals placed in their calibrated forecasts; "
        f"{len(above)} landed above {level_label(0.8)}. A percentile is the level of the "
        "forecast the actual matched: P50 is on the median, P90 means only one forecast in ten "
        "should land that high."
    )


def _tied_share(entry: Mapping[str, Any], name: str) -> str:
    """A tie-split share, with the shares at or below and strictly below where ties split it."""
    share = entry.get(name.replace("share_", "share_tiesplit_", 1))
    le, lt = (
        entry.get(name.replace("share_", "share_le_", 1)),
        entry.get(name.replace("share_", "share_lt_", 1)),
    )
    if share is None or le is None or lt is None or le == lt:
        return fmt_pct(share)
    return f"{fmt_pct(share)} (≤ {fmt_pct(le)}, < {fmt_pct(lt)})"


def verification_frame(review: Mapping[str, Any]) -> pd.DataFrame:
    """Per metric: n and the tie-split shares below P50 and P80, calibrated and stated.

    Where an actual equals the quantile the cell adds the shares at or below
    and strictly below it: the tie-split share counts such an actual half.
    """
    rows = []
    for metric, entry in review["forecast_verification"].items():
        rows.append(
            {
                "Metric": INPUT_LABELS.get(metric, metric),
                "Outcomes": entry["n"],
                f"below calibrated {level_label(0.5)}": _tied_share(entry, "share_p50"),
                f"below calibrated {level_label(0.8)}": _tied_share(entry, "share_p80"),
                f"below stated {level_label(0.5)}": _tied_share(entry, "stated_share_p50"),
                f"below stated {level_label(0.8)}": _tied_share(entry, "stated_share_p80"),
            }
        )
    return pd.DataFrame(rows)


def fmt_verification_table(review: Mapping[str, Any]) -> Any:
    """:func:`verification_frame` as a report table."""
    return styled_table(verification_frame(review), name="review-verification")


@returns_markdown
def describe_verification(review: Mapping[str, Any]) -> str:
    """The forecast check in one sentence per metric."""
    found = review["forecast_verification"]
    if not found:
        return "No recorded outcome has a published forecast yet: nothing to verify."
    lines = []
    for metric, entry in found.items():
        n = entry["n"]
        calibrated = entry.get("share_tiesplit_p80", entry["share_le_p80"])
        stated = entry.get("stated_share_tiesplit_p80", entry["stated_share_le_p80"])
        lines.append(
            f"- {INPUT_LABELS.get(metric, metric)}: our calibrated {level_label(0.8)} held "
            f"{held_count(calibrated, n)} {METRIC_WORDS.get(metric, metric)}; the stated ranges "
            f"held {held_count(stated, n)} "
            f"(an honest {level_label(0.8)} holds about 80%; an actual equal to it counts half)."
        )
    return "\n".join(lines)


@returns_markdown
def describe_value(review: Mapping[str, Any], *, currency: str) -> str:
    """Realised against expected portfolio value, each figure tagged (``review.portfolio.…``)."""
    portfolio = review["portfolio"]

    def figure(name: str) -> str:
        return _figure(review, lambda value: fmt_money(value, currency), "portfolio", name)

    parts = []
    if portfolio["n_cost"]:
        parts.append(
            f"Cost: {figure('actual_cost')} spent against {figure('expected_cost')} expected, "
            f"over {_figure(review, str, 'portfolio', 'n_cost')} initiatives with an actual cost."
        )
    if portfolio["n_benefit"]:
        parts.append(
            f"Benefit: {figure('realised_benefit')} a year realised against "
            f"{figure('expected_benefit')} expected, over "
            f"{_figure(review, str, 'portfolio', 'n_benefit')} initiatives with a measured "
            "benefit."
        )
    for ident in review.get("benefit_flags") or []:
        parts.append(_benefit_flag(review, ident, currency))
    return "\n\n".join(parts) or "No outcome with a cost or benefit recorded yet."


def _amount(value: float | None, unit: str = "", currency: str = "USD") -> str:
    """A KPI or driver value in its own unit: 4 significant figures, a fraction as a percent."""
    if value is None:
        return ""
    if "fraction" in unit or "share" in unit or unit.endswith("rate"):
        return fmt_pct(value, digits=2 if abs(value) < 0.01 else 1)
    if unit.startswith("currency"):  # template units say "currency per year" and the like
        return fmt_money(value, currency)
    if abs(value) >= 10_000:  # a volume: whole units with separators, never 2.1e+05
        return f"{value:,.0f}"
    return f"{value:,.4g}"


MET_LABELS = {True: "met", False: "missed", None: "not measured yet"}


def kpi_frame(review: Mapping[str, Any], *, currency: str = "USD") -> pd.DataFrame:
    """One row per funded initiative with a KPI: baseline, target, realised, met."""
    rows = []
    for initiative_id, entry in review["initiatives"].items():
        kpi = entry.get("kpi")
        if not kpi:
            continue
        unit = kpi.get("unit") or ""
        rows.append(
            {
                "Initiative": f"{initiative_id}: {entry['name']}",
                "KPI": kpi["name"].replace("_", " ") + (f" ({unit})" if unit else ""),
                "Baseline": _amount(kpi["baseline"], unit, currency),
                "Target": _amount(kpi["target"], unit, currency),
                "Realised": _amount(kpi["realised"], unit, currency),
                "Target met?": MET_LABELS[kpi["met"]],
            }
        )
    return pd.DataFrame(rows)


def fmt_kpi_table(review: Mapping[str, Any], *, currency: str = "USD") -> Any:
    """:func:`kpi_frame` as a report table (money KPIs in ``currency``)."""
    return styled_table(kpi_frame(review, currency=currency), name="review-kpis")


@returns_markdown
def describe_kpis(review: Mapping[str, Any]) -> str:
    """How many funded initiatives reached their KPI's target, naming the misses."""
    kpis = {i: e["kpi"] for i, e in review["initiatives"].items() if e.get("kpi")}
    if not kpis:
        return (
            "No funded initiative names a KPI: a template's key driver (kpi: true) or the "
            "initiatives register's kpi and kpi_target columns give one."
        )
    measured = {i: k for i, k in kpis.items() if k["met"] is not None}
    missed = [
        f"{escape_text(review['initiatives'][i]['name'])} "
        f"({escape_text(k['name'].replace('_', ' '))})"
        for i, k in measured.items()
        if not k["met"]
    ]
    text = (
        f"**{len(measured) - len(missed)} of {len(measured)} measured KPIs met their target** "
        f"({len(kpis) - len(measured)} not measured yet)."
    )
    if missed:
        text += " Missed: " + "; ".join(missed) + "."
    return text


def drivers_frame(review: Mapping[str, Any]) -> pd.DataFrame:
    """Per driver name: how often marketing's stated median was above or below what happened."""
    rows = []
    for name, entry in (review.get("driver_summary") or {}).items():
        rows.append(
            {
                "Driver": name.replace("_", " "),
                "Realised values": entry["n"],
                "Below the stated median (overestimated)": entry["over"],
                "Above it (underestimated)": entry["under"],
                "Outside the stated range": entry["outside"],
                "Average percentile": percentile_label(
                    entry["mean_percentile"], lowest=0.01, highest=0.99
                ),
                "Verdict": entry["verdict"],
            }
        )
    return pd.DataFrame(rows)


def fmt_drivers_table(review: Mapping[str, Any]) -> Any:
    """:func:`drivers_frame` as a report table."""
    return styled_table(drivers_frame(review), name="review-drivers")


def realised_drivers_frame(review: Mapping[str, Any], *, currency: str = "USD") -> pd.DataFrame:
    """Each realised driver beside the range stated at decision time."""
    rows = []
    for r in review.get("drivers") or []:
        unit = r.get("unit") or ""
        rows.append(
            {
                "Initiative": r["id"],
                "Driver": r["driver"].replace("_", " "),
                "Stated range": f"{_amount(r['stated']['low'], unit, currency)} to "
                f"{_amount(r['stated']['high'], unit, currency)}",
                "Stated median": _amount(r["stated"]["median"], unit, currency),
                "Realised": _amount(r["realised"], unit, currency),
                "Percentile": percentile_label(r["percentile"], lowest=0.01, highest=0.99),
            }
        )
    return pd.DataFrame(rows)


def fmt_realised_drivers_table(review: Mapping[str, Any], *, currency: str = "USD") -> Any:
    """:func:`realised_drivers_frame` as a report table (money drivers in ``currency``)."""
    return styled_table(
        realised_drivers_frame(review, currency=currency), name="review-realised-drivers"
    )


@returns_markdown
def describe_drivers(review: Mapping[str, Any]) -> str:
    """Which assumptions marketing over- or under-estimates, one line per driver."""
    summary = review.get("driver_summary") or {}
    if not summary:
        return (
            "No outcome records a realised driver yet: add driver and value to the outcomes "
            "register for templated initiatives."
        )
    lines = []
    for name, entry in summary.items():
        n = entry["n"]
        verdict = {
            "overestimated": f"**overestimated**: {entry['over']} of {n} came in below the "
            "stated median",
            "underestimated": f"**underestimated**: {entry['under']} of {n} came in above the "
            "stated median",
            "mixed": f"mixed: {entry['over']} below and {entry['under']} above the stated median",
        }[entry["verdict"]]
        outside = f"; {entry['outside']} outside the stated range" if entry["outside"] else ""
        lines.append(f"- {name.replace('_', ' ')}: {verdict}{outside}.")
    return "\n".join(lines)


@returns_markdown
def describe_lessons(review: Mapping[str, Any]) -> str:
    """The lessons recorded with the outcomes, quoted."""
    if not review["lessons"]:
        return "No lessons recorded yet: add them to the outcomes register's lessons column."
    return "\n".join(
        f"- **{escape_text(entry['name'])}** ({STATUS_LABELS[entry['status']].split(' (')[0]}): "
        f"“{escape_text(entry['lessons'])}”"
        for entry in review["lessons"]
    )


@returns_markdown
def describe_pending(review: Mapping[str, Any]) -> str:
    """Outcomes that could not be joined to an audit copy, and why."""
    if not review["pending"]:
        return "Every recorded outcome was joined to the estimate of the quarter that funded it."
    return "\n".join(
        f"- row {p['row']}, {escape_text(p['id'])}: {escape_text(p['reason'])}"
        for p in review["pending"]
    )


@returns_markdown
def describe_method(review: Mapping[str, Any]) -> str:
    """How the review is computed."""
    return (
        f"- **Reviewed**: the initiatives the published roadmap of "
        f"{', '.join(review['reviewed_quarters']) or 'the previous quarter'} selected, as of "
        f"{review['as_of']}.\n"
        "- **Estimates** come from the audit copy of the quarter that funded each initiative "
        "(its `build/inputs/`), never from today's register.\n"
        "- **Percentile**: the actual's place among the calibrated forecast's published "
        "quantiles, linear between them; beyond the outermost it is that level.\n"
        "- **Stated view**: the range stated at decision time read as lognormal about its "
        "estimate at the quarter's estimate confidence.\n"
        "- **Held**: the share of actuals below a forecast's quantile; an actual equal to it "
        "(a whole-week actual on a whole-week estimate) counts half, so ties neither pass nor "
        "fail a forecast on their own.\n"
        "- **Benefit check**: where an outcome records realised drivers, the template's formula "
        "over them (drivers not measured taken as stated) gives the benefit they imply; a "
        "recorded benefit more than twice or under half of it is flagged.\n"
        "- **Slipped**: no outcome recorded and the quarter's first day plus the calibrated "
        f"{level_label(0.8)} delivery time has passed.\n"
        "- **Caveats**: few outcomes make noisy shares; stopped and cancelled initiatives are "
        "reviewed but not used to calibrate."
    )


LOOP_FIGURES = (
    "review_quarter",
    "review_cost_n",
    "review_cost_p80_held",
    "review_cost_stated_p80_held",
    "review_lessons",
    "review_kpis",
    "review_drivers",
    "approved_quarter",
    "approved_on",
    "approved_by",
    "change_log",
)


def loop_figures(
    review: Mapping[str, Any] | None,
    approved: Mapping[str, Any] | None,
    changes: list[Mapping[str, Any]] | None,
    *,
    missing: str,
) -> dict[str, str]:
    """Figures SOP chapters 5 and 6 quote: the latest review, approval and change log.

    ``approved``: the params of the latest approved quarter (its manifest's);
    ``changes``: its manifest's change log. ``missing`` stands in for what is not built.
    """
    figures = dict.fromkeys(LOOP_FIGURES, missing)
    if review:
        figures["review_quarter"] = str(review.get("quarter", missing))
        cost = (review.get("forecast_verification") or {}).get("cost")
        if cost:
            figures["review_cost_n"] = str(cost["n"])
            figures["review_cost_p80_held"] = held_count(
                cost.get("share_tiesplit_p80", cost.get("share_le_p80")), cost["n"]
            )
            figures["review_cost_stated_p80_held"] = held_count(
                cost.get("stated_share_tiesplit_p80", cost.get("stated_share_le_p80")), cost["n"]
            )
        figures["review_lessons"] = describe_lessons(review)
        figures["review_kpis"] = describe_kpis(review)
        figures["review_drivers"] = describe_drivers(review)
    if approved:
        figures["approved_quarter"] = str(approved.get("quarter", missing))
        figures["approved_on"] = str(approved.get("approved_on") or missing)
        figures["approved_by"] = escape_text(approved.get("approved_by") or missing)
        figures["change_log"] = (
            "\n".join(
                f"- {escape_text(c.get('date'))}: {escape_text(c.get('what'))} "
                f"(why: {escape_text(c.get('why'))}; approved by "
                f"{escape_text(c.get('approved_by'))})"
                for c in changes
            )
            if changes
            else "No change since approval."
        )
    return figures
