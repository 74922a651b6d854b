"""The roadmap report in words and tables, from the ``select`` document (roadmap.json).

``helpers.model.selection.select_portfolio`` computes the document; this module says
it: the summary and one sentence per question of the roadmap notebook
(``describe_*``, Markdown with ``$`` and register text escaped), its tables
(``fmt_*_table``, escaped Stylers with stable ids), the what-if panel, what
changed since the previous quarter, and the plain text ``playbook select``
prints. Every level label comes from the document's ``budget_confidence``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from helpers.core.fmt import fmt_money, fmt_pct, fmt_worth
from helpers.model.selection import FRONTIER_MULTIPLIERS, MONEY_METHODS
from helpers.model.timeline import WEEKS_PER_QUARTER
from helpers.report.correlation import describe_common_overrun, describe_metric_correlations
from helpers.report.keys import cell, document_value, figure_key, tag_cells, tagged
from helpers.report.labels import (
    OPTION_VALUE_LABEL,
    PROB_OVER_BUDGET_LABEL,
    REASON_LABELS,
    cost_at_confidence_label,
    decision_label,
    entry_value_name,
    level_label,
    method_label,
    plan_cost_label,
    recommendation_label,
    sure_label,
    wsjf_label,
)
from helpers.report.markdown import escape_text, plain, returns_markdown
from helpers.report.roadmap_committed import charges_markdown, committed_plain, describe_committed
from helpers.report.tables import TOP_ROWS, long_table, styled_table
from helpers.report.templates import informs_text


def worth(value: float | None, document: Mapping[str, Any]) -> str:
    money = document["method"] in MONEY_METHODS
    return fmt_worth(value, money=money, currency=document["currency"])


def level_label_of(document: Mapping[str, Any]) -> str:
    return level_label(document["budget_confidence"])


def rule_text(document: Mapping[str, Any]) -> str:
    return document.get("budget_rule", "per_initiative")


def _plan_level(document: Mapping[str, Any]) -> str:
    """The quantile each initiative's cost was planned at (``planning_quantile``), e.g. P66."""
    q = document.get("planning_quantile", document["budget_confidence"])
    return level_label(round(float(q), 2))


def ids_text(ids: Iterable[str]) -> str:
    """Register ids for a Markdown sentence, escaped, comma-separated."""
    return ", ".join(escape_text(i) for i in ids)


def _names(document: Mapping[str, Any], ids: Iterable[str]) -> str:
    items = document["initiatives"]
    return ", ".join(
        f"{escape_text(i)} ({escape_text(items[i]['name'])})" if i in items else escape_text(i)
        for i in ids
    )


_LINKABLE_ID = re.compile(r"^[A-Za-z0-9._-]+$")  # register ids are validated to this set
_ALL_BELOW = "all {:,} are in the table below; filter it, sort it or page through it."


def link_ids(styler: Any, *, rows: Iterable[int] | None = None, anchor: bool = False) -> Any:
    """The table's ``id`` cells as links to their case pages (``cases/<id>.html``).

    The id is escaped first, then wrapped; an id outside ``[A-Za-z0-9._-]`` (never
    one the registers accept) stays plain text. ``rows``: the row positions to
    link (default all); ``anchor``: each link also carries ``id="decision-<id>"``
    so a case page can link back to the roadmap's row for it.
    """
    frame = styler.data
    if "id" not in frame.columns or frame.empty:
        return styler
    positions = list(range(len(frame))) if rows is None else list(rows)

    def link(value: Any) -> str:
        text = str(value)
        if not _LINKABLE_ID.match(text):
            return text
        target = f' id="decision-{text}"' if anchor else ""
        return f'<a href="cases/{text}.html"{target}>{text}</a>'

    subset = pd.IndexSlice[frame.index[positions], ["id"]]
    return styler.format(link, subset=subset, escape="html")


def rest_by(labels: list[str]) -> str:
    """The line on a long table's rows after the first ``TOP_ROWS``, counted by
    ``labels`` (one per row: its decision, reason or change)."""
    counts = pd.Series(labels[TOP_ROWS:]).value_counts()
    parts = ", ".join(f"{n:,} {label}" for label, n in counts.items())
    return f"{len(labels) - TOP_ROWS:,} more ({parts}): {_ALL_BELOW.format(len(labels))}"


def is_nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def next_frontier_step(document: Mapping[str, Any]) -> dict[str, Any] | None:
    """The first frontier point above the budget that buys more value, or None."""
    for point in document["frontier"]:
        value = point["expected_value"]
        margin = 1e-9 * max(abs(document["expected_value"]), 1.0)
        if (
            point["budget"] > document["budget"]
            and value is not None
            and value > document["expected_value"] + margin
        ):
            return point
    return None


def _option_ids(document: Mapping[str, Any]) -> list[str]:
    """The chosen initiatives whose value is more than their expected NPV: lean versions
    run first, valued with the lean-first option."""
    items = document["initiatives"]
    return [
        i
        for i in document["selected"]
        if i in items and not math.isclose(items[i]["value"], items[i]["expected_npv"])
    ]


def _figure(document: Mapping[str, Any], fmt: Any, *steps: str) -> str:
    """A figure of the roadmap document in a Markdown sentence, tagged ``roadmap.<steps>``."""
    value = document_value(document, *steps)
    return tagged(fmt(value), figure_key("roadmap", *steps), value)


def _value_line(document: Mapping[str, Any]) -> str:
    """The plan's value in the summary: expected NPV is only E[NPV]; a lean-first option is
    said as expected NPV plus its option value, never as NPV."""
    currency = document["currency"]

    def money(value: float) -> str:
        return fmt_money(value, currency)

    npv = _figure(document, money, "expected_npv")
    if document["method"] not in MONEY_METHODS:
        value = _figure(document, lambda v: worth(v, document), "expected_value")
        return f"Value ({method_label(document['method'])}): **{value}**; expected NPV {npv}."
    ids = _option_ids(document)
    if not ids:
        return f"Expected NPV: **{npv}**."
    value = _figure(document, money, "expected_value")
    option = money(document["expected_value"] - document["expected_npv"])
    return (
        f"{method_label(document['method']).capitalize()}: **{value}**: expected NPV "
        f"{npv} plus {option} {OPTION_VALUE_LABEL} ({ids_text(ids)} run first)."
    )


def _plan_cost_line(document: Mapping[str, Any]) -> str:
    """The plan's cost in the summary, each figure with its level."""
    currency = document["currency"]
    level = document["budget_confidence"]

    def money(value: float) -> str:
        return fmt_money(value, currency)

    budget = _figure(document, money, "budget")
    at_confidence = _figure(document, money, "cost_at_confidence")
    at_p50 = _figure(document, money, "cost_p50")
    if rule_text(document) == "per_initiative":
        return (
            f"Plan cost: **{at_p50} at P50**; the "
            f"{plan_cost_label(level, 'per_initiative')} is **{at_confidence}**, against a "
            f"budget of {budget}."
        )
    return (
        f"Plan cost: **{at_p50} at P50** and **{at_confidence} at {level_label(level)}** "
        f"({sure_label(level)} the plan costs no more), against a budget of {budget}."
    )


@returns_markdown
def describe_summary(document: Mapping[str, Any]) -> str:
    """The roadmap's summary as Markdown: what we fund, what it costs, the risk, the next
    slice; each figure tagged with its key in the roadmap document (``roadmap.…``)."""
    currency = document["currency"]
    chosen = document["selected"]
    level = level_label_of(document)
    names = _figure(document, lambda ids: _names(document, ids) or "none", "selected")
    effort = _figure(document, lambda v: f"{v:,.0f}", "effort_used")
    capacity = _figure(document, lambda v: f"{v:,.0f}", "capacity")
    lines = [
        f"**Fund {len(chosen)} initiative{'s' if len(chosen) != 1 else ''}** "
        f"(by {method_label(document['method'])}): {names}.",
        "",
        f"- {_value_line(document)}",
        f"- {_plan_cost_line(document)}",
        *([f"- {describe_committed(document)}"] if describe_committed(document) else []),
        f"- {PROB_OVER_BUDGET_LABEL.capitalize()}: "
        f"**{_figure(document, fmt_pct, 'prob_over_budget')}**.",
        f"- IT effort: {effort} of {capacity} person-weeks at {level}.",
    ]
    step = next_frontier_step(document)
    if step is None:
        lines.append(
            f"- More budget (up to {fmt_money(document['frontier'][-1]['budget'], currency)}) "
            "would buy nothing more: capacity, dependencies or value are the limit."
            if document["frontier"]
            else "- The frontier was not computed."
        )
    else:
        added = sorted(set(step["selected"]) - set(chosen))
        dropped = sorted(set(chosen) - set(step["selected"]))
        changes = [f"adding {ids_text(added)}"] if added else []
        changes += [f"dropping {ids_text(dropped)}"] if dropped else []
        lines.append(
            f"- Another {fmt_money(step['budget'] - document['budget'], currency)} (a budget of "
            f"{fmt_money(step['budget'], currency)}) would add "
            f"{worth(step['expected_value'] - document['expected_value'], document)} of value"
            + (f" ({'; '.join(changes)})" if changes else "")
            + "."
        )
    if document["missing"]:
        lines.append(
            f"- **Missing business cases**: {ids_text(document['missing'])}; they are not in "
            "this selection."
        )
    return "\n".join(lines)


def value_column_of(document: Mapping[str, Any]) -> str:
    """The heading of an initiative's value: ``value with the lean-first option``, or
    ``value (RICE)`` for a score."""
    if document["method"] in MONEY_METHODS:
        return method_label(document["method"])
    return f"value ({method_label(document['method'])})"


def _cost_p50(entry: Mapping[str, Any]) -> float:
    """An initiative's cost P50 as its case states it (``cost_p50`` is the case's own
    ``cost["0.5"]``), so the roadmap and the case page show one figure."""
    return entry.get("cost_p50", entry["cost"])


def fmt_ranked_table(document: Mapping[str, Any]) -> Any:
    """One row per initiative, chosen first then by value: decision, value, expected NPV,
    cost P50 (the case's), effort, chance of a loss. The other scores (RICE, WSJF, the
    weighted score, the chance of ranking in the top k) are method terms: they are in
    :func:`fmt_scores_table`, in the method section.

    A pandas Styler (``.data`` is the DataFrame); past ``TOP_ROWS`` rows a
    ``report.tables.LongTable`` (a line on the rest, then every row, paged on the site)."""
    currency = document["currency"]
    items = document["initiatives"]
    ranked = sorted(items, key=lambda i: (not items[i]["selected"], -items[i]["value"], i))
    rows, figures = [], {}
    value_column = value_column_of(document)
    for rank, initiative_id in enumerate(ranked, start=1):
        entry = items[initiative_id]
        # the columns that say a document figure: (text, its key under the entry)
        shown = {
            "decision": (decision_label(entry.get("decision")), "decision"),
            value_column: (worth(entry["value"], document), "value"),
            "expected NPV": (fmt_money(entry["expected_npv"], currency), "expected_npv"),
            "cost P50": (fmt_money(_cost_p50(entry), currency), "cost_p50"),
            "chance of a loss": (fmt_pct(entry["prob_loss"]), "prob_loss"),
        }
        for column, (text, name) in shown.items():
            if name in entry:
                key = figure_key("roadmap", "initiatives", initiative_id, name)
                figures[rank - 1, column] = cell((text, key, entry[name]))[1]
        texts = {column: text for column, (text, _) in shown.items()}
        rows.append(
            {
                "rank": rank,
                "id": initiative_id,
                "initiative": entry["name"],
                "decision": texts["decision"],
                value_column: texts[value_column],
                "expected NPV": texts["expected NPV"],
                "cost P50": texts["cost P50"],
                "IT person-weeks": f"{entry['effort']:,.0f}",
                "chance of a loss": texts["chance of a loss"],
            }
        )
    if not rows:
        rows_frame = pd.DataFrame({"rank": [], "id": [], "initiative": []})
        return styled_table(rows_frame, name="roadmap-ranked")
    if len(rows) > TOP_ROWS:  # hundreds of initiatives: a line on the rest, a paged table
        rest = rest_by([r["decision"] for r in rows])
        frame = pd.DataFrame(rows)
        return long_table(
            frame,
            name="roadmap-ranked",
            rest=rest,
            links=range(len(rows)),
            anchor=True,
            figures=figures,
        )
    table = link_ids(styled_table(pd.DataFrame(rows), name="roadmap-ranked"), anchor=True)
    return tag_cells(table, figures)


def fmt_scores_table(document: Mapping[str, Any]) -> Any:
    """The other scores, for comparison in the method section: RICE, WSJF, the weighted
    score and the chance of ranking in the top k, one row per initiative in the ranked
    table's order (Styler; past ``TOP_ROWS`` rows a paged ``LongTable``)."""
    items = document["initiatives"]
    ranked = sorted(items, key=lambda i: (not items[i]["selected"], -items[i]["value"], i))
    top = f"chance in the top {document['top_k']}"
    rows = [
        {
            "id": i,
            "initiative": items[i]["name"],
            "RICE": "–" if is_nan(items[i]["rice"]) else f"{items[i]['rice']:,.0f}",
            "WSJF": wsjf_label(items[i]["wsjf"], items[i].get("worth_doing_now", True)),
            "weighted score": f"{items[i]['weighted_score']:.0f}",
            top: fmt_pct(items[i]["prob_top_k"]),
        }
        for i in ranked
    ]
    frame = pd.DataFrame(rows, columns=["id", "initiative", "RICE", "WSJF", "weighted score", top])
    if len(rows) > TOP_ROWS:
        return long_table(frame, name="roadmap-scores", rest="", links=range(len(rows)))
    return link_ids(styled_table(frame, name="roadmap-scores"))


@returns_markdown
def describe_ranking(document: Mapping[str, Any]) -> str:
    """One sentence on the ranking: the leader, and the most valuable initiative left out."""
    items = document["initiatives"]
    if not items:
        return "No initiative has a business case yet."
    label = method_label(document["method"])
    leader = max(items, key=lambda i: (items[i]["value"], i))
    text = (
        f"Ranked by {label}, funded first: {escape_text(leader)} leads with "
        f"{worth(items[leader]['value'], document)}."
    )
    left = [i for i, e in items.items() if not e["selected"] and e["value"] > 0]
    if left:
        best = max(left, key=lambda i: (items[i]["value"], i))
        text += (
            f" The most valuable initiative left out is {escape_text(best)} "
            f"({worth(items[best]['value'], document)}): "
            f"{escape_text(items[best].get('reason', ''))}."
        )
    return text


@returns_markdown
def describe_frontier(document: Mapping[str, Any]) -> str:
    """One sentence on what more (or less) budget would buy: each budget's plan is chosen
    as ``select`` at that budget would choose it (whole_plan: it stays within that budget
    with the budget confidence); budgets the must-dos cannot fit are named."""
    currency = document["currency"]
    points = [p for p in document["frontier"] if p["expected_value"] is not None]
    if not points:
        return "No frontier: the must-dos do not fit any of the budgets tried."
    low, high = points[0], points[-1]
    step = next_frontier_step(document)
    within = (
        f"within its budget with {fmt_pct(document['budget_confidence'])} confidence"
        if rule_text(document) == "whole_plan"
        else f"within its budget at {level_label_of(document)} per initiative"
    )
    text = (
        f"From {fmt_money(low['budget'], currency)} to {fmt_money(high['budget'], currency)} "
        f"the best plan ({within}) is worth {worth(low['expected_value'], document)} to "
        f"{worth(high['expected_value'], document)} ({method_label(document['method'])}); "
        "at this quarter's budget, "
        f"{worth(document['expected_value'], document)}. "
    )
    if document["frontier"][0]["expected_value"] is None:
        text += (
            f"Below {fmt_money(low['budget'], currency)} the must-dos and committed work do "
            f"not fit at {level_label_of(document)}. "
        )
    if step is None:
        return text + "Above this budget the value stops rising."
    return text + (
        f"The next step up is at {fmt_money(step['budget'], currency)}, worth "
        f"{worth(step['expected_value'] - document['expected_value'], document)} more."
    )


@returns_markdown
def describe_value_cost(document: Mapping[str, Any]) -> str:
    """One sentence on value for money across the initiatives."""
    items = document["initiatives"]
    if not items:
        return "No initiative has a business case yet."
    negative = sorted(i for i, e in items.items() if e["expected_npv"] < 0)
    best = max(items, key=lambda i: (items[i]["profitability_index"], i))
    text = (
        f"{escape_text(best)} returns the most for what it costs: "
        f"{items[best]['profitability_index']:.2f} in value for each 1 spent. "
    )
    if negative:
        text += (
            f"{len(negative)} of {len(items)} initiatives are expected to lose money: "
            f"{ids_text(negative)}."
        )
    else:
        text += "Every initiative is expected to earn more than it costs."
    return text


def fmt_timeline_table(document: Mapping[str, Any]) -> Any:
    """The schedule as a table (Styler): start and end (week and date), people a week.

    Past ``TOP_ROWS`` rows a ``LongTable``: a line on the later ones, every row, paged."""
    rows = [
        {
            "id": row["id"],
            "initiative": row["name"],
            "start": f"week {row['start_week']:.0f} ({row['start_date']})",
            "end": f"week {row['end_week']:.1f} ({row['end_date']})",
            "people a week": f"{row['people']:.1f}",
            "after": ", ".join(row["depends_on"]) or "–",
            "ends after the quarter": "yes" if row["past_quarter"] else "no",
        }
        for row in document.get("timeline") or []
    ]
    if len(rows) > TOP_ROWS:  # hundreds funded: a line on the later ones, a paged table
        later = rows[TOP_ROWS:]
        past = sum(r["ends after the quarter"] == "yes" for r in later)
        rest = (
            f"{len(later):,} more start from {later[0]['start']}, {past:,} of them ending after "
            f"the quarter: {_ALL_BELOW.format(len(rows))}"
        )
        frame = pd.DataFrame(rows)
        return long_table(frame, name="roadmap-timeline", rest=rest, links=range(len(rows)))
    return link_ids(styled_table(pd.DataFrame(rows), name="roadmap-timeline"))


@returns_markdown
def describe_timeline(document: Mapping[str, Any]) -> str:
    """One sentence on when the chosen work ends."""
    rows = document.get("timeline") or []
    if not rows:
        return "Nothing is funded, so nothing is scheduled."
    last = max(rows, key=lambda row: row["end_week"])
    late = [row["id"] for row in rows if row["past_quarter"]]
    text = (
        f"On P50 durations and within {document['capacity'] / WEEKS_PER_QUARTER:.1f} IT people "
        "a week, the "
        f"chosen work ends in week {last['end_week']:.0f} ({last['end_date']}, "
        f"{escape_text(last['id'])}). "
    )
    if late:
        text += f"{len(late)} run past the quarter's {WEEKS_PER_QUARTER} weeks: {ids_text(late)}."
    else:
        text += "Everything finishes within the quarter."
    return text


@returns_markdown
def describe_rank_stability(document: Mapping[str, Any]) -> str:
    """One sentence on which rankings are firm and which could swap."""
    items = document["initiatives"]
    k = document["top_k"]
    if not items or k == 0:
        return "No initiative to rank."
    firm = sorted(i for i, e in items.items() if (e["prob_top_k"] or 0) >= 0.8)
    shaky = sorted(i for i, e in items.items() if 0.2 <= (e["prob_top_k"] or 0) < 0.8)
    text = f"Redrawing every NPV from its range, {ids_text(firm) or 'no initiative'} "
    text += f"stay{'s' if len(firm) == 1 else ''} in the top {k} in at least 80% of draws"
    if shaky:
        text += f"; {ids_text(shaky)} could move in or out, so their order is not settled"
    return text + "."


def fmt_left_out_table(document: Mapping[str, Any]) -> Any:
    """The initiatives left out, by value, with the reason in words (Styler).

    Past ``TOP_ROWS`` rows a ``LongTable``: a line by reason, every row (most valuable
    first), paged."""
    items = document["initiatives"]
    left = sorted(
        (i for i, e in items.items() if not e["selected"]), key=lambda i: (-items[i]["value"], i)
    )
    rows = [
        {
            "id": i,
            "initiative": items[i]["name"],
            value_column_of(document): worth(items[i]["value"], document),
            "left out because of": REASON_LABELS.get(items[i].get("reason_code"), "–"),
            "detail": items[i].get("reason", ""),
        }
        for i in left
    ]
    rows += [
        {
            "id": i,
            "initiative": "",
            value_column_of(document): "–",
            "left out because of": "no business case",
            "detail": "its case is missing (failed or not run); it was not considered",
        }
        for i in document["missing"]
    ]
    columns = ["id", "initiative", value_column_of(document), "left out because of", "detail"]
    if len(rows) > TOP_ROWS:  # hundreds left out: a line by reason, a paged table
        rest = rest_by([r["left out because of"] for r in rows])
        frame = pd.DataFrame(rows, columns=columns)
        return long_table(frame, name="roadmap-left-out", rest=rest, links=range(len(left)))
    table = styled_table(pd.DataFrame(rows, columns=columns), name="roadmap-left-out")
    return link_ids(table, rows=range(len(left)))  # the missing have no case page


@returns_markdown
def describe_left_out(document: Mapping[str, Any]) -> str:
    """One sentence counting the reasons initiatives were left out."""
    items = document["initiatives"]
    codes = [e.get("reason_code") for e in items.values() if not e["selected"]]
    if not codes and not document["missing"]:
        return "Every initiative with a business case is funded."
    counts = pd.Series([REASON_LABELS.get(c, "other") for c in codes]).value_counts()
    parts = [f"{n} for {label}" for label, n in counts.items()]
    if document["missing"]:
        parts.append(f"{len(document['missing'])} for want of a business case")
    total = len(codes) + len(document["missing"])
    return f"{total} initiative{'s' if total != 1 else ''} left out: " + "; ".join(parts) + "."


# ---------------------------------------------------------------------------
# What changed since the previous quarter


# ---------------------------------------------------------------------------
# Method and assumptions


@returns_markdown
def describe_method(document: Mapping[str, Any]) -> str:
    """The method and assumptions as Markdown, with this run's figures."""
    level = level_label_of(document)
    weights = ", ".join(f"{k} {v:g}" for k, v in document["weights"].items())
    notes = "".join(f"\n- {escape_text(note)}" for note in document["notes"])
    low, high = FRONTIER_MULTIPLIERS[0], FRONTIER_MULTIPLIERS[-1]
    budgets = f"{len(FRONTIER_MULTIPLIERS)} budgets from {low:g}× to {high:g}×"
    people = f"capacity ÷ {WEEKS_PER_QUARTER} people a week"
    return f"""- **Value**: the selection maximises the sum of each initiative's value
  ({method_label(document["method"])}). {_value_method_text(document)}
  The weighted score averages criteria rescaled to 0–100 across this quarter's initiatives
  (chance of a loss inverted) with weights {weights}.
- **Budget confidence**: {_budget_rule_text(document)}
- **Exact choice**: an integer program (scipy `milp`, HiGHS, zero optimality gap): the sum of
  costs at {_plan_level(document)} within the budget, the sum of IT effort at {level} within
  capacity, every prerequisite funded with its dependant (a prerequisite already done counts as
  met; one rejected or without a case rules its dependants out), at most one of an initiative and
  its lean variants, must-dos and approved or in-progress work always in. Among plans of equal value
  the cheaper wins. An initiative with negative value is funded only when forced or as the
  prerequisite of something worth more.
- **Costs** are the calibrated business cases' delivery costs (past actuals adjust each estimate
  when calibration is on). The chance of overrunning draws each chosen initiative's cost from its
  calibrated range, {document["simulations"]:,} times, {_correlation_text(document)}
- **Committed work** (approved or in progress) is charged what remains of it.
  {charges_markdown(document, "  ")}
- **Frontier**: the same program at {budgets} the budget.
- **Rank stability**: each NPV redrawn from its case's quantiles, independently; the share of
  draws in which it ranks in the top {document["top_k"]}.
- **Reasons**: found by testing, not guessed: an initiative worth something whose prerequisites
  are available was kept out by what was left of the budget or capacity; for the few nearest the
  cut-off, forcing it in and re-solving shows the value making room would cost; for the others a
  linear-programming bound shows the least it would cost ("at least", not re-solved).
- **Timeline**: work in progress first, from the quarter start on what it has left; then
  greedy scheduling in priority (value) order, each initiative on its P50 duration and P50
  effort, within {people}, after its prerequisites.{notes}"""


# ---------------------------------------------------------------------------
# The what-if panel


# ---------------------------------------------------------------------------
# The command line


def decision_reason(entry: Mapping[str, Any], document: Mapping[str, Any]) -> str:
    """Why the roadmap decided what it did for one initiative, in plain words.

    ``entry`` is ``document["initiatives"][id]`` with ``decision`` and
    ``decision_basis`` (``selection.decide``). Where the case's own recommendation
    differs, a second sentence names the constraint or comparison that made the
    difference. Passed to ``select_portfolio(describe_decision=...)`` so the
    document's ``decision_reason`` and every page say it the same way.
    """
    basis = entry.get("decision_basis") or {}
    code = basis.get("code")
    items = document["initiatives"]
    value = worth(entry["value"], document)
    if code == "must_do":
        text = "It is a must-do, so it goes ahead whatever its return."
    elif code == "committed":
        text = "It is committed work (approved or in progress), so it goes ahead."
    elif code == "lean_first":
        full_id = basis.get("full_id", "")
        full = items.get(full_id)
        against = (
            f", more than {full_id} funded now ({worth(full['value'], document)})"
            if full is not None
            else ""
        )
        text = (
            f"Worth {value} run first: its own expected NPV "
            f"{fmt_money(entry['expected_npv'], document['currency'])} plus "
            f"{fmt_money(entry.get('follow_up_value'), document['currency'])} from deciding "
            f"{full_id} next with what it measures{against}. It measures "
            # decision_reason is plain text (the JSON, tables and the CLI show it as is)
            f"{plain(informs_text(entry.get('informs'), entry.get('informs_basis'), full_id))}."
        )
    elif code == "fund":
        text = (
            f"It adds {value} ({entry_value_name(entry, document)}) and fits the budget "
            "and IT capacity."
        )
    elif code == "lean_first_chosen":
        lean_id = basis.get("lean_id", "")
        text = (
            f"Its lean version {lean_id} goes first; it is decided next, with what "
            f"{lean_id} measures."
        )
    elif entry.get("reason"):
        text = f"{entry['reason'][0].upper()}{entry['reason'][1:]}."
    else:
        text = "Left out: a better plan within the budget and IT capacity does without it."
    if basis.get("agrees", True) or not entry.get("case_action"):
        return text
    case_says = recommendation_label(entry["case_action"]).lower()
    why = _constraint_words(basis, entry, document)
    if why is None:  # no constraint: funded on its value, which the first sentence said
        return f"{text} Its case recommends: {case_says}; the roadmap funds it on its value now."
    if why.lower() in text.lower() or why == "it is committed work" and code == "committed":
        # the first sentence already gave the reason: never say it twice
        return f"{text} Its case recommends: {case_says}; the roadmap differs for that reason."
    return f"{text} Its case recommends: {case_says}; the roadmap differs because {why}."


def _constraint_words(
    basis: Mapping[str, Any], entry: Mapping[str, Any], document: Mapping[str, Any]
) -> str | None:
    """The constraint behind a roadmap decision that differs from the case, or None when
    no constraint made the difference (the roadmap weighed its value)."""
    constraint = basis.get("constraint")
    dependents = ", ".join(basis.get("dependents") or [])
    instead = basis.get("chosen_instead")
    if constraint == "must_do":
        return "it is a must-do"
    if constraint == "committed":
        return "it is committed work"
    if constraint == "dependency" and instead:
        return f"{dependents} depend on {instead}, so {instead} is funded in full instead"
    if constraint == "dependency" and dependents:
        return f"{dependents} depend on it, so it is funded in full now"
    if constraint == "variant" and instead:
        return (
            f"{instead} was chosen instead: with the budget and IT capacity, the plan is worth "
            "more with it (at most one of an initiative and its variants)"
        )
    if constraint in REASON_LABELS and entry.get("reason"):
        return entry["reason"]
    return None


def _correlation_text(document: Mapping[str, Any]) -> str:
    """How the cost draws move together, where that came from, and the cases' correlations
    between metrics."""
    correlation = document.get("correlation") or {}
    within = describe_metric_correlations(correlation.get("between_metrics"))
    within = within[0].lower() + within[1:]
    return f"{describe_common_overrun(correlation)} Within each business case, {within}"


def _value_method_text(document: Mapping[str, Any]) -> str:
    """What the value is, in the method section: money with the lean-first option, or a
    score."""
    if document["method"] in MONEY_METHODS:
        return (
            "It is money: an initiative's expected NPV, and for a lean version run first its "
            f"expected NPV plus its {OPTION_VALUE_LABEL} (deciding its full initiative next, "
            'with what it measures); "expected NPV" on its own is always the mean NPV.'
        )
    return (
        "The score itself is the value (profitability index minus 1, so that loss-makers "
        "count as negative); expected NPV is reported beside it."
    )


def _budget_rule_text(document: Mapping[str, Any]) -> str:
    level = level_label_of(document)
    if rule_text(document) == "per_initiative":
        return (
            f"each initiative's cost at {level}, summed, within the budget (params "
            "`budget_rule: per_initiative`); the whole plan then stays within budget more often "
            f"than {level} says."
        )
    return (
        f"the whole plan's total cost stays within the budget with at least "
        f"{fmt_pct(document['budget_confidence'])} chance, checked by joint simulation: each "
        "initiative's cost is planned at one quantile (here "
        f"{_plan_level(document)}, exact from its calibrated range), found by bisection as the "
        "most valuable plan that meets the confidence."
    )


def format_selection(document: Mapping[str, Any]) -> str:
    """The selection as plain text for a terminal: the headline, then one line per initiative."""
    currency = document["currency"]
    level = level_label_of(document)
    chosen = document["selected"]
    lines = [
        f"Roadmap {document['quarter']}: method {document['method']}, budget "
        f"{fmt_money(document['budget'], currency)} at {level}, capacity "
        f"{document['capacity']:,.0f} IT person-weeks",
        f"Fund {len(chosen)} initiative{'s' if len(chosen) != 1 else ''}: "
        f"{', '.join(chosen) if chosen else 'none'}",
        f"{plain(_value_line(document)).rstrip('.')}; "
        f"{cost_at_confidence_label(document['budget_confidence'], rule_text(document))} "
        f"{fmt_money(document['cost_at_confidence'], currency)} "
        f"({fmt_money(document['cost_p50'], currency)} at P50); "
        f"{PROB_OVER_BUDGET_LABEL} {fmt_pct(document['prob_over_budget'])}; "
        f"{document['effort_used']:,.0f} of {document['capacity']:,.0f} person-weeks",
        *committed_plain(document),
        "",
    ]
    items = document["initiatives"]
    width = max((len(i) for i in items), default=2)
    header = f"  {'id':<{width}}  {'value':>10}  {'cost P50':>10}  {'effort':>6}  decision"
    lines.append(header)
    ranked = sorted(items, key=lambda i: (not items[i]["selected"], -items[i]["value"], i))
    for initiative_id in ranked:
        entry = items[initiative_id]
        decision = decision_label(entry.get("decision"))
        if entry.get("decision_reason"):
            decision = f"{decision}. {entry['decision_reason']}"
        elif not entry["selected"]:
            decision = f"{decision}: {entry.get('reason', '')}"
        lines.append(
            f"  {initiative_id:<{width}}  {worth(entry['value'], document):>10}  "
            f"{fmt_money(_cost_p50(entry), currency):>10}  {entry['effort']:>6.0f}  {decision}"
        )
    if document["missing"]:
        lines += ["", f"Missing business cases: {', '.join(document['missing'])}"]
    for note in document["notes"]:
        lines.append(f"Note: {note}")
    return "\n".join(lines)
