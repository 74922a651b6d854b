"""Tests for helpers.report.roadmap: the roadmap's words, tables and what-if panel."""

from __future__ import annotations

import pytest
from select_builders import PARAMS, make_case, portfolio_inputs

from helpers.core.fmt import fmt_money
from helpers.model.selection import select_portfolio
from helpers.report.keys import untag
from helpers.report.labels import method_label, reason_label
from helpers.report.reasons import reason_text
from helpers.report.roadmap import (
    describe_frontier,
    describe_method,
    describe_ranking,
    describe_summary,
    fmt_left_out_table,
    fmt_ranked_table,
    format_selection,
)
from helpers.report.roadmap_changes import compare_roadmaps, describe_changes, fmt_changes_table
from helpers.report.roadmap_what_if import plan_changes, what_if_selection


@pytest.fixture
def portfolio():
    """Seven initiatives: A (full) with lean variant AL, B needs A, C committed, D rejected."""
    return portfolio_inputs()


def test_compare_roadmaps_names_the_changes():
    previous = {
        "initiatives": {
            "A": {"selected": True, "value": 1.0},
            "B": {"selected": False},
            "Z": {"selected": True},
        }
    }
    current = {
        "initiatives": {
            "A": {"selected": False, "value": 2.0},
            "B": {"selected": True},
            "N": {"selected": True},
        }
    }
    table = compare_roadmaps(previous, current).set_index("id")
    assert table.loc["A", "change"] == "dropped"
    assert table.loc["B", "change"] == "newly funded"
    assert table.loc["N", "change"] == "new and funded"
    assert table.loc["Z", "change"] == "no longer listed"


def test_compare_roadmaps_without_previous_is_empty():
    assert compare_roadmaps(None, {"initiatives": {}}).empty


def test_describe_summary_names_funded_cost_risk_and_missing(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, missing=["F"], describe_reason=reason_text)
    text = describe_summary(doc)
    assert untag(text.body).startswith(
        "**Fund 3 initiatives** (by value with the lean-first option): A (name A)"
    )
    assert "at P50" in text and "at P80" in text
    assert "Chance the plan overruns the budget" in text
    assert "**Missing business cases**: F" in text


def test_describe_summary_says_what_more_budget_buys(portfolio):
    register, cases = portfolio
    cases = dict(cases, F=make_case("F", 40.0, 60.0, 1.0))
    doc = select_portfolio(register, cases, PARAMS)
    # Markdown for JupyterLab: ``$`` escaped once, so it does not start maths
    assert "would add \\$15 of value (adding F; dropping B)" in describe_summary(doc)


def test_fmt_left_out_table_lists_reasons_and_missing(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, missing=["F"], describe_reason=reason_text)
    table = fmt_left_out_table(doc).data.set_index("id")
    assert table.loc["AL", "left out because of"] == "its variant chosen instead"
    assert table.loc["F", "left out because of"] == "no business case"


def test_what_if_selection_reports_no_plan_when_must_dos_do_not_fit(portfolio):
    register, cases = portfolio
    table = what_if_selection(register, cases, PARAMS, budget=5.0).data.set_index("what if")
    assert "must-dos and committed work (C) need" in table.loc["no plan", "result"]
    fine = what_if_selection(register, cases, PARAMS, budget=200.0, expected_npv=1.0)
    assert fine.data.set_index("what if").loc["fund", "result"].startswith("A, B, C")


def test_what_if_selection_unchanged_is_the_roadmap_with_nothing_entering_or_leaving(portfolio):
    register, cases = portfolio
    roadmap = select_portfolio(register, cases, PARAMS)
    rows = what_if_selection(register, cases, PARAMS, roadmap=roadmap).data.set_index("what if")
    assert rows.loc["fund", "result"] == ", ".join(roadmap["selected"])
    assert rows.loc["enters the plan", "result"] == "none"
    assert rows.loc["leaves the plan", "result"] == "none"
    same = what_if_selection(register, cases, PARAMS, confidence=0.8, roadmap=roadmap)
    assert same.data.equals(rows.reset_index())


def test_what_if_selection_at_a_higher_confidence_says_what_leaves_the_plan(portfolio):
    register, cases = portfolio
    roadmap = select_portfolio(register, cases, PARAMS)  # A, B, C at P80 within 100
    sure = what_if_selection(register, cases, PARAMS, confidence=0.95, roadmap=roadmap)
    rows = sure.data.set_index("what if")["result"]
    assert rows["leaves the plan"] == "B" and rows["enters the plan"] == "none"
    assert any("P95" in label for label in rows.index), "the plan cost at the new level"
    tight = what_if_selection(
        register, cases, PARAMS, budget=60.0, confidence=0.95, roadmap=roadmap
    )
    rows = tight.data.set_index("what if")["result"]
    assert (rows["enters the plan"], rows["leaves the plan"]) == ("AL", "A, B")


def test_plan_changes_keeps_each_plans_order():
    assert plan_changes(["A", "B", "C"], ["C", "D", "A", "E"]) == (["D", "E"], ["B"])
    assert plan_changes([], []) == ([], [])


def test_fmt_ranked_table_escapes_names_and_keeps_them_whole(portfolio):
    register, cases = portfolio
    long_name = "<script>alert(1)</script> " + "a very long initiative name " * 3
    cases = dict(cases, A=dict(cases["A"], name=long_name))
    html = fmt_ranked_table(select_portfolio(register, cases, PARAMS)).to_html()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert "initiative name a very long initiative name" in html


def test_describe_changes_names_what_moved():
    table = compare_roadmaps(
        {"initiatives": {"A": {"selected": False}}}, {"initiatives": {"A": {"selected": True}}}
    )
    assert describe_changes(table, "the 2026Q3 roadmap").body == (
        "Compared with the 2026Q3 roadmap: newly funded: A."
    )
    assert describe_changes(compare_roadmaps(None, {}), "no quarter before").body.startswith(
        "Nothing to compare with"
    )


def test_describe_summary_escapes_markdown_in_register_names(portfolio):
    register, cases = portfolio
    name = "Drop *all* [here](http://x)"
    register = register.copy()
    register.loc[register["id"] == "A", "name"] = name
    cases = {**cases, "A": {**cases["A"], "name": name}}
    text = describe_summary(select_portfolio(register, cases, PARAMS))
    assert "Drop \\*all\\* \\[here\\]\\(http://x\\)" in text


@pytest.fixture
def at_p90(portfolio):
    """The portfolio's document with budget_confidence 0.9, and those params."""
    register, cases = portfolio
    params = PARAMS.model_copy(update={"budget_confidence": 0.9})
    return select_portfolio(register, cases, params, missing=["F"]), params


def test_level_labels_follow_budget_confidence_p90_never_p80(portfolio, at_p90):
    register, cases = portfolio
    doc, params = at_p90
    texts = {
        "summary": describe_summary(doc),
        "method": describe_method(doc),
        "cli": format_selection(doc),
        "ranked columns": " ".join(fmt_ranked_table(doc).data.columns),
        "what if": " ".join(what_if_selection(register, cases, params).data["what if"]),
        "left out": " ".join(fmt_left_out_table(doc).data["detail"]),
    }
    for where, text in texts.items():
        assert "P80" not in text, where
    assert "at P90" in texts["summary"] and "costs at P90" in texts["method"]
    assert "plan cost at P90" in texts["what if"] or "cost at P90" in texts["what if"]
    assert "budget $100 at P90" in texts["cli"] and "cost at P90" in texts["cli"]
    # an initiative's cost is its case's P50 (one figure on the roadmap and the case page)
    assert "cost P50" in texts["ranked columns"] and "cost P50" in texts["cli"]


def test_describe_functions_return_markdown_with_dollars_escaped_once(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS)
    for text in (describe_summary(doc), describe_frontier(doc), describe_ranking(doc)):
        assert "$" in text
        assert "$" not in text.replace("\\$", "")  # every $ escaped
        assert "\\\\$" not in text  # and only once
        assert text._repr_markdown_() == str(text)
        assert "\\" not in text.plain


def test_describe_ranking_escapes_ids_and_reasons(portfolio):
    register, cases = portfolio
    register = register.copy()
    register["id"] = register["id"].replace({"E": "*E*"})
    register["depends_on"] = [list(d) for d in register["depends_on"]]
    cases = {("*E*" if k == "E" else k): v for k, v in cases.items()}
    text = describe_ranking(select_portfolio(register, cases, PARAMS))
    # *E* is worth most but depends on rejected D: named as the leader, escaped
    assert "\\*E\\* leads with" in text


def test_format_selection_is_plain_text_for_the_terminal(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, missing=["F"], describe_reason=reason_text)
    text = format_selection(doc)
    assert text.startswith("Roadmap 2026Q4: method expected_npv, budget $100 at P80")
    assert "\\" not in text
    assert "  AL " in text and "Leave out: its variant A was chosen instead" in text
    assert "Missing business cases: F" in text


def test_method_and_reason_labels():
    # expected_npv ranks by NPV plus a lean version's option value: never named "expected NPV"
    assert method_label("expected_npv") == "value with the lean-first option"
    assert method_label("new_method") == "new method"
    assert reason_label("budget_and_capacity") == "budget and IT capacity"
    assert reason_label(None) == "–"


def test_tables_have_stable_distinct_ids(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS)
    assert fmt_ranked_table(doc).to_html() == fmt_ranked_table(doc).to_html()
    assert fmt_ranked_table(doc).uuid != fmt_left_out_table(doc).uuid


# -- hundreds of initiatives: a line on the rest, every row once, paged on the site -------


def test_long_roadmap_tables_show_the_top_rows_and_sum_up_the_rest():
    from select_builders import large_document

    from helpers.report.roadmap import fmt_timeline_table
    from helpers.report.tables import TOP_ROWS, LongTable

    document = large_document()
    funded = len(document["selected"])
    left = len(document["initiatives"]) - funded
    assert funded > TOP_ROWS and left > TOP_ROWS
    ranked = fmt_ranked_table(document)
    assert isinstance(ranked, LongTable) and len(ranked.data) == len(document["initiatives"])
    markup = ranked._repr_html_()
    assert f"{len(document['initiatives']) - TOP_ROWS} more (" in markup
    assert f"{left} Leave out" in markup
    assert f"all {len(ranked.data)} are in the table below; filter it, sort it" in markup
    first = ranked.data["id"].iloc[-1]  # the last row, on a later page: linked, with its anchor
    assert f'<a href="cases/{first}.html" id="decision-{first}">{first}</a>' in markup
    timeline = fmt_timeline_table(document)
    assert isinstance(timeline, LongTable) and len(timeline.data) == funded
    assert f"{funded - TOP_ROWS} more start from week" in timeline._repr_html_()
    last = timeline.data["id"].iloc[-1]
    assert f'<a href="cases/{last}.html">{last}</a>' in timeline._repr_html_()
    left_out = fmt_left_out_table(document)
    assert isinstance(left_out, LongTable) and len(left_out.data) == left
    assert f"{left - TOP_ROWS} more (" in left_out._repr_html_()
    assert left_out._repr_html_().count('<tr class="rest">') == left - TOP_ROWS


def test_a_long_changes_table_is_paged_and_links_only_listed_initiatives():
    from helpers.report.tables import TOP_ROWS, LongTable

    current = {f"N-{i:03d}": {"selected": i % 3 == 0, "value": 1000.0 * i} for i in range(80)}
    previous = {"OLD-1": {"selected": True, "value": 5.0}}
    document = {"initiatives": current, "currency": "USD", "method": "expected_npv"}

    table = fmt_changes_table(compare_roadmaps({"initiatives": previous}, document), document)

    assert isinstance(table, LongTable) and len(table.data) == 81
    markup = table._repr_html_()
    assert markup.count('<tr class="rest">') == 81 - TOP_ROWS
    assert f"{81 - TOP_ROWS} more (" in markup and "no longer listed" in markup
    assert '<a href="cases/N-079.html">N-079</a>' in markup  # on a later page, still linked
    assert 'href="cases/OLD-1.html"' not in markup  # no longer listed: no case page this quarter
    short = fmt_changes_table(
        compare_roadmaps({"initiatives": previous}, {**document, "initiatives": {}}), document
    )
    assert not isinstance(short, LongTable)


def test_short_roadmap_tables_stay_stylers(portfolio):
    from helpers.report.tables import LongTable

    document = select_portfolio(*portfolio, PARAMS)
    assert not isinstance(fmt_ranked_table(document), LongTable)
    assert not isinstance(fmt_left_out_table(document), LongTable)
    assert hasattr(fmt_ranked_table(document), "to_html")


def test_decisions_read_the_same_on_the_quarter_page_and_the_case_page(portfolio):
    from helpers.report import case as case_report
    from helpers.report import quarter as quarter_words
    from helpers.report.roadmap import decision_reason

    register, cases = portfolio
    doc = select_portfolio(
        register, cases, PARAMS, describe_decision=decision_reason, describe_reason=reason_text
    )
    for initiative_id, entry in doc["initiatives"].items():
        assert entry["decision"] in ("fund", "fund_lean_first", "must_do", "leave_out")
        verdict = quarter_words.roadmap_verdict(doc, initiative_id)
        assert verdict.endswith(entry["decision_reason"])
    case = {"id": "AL", "recommendation": {"action": "fund"}}
    text = case_report.describe_roadmap_decision(case, doc)
    assert untag(text.body).startswith("**Roadmap: leave out**, where this case recommends: fund.")
    assert "Its variant A was chosen instead" in text
    assert "has not been built yet" in case_report.describe_roadmap_decision(case, None)


def test_describe_method_states_the_calibrated_common_overrun_share(portfolio):
    from helpers.model.copula import resolve_correlation

    register, cases = portfolio
    calibration = {
        "correlation": {
            "between_metrics": [{"metrics": ["cost", "effort"], "n": 25, "shrunk": 0.3}],
            "within_quarter": {"cost": {"n": 48, "quarters": 15, "shrunk": 0.2}},
        }
    }
    used = resolve_correlation(PARAMS.correlation, calibration)
    cases = {key: {**case, "correlation": used} for key, case in cases.items()}
    doc = select_portfolio(register, cases, PARAMS, missing=["F"], explain=False, frontier=False)
    assert (doc["correlation"]["common_overrun_share"], doc["correlation"]["source"]) == (
        0.2,
        "calibration",
    )
    text = describe_method(doc)
    assert "20% of each initiative's overrun variance is common" in text
    assert "from the calibration, 48 projects over 15 quarters, shrunk toward 0" in text
    assert "cost with effort +0.30 (from the calibration, 25 projects, shrunk toward 0)" in text


def test_describe_method_says_costs_are_independent_without_correlation(portfolio):
    register, cases = portfolio
    doc = select_portfolio(register, cases, PARAMS, missing=["F"], explain=False, frontier=False)
    text = describe_method(doc)
    assert "independently (common overrun share 0, as neither params nor the calibration" in text


# -- issue 22: each quantity has one name and one value ------------------------------------


@pytest.fixture
def lean_first(portfolio):
    """The portfolio with AL worth running first: its own expected NPV $12 plus $88 of
    lean-first option value, more than A and B ($55) funded now."""
    register, cases = portfolio
    staged = {"value": 100.0, "follow_up_value": 88.0}
    cases = dict(cases, AL={**cases["AL"], "staged": staged})
    document = select_portfolio(register, cases, PARAMS)
    assert "AL" in document["selected"] and document["expected_value"] != pytest.approx(
        document["expected_npv"]
    )
    return register, cases, document


def test_summary_says_the_lean_first_option_as_npv_plus_option_value(lean_first):
    """Issue 22: "expected value (expected NPV) $189k" beside "expected NPV $92k": the
    option value was called NPV. The summary names it NPV plus option value."""
    _, _, document = lean_first
    text = describe_summary(document).plain
    value = fmt_money(document["expected_value"], "USD")
    npv = fmt_money(document["expected_npv"], "USD")
    assert (
        f"Value with the lean-first option: {value}: expected NPV {npv} plus $88 lean-first "
        "option value (AL run first)."
    ) in text
    assert "Expected value" not in text
    assert text.count("expected NPV") == 1


def test_what_if_names_expected_npv_once_for_the_expected_npv(lean_first):
    register, cases, document = lean_first
    rows = what_if_selection(register, cases, PARAMS).data.set_index("what if")["result"]
    named_npv = [label for label in rows.index if "NPV" in label]
    assert named_npv == ["expected NPV"]
    assert rows["expected NPV"] == fmt_money(document["expected_npv"], "USD")
    assert rows["value with the lean-first option"] == fmt_money(document["expected_value"], "USD")
    assert "plan cost at P50" in rows.index  # a plan cost with its level


def test_ranked_table_shows_an_initiatives_value_beside_its_expected_npv(lean_first):
    _, _, document = lean_first
    table = fmt_ranked_table(document).data.set_index("id")
    assert table.loc["AL", "value with the lean-first option"] == "$100"
    assert table.loc["AL", "expected NPV"] == "$12"


def test_ranked_table_cost_p50_is_the_cases_not_the_exact_planning_quantile(portfolio):
    """Issue 22: the case page printed WEB-01's cost P50 from its simulation ($173k), the
    roadmap the exact quantile of its fitted range ($177k) under the same name. The roadmap
    now shows the case's own ``cost["0.5"]``, the figure the case page shows."""
    register, cases = portfolio
    sampled = {**cases["A"]["cost"], "0.5": cases["A"]["cost"]["0.5"] * 1.1}
    cases = dict(cases, A={**cases["A"], "cost": sampled})
    document = select_portfolio(register, cases, PARAMS.model_copy(update={"budget": 200.0}))
    table = fmt_ranked_table(document).data.set_index("id")
    assert table.loc["A", "cost P50"] == fmt_money(sampled["0.5"], "USD")
    assert not any(column.startswith("cost P") and column != "cost P50" for column in table)
    assert f"{fmt_money(sampled['0.5'], 'USD'):>10}" in format_selection(document)


def test_a_decision_that_differs_from_its_case_never_says_its_reason_twice(root):
    from helpers.load.inputs import load_quarter
    from helpers.model.quarter import select_quarter
    from helpers.report.reasons import reason_text
    from helpers.report.roadmap import decision_reason

    inputs = load_quarter("2026Q4", root)
    document, _ = select_quarter(
        inputs, describe_decision=decision_reason, describe_reason=reason_text
    )
    for initiative_id, entry in document["initiatives"].items():
        reason = entry["decision_reason"]
        sentences = [s.strip() for s in reason.replace(";", ".").split(".") if s.strip()]
        for sentence in sentences:
            if len(sentence) > 20:
                assert reason.count(sentence) == 1, f"{initiative_id}: {reason}"


def test_ranked_table_speaks_plainly_and_the_scores_wait_in_the_method_section(root):
    from helpers.load.inputs import load_quarter
    from helpers.model.quarter import select_quarter
    from helpers.report.reasons import reason_text
    from helpers.report.roadmap import decision_reason, fmt_ranked_table, fmt_scores_table

    inputs = load_quarter("2026Q4", root)
    document, _ = select_quarter(
        inputs, describe_decision=decision_reason, describe_reason=reason_text
    )
    ranked = list(fmt_ranked_table(document).data.columns)
    assert "chance of a loss" in ranked
    for term in ("RICE", "WSJF", "weighted score", "P(loss)", "P(top 5)"):
        assert term not in ranked
    scores = fmt_scores_table(document).data
    assert list(scores.columns) == [
        "id",
        "initiative",
        "RICE",
        "WSJF",
        "weighted score",
        "chance in the top 5",
    ]
    assert list(scores["id"]) == list(fmt_ranked_table(document).data["id"])
