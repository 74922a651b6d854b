"""helpers.report.case: the case report's words and tables, read from the case document."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import matplotlib
import nbformat
import pytest
from case_builders import make_params, make_row, point_row
from click.testing import CliRunner

from helpers.cli import main
from helpers.load.artifacts import to_jsonable
from helpers.load.params import Params
from helpers.model import business_case as bc
from helpers.report import case as report
from helpers.report import case_method, case_what_if
from helpers.report.keys import untag
from helpers.report.markdown import MarkdownText

matplotlib.use("Agg")

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "business_case.ipynb"
BARE_DOLLAR = re.compile(r"(?<!\\)\$")  # a $ JupyterLab would read as the start of maths


_params, _row, _point = make_params, make_row, point_row


def _case(row: dict, params: Params, **kwargs) -> dict:
    """The case document with its recommendation text, as the notebook writes it."""
    sim = bc.simulate_case(row, params, **kwargs)
    return bc.summarise_case(sim, explain=report.recommendation_text)


def _full_and_lean() -> tuple[dict, dict]:
    full = _row(
        id="F",
        benefit_low=20_000.0,
        benefit_likely=math.nan,
        benefit_high=600_000.0,
        cost_low=150_000.0,
        cost_likely=math.nan,
        cost_high=170_000.0,
    )
    lean = _row(
        id="FL",
        variant_of="F",
        benefit_low=5_000.0,
        benefit_likely=math.nan,
        benefit_high=20_000.0,
        cost_low=8_000.0,
        cost_likely=math.nan,
        cost_high=12_000.0,
        duration_low=2.0,
        duration_likely=math.nan,
        duration_high=4.0,
        run_cost=0.0,
    )
    return full, lean


def _calibrated_views(monkeypatch, params: Params) -> dict:
    """A calibrated case document with its stated view: calibration raises cost by half."""

    def fake(low, likely, high, *, metric, category, calibration, confidence):
        factor = 1.5 if metric == "cost" else 1.0
        median = likely if not math.isnan(likely) else math.sqrt(low * high)
        return low * factor, median * factor, high * factor

    monkeypatch.setattr(bc, "calibrate_range", fake)  # the name business_case calls
    stated, sim = bc.simulate_views(_row(), params, {"metrics": {}})
    return bc.summarise_case(sim, stated, explain=report.recommendation_text)


@pytest.fixture
def params() -> Params:
    return _params()


# ------------------------------------------------------------------ the recommendation


def test_recommendation_text_fund_when_clearly_profitable(params):
    case = _case(_row(cost_low=10_000.0, cost_likely=15_000.0, cost_high=20_000.0), params)
    assert case["recommendation"]["action"] == "fund"
    assert case["recommendation"]["text"].startswith("Fund: expected NPV $")


def test_recommendation_text_do_not_fund_when_clearly_unprofitable(params):
    case = _case(_row(benefit_low=1_000.0, benefit_likely=2_000.0, benefit_high=3_000.0), params)
    assert case["recommendation"]["action"] == "do_not_fund"
    assert "chance of a loss 100%" in case["recommendation"]["text"]


def test_recommendation_text_must_do_plans_at_the_budget_confidence(params):
    row = _row(benefit_low=1_000.0, benefit_likely=2_000.0, benefit_high=3_000.0, must_do=True)
    case = _case(row, params)
    assert case["recommendation"]["action"] == "fund"
    assert "must-do" in case["recommendation"]["text"]
    assert case["recommendation"]["text"].endswith(", its cost at P80.")


def test_recommendation_text_gather_information_names_the_input(params):
    row = _row(
        benefit_low=20_000.0,
        benefit_likely=math.nan,
        benefit_high=600_000.0,
        cost_low=150_000.0,
        cost_likely=math.nan,
        cost_high=170_000.0,
    )
    case = _case(row, params)
    assert case["recommendation"]["action"] == "gather_information"
    assert "annual benefit" in case["recommendation"]["text"]


def _measured_at_once(params: Params) -> Params:
    """Params under which a lean version measures perfectly and at once (the limit): FL is
    then worth running first; with the default error (about 2 prior standard deviations on
    its small share of the data) and 3 months of measuring it is not."""
    return params.model_copy(update={"lean_measurement_error": 0.0, "lean_measurement_months": 0})


def test_recommendation_text_lean_first_and_its_lean_version(params):
    params = _measured_at_once(params)
    full, lean = _full_and_lean()
    case = _case(full, params, related=[lean])
    assert case["recommendation"]["text"].startswith("Run the lean version FL first")
    lean_case = _case(lean, params, related=[full])
    assert "Fund this lean version first" in lean_case["recommendation"]["text"]


def test_recommendation_text_is_plain_and_the_markdown_is_escaped(params):
    case = _case(_row(id="A-1*"), params)
    text = case["recommendation"]["text"]
    assert "\\" not in text and "$" in text
    markdown = report.describe_recommendation(case)
    assert isinstance(markdown, MarkdownText)
    assert not BARE_DOLLAR.search(markdown)
    assert markdown.plain == text


# ------------------------------------------------------------------ budget confidence


def test_budget_confidence_0_9_says_p90_never_p80(monkeypatch):
    params = _params(budget_confidence=0.9)
    row = _row(benefit_low=1_000.0, benefit_likely=2_000.0, benefit_high=3_000.0, must_do=True)
    case = _case(row, params)
    text = case["recommendation"]["text"]
    assert text.endswith(f"plan on ${case['cost']['0.9'] / 1000:.0f}k, its cost at P90.")
    table = report.headline_frame(case).set_index("figure")["value"]
    assert "Cost, P50 / P90" in table.index and "Time, P50 / P90" in table.index
    views = _calibrated_views(monkeypatch, params)
    words = [
        text,
        report.describe_summary(case),
        report.render_text({**case, "quarter": "2026Q4"}),
        report.headline(case).to_html(),
        report.describe_views(views),
        report.fmt_views(views).to_html(),
    ]
    for said in words:
        assert "P80" not in said
    assert "P90 cost" in words[4]
    assert "Cost P90" in words[5] and "Weeks P90" in words[5]


def test_cli_case_with_budget_confidence_0_9_says_p90(root, tmp_path):
    shutil.copytree(root / "params", tmp_path / "params")
    shutil.copytree(root / "data" / "sample", tmp_path / "data" / "sample")
    quarter = tmp_path / "params" / "2026Q4.yaml"
    quarter.write_text(quarter.read_text() + "\nbudget_confidence: 0.9\n")
    result = CliRunner().invoke(
        main, ["case", "CONS-01", "--quarter", "2026Q4", "--root", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "its cost at P90." in result.stdout
    assert "Cost, P50 / P90" in result.stdout
    assert "P80" not in result.stdout


# ------------------------------------------------------------------ summary and sections


def test_describe_summary_leads_with_the_recommendation(params):
    text = report.describe_summary(_case(_point(benefit=0.0), params))
    # the fix of issue 9: the dollar is escaped for JupyterLab
    assert untag(text.body).startswith(
        "**Recommendation: don't fund it.** Don't fund: expected NPV -\\$"
    )
    assert "no calibration applied" in text


def test_describe_initiative_shows_register_text_as_written():
    text = report.describe_initiative(_row(name="*Big* <script>x</script>", owner="Ana"))
    assert text.body.startswith("**EML")
    assert "\\*Big\\*" in text
    assert "owner: Ana" in text


def test_describe_initiative_names_must_do_and_its_full_initiative():
    text = report.describe_initiative(_row(must_do=True, variant_of="$x^2$"))
    assert "must-do" in text
    assert "lean version of \\$x^2\\$" in text
    assert not BARE_DOLLAR.search(text)


def test_headline_frame_has_the_summary_figures(params):
    case = _case(_row(), params)
    table = report.headline_frame(case).set_index("figure")["value"]
    assert table["Recommendation"] == case["recommendation"]["action"].replace("_", " ")
    assert table["Chance of a loss"] == f"{100 * case['prob_loss']:.0f}%"
    assert list(report.headline(case).data.columns) == ["figure", "value"]


def test_describe_payback_says_when_or_that_it_does_not(params):
    pays = report.describe_payback(_case(_row(), params))
    assert pays.body.startswith("The median simulation pays back ")
    never = report.describe_payback(_case(_point(benefit=0.0), params))
    assert never.body == (
        "In most simulations EML\\-01 does not pay back within the 3-year horizon: only 0% do."
    )


def test_describe_sensitivity_names_the_largest_swing(params):
    case = _case(_row(), params)
    text = report.describe_sensitivity(case)
    top = case["sensitivity"][0]["input"]
    assert text.body.startswith(
        {"benefit": "Annual benefit", "cost": "Delivery cost"}.get(top, "Del")
    )
    assert "(EVPI)" in text and not BARE_DOLLAR.search(text)


def test_describe_views_without_calibration_says_so(params):
    assert report.describe_views(_case(_row(), params)).body.startswith(
        "Calibration is off for this report"
    )


def test_describe_views_calibrated_without_the_stated_view_says_how_to_fix(params):
    case = {**_case(_row(), params), "calibrated": True}
    with pytest.raises(ValueError, match="no stated_view.*summarise_case\\(sim, stated\\)"):
        report.describe_views(case)


def test_fmt_views_shows_the_calibrated_cost_higher(monkeypatch, params):
    views = report.fmt_views(_calibrated_views(monkeypatch, params)).data.set_index("figure")
    assert views.loc["Cost P80", "stated"] != views.loc["Cost P80", "calibrated"]
    assert (
        views.loc["Benefit P50 (a year)", "stated"]
        == (views.loc["Benefit P50 (a year)", "calibrated"])
    )


def test_describe_variants_of_a_lone_initiative_says_there_is_none(params):
    case = _case(_row(), params)
    assert report.describe_variants(case).body == (
        "EML\\-01 has no lean or proof-of-concept variant in the register."
    )


def test_describe_variants_of_a_full_and_of_a_lean_initiative(params):
    params = _measured_at_once(params)
    full, lean = _full_and_lean()
    case = _case(full, params, related=[lean])
    text = report.describe_variants(case)
    assert text.body.startswith("The lean version FL has expected NPV ")
    # the page says what the staged value assumed: the wait and the measurement error
    assert (
        ": worth running first. It measures annual benefit (F has no benefit drivers to "
        "choose from). F is decided 0.7 months from now: the lean version's median delivery "
        "time (0.7 months) plus 0 months of measuring. On "
    ) in text.body
    assert text.body.endswith(
        "of the data its reading is exact (the limit of a perfect test). Once F is live the "
        "lean version's own benefit stops (it is part of F's), so it is counted once."
    )
    lean_text = report.describe_variants(_case(lean, params, related=[full]))
    assert lean_text.body.startswith("FL is the lean version of F. Run first, it is worth ")
    assert ": worth it. It measures annual benefit" in lean_text.body
    noisy = report.describe_variants(_case(lean, _params(), related=[full])).body
    assert "F is decided 3.7 months from now" in noisy
    assert "plus 3 months of measuring" in noisy
    assert "its reading has an error of 2.1 times our present uncertainty (0.5 with all" in noisy
    assert "takes away 19% of that uncertainty" in noisy and "not worth it on these" in noisy
    table = report.fmt_variants(case).data
    assert list(table["option"]) == ["F (full)", "FL (lean)"]
    assert "cost P50 / P80" in table.columns


def test_describe_method_states_the_thresholds(params):
    text = case_method.describe_method(_case(_row(), params))
    assert "a chance of a loss of 20% or more is material" in text
    assert "4,000" in text
    assert "a restricted cubic spline of its rank with 8 knots" in text
    assert "100 bootstrap resamples" in text and "shown as ≈ 0" in text
    assert "`lean_measurement_months`" in text and "`lean_measurement_error`" in text


def test_fmt_inputs_shows_stated_and_sampled_ranges(params):
    table = case_method.fmt_inputs(_case(_row(), params)).data.set_index("input")
    assert table.loc["Delivery cost", "stated low / likely / high"] == "$120k / $160k / $260k"
    assert table.loc["Delivery time (weeks)", "stated low / likely / high"] == "10.0 / 14.0 / 24.0"


def test_fmt_inputs_never_calls_the_drawn_ranges_middle_a_median(params):
    """Issue 22: the method table called the fitted range's middle the "median" ($177k for
    WEB-01) while the summary's cost P50 was the simulated $173k. The drawn range is an input
    (low / likely / high); P50 and median are the simulated figures only."""
    columns = " ".join(case_method.fmt_inputs(_case(_row(), params)).data.columns)
    assert "range drawn from: low / likely / high" in columns
    assert "median" not in columns and "P50" not in columns


def test_render_text_leads_with_the_recommendation(params):
    case = {**_case(_row(), params), "quarter": "2026Q4"}
    lines = report.render_text(case).splitlines()
    assert (
        lines[0] == "EML-01: Email upgrade (2026Q4, stated ranges (inside view), 4000 simulations)"
    )
    assert lines[2] == case["recommendation"]["text"]
    assert lines[4].split() == ["Recommendation", *case["recommendation"]["action"].split("_")]


# ------------------------------------------------------------------ what-if


def test_what_if_table_with_the_stated_ranges_matches_the_case(params):
    row = _row()
    table = case_what_if.what_if_table(
        row, params, benefit=(80_000, 300_000), cost=(120_000, 260_000), duration=(10, 24)
    )
    assert table.data.equals(report.headline(_case(row, params)).data)


def test_what_if_table_more_benefit_more_npv(params):
    low = case_what_if.what_if_table(
        _row(), params, benefit=(80_000, 300_000), cost=(120_000, 260_000), duration=(10, 24)
    ).data.set_index("figure")
    high = case_what_if.what_if_table(
        _row(), params, benefit=(400_000, 900_000), cost=(120_000, 260_000), duration=(10, 24)
    ).data.set_index("figure")
    assert low.loc["Expected NPV", "value"] != high.loc["Expected NPV", "value"]
    assert high.loc["Chance of a loss", "value"] == "0%"


def test_what_if_bounds_hold_the_stated_range():
    bounds = case_what_if.what_if_bounds(_row())
    assert bounds["cost"]["value"] == (120_000.0, 260_000.0)
    assert bounds["cost"]["min"] < 120_000 < 260_000 < bounds["cost"]["max"]
    assert bounds["benefit"]["description"] == "Annual benefit"


# ------------------------------------------------------------------ the notebook


@pytest.mark.parametrize(
    ("initiative_id", "says"),
    [
        ("LOY-01", '"text": "Gather information on annual benefit'),  # templated benefit
        ("CDP-01", '"id": "CDP-01"'),  # one stated benefit range
    ],
)
def test_business_case_notebook_markdown_has_no_unescaped_dollar(
    root, tmp_path, monkeypatch, initiative_id, says
):
    """Run the notebook's cells in-process and check every Markdown it displays."""
    import IPython.display

    shown: list = []
    monkeypatch.setattr(IPython.display, "display", lambda *objects, **_: shown.extend(objects))
    namespace: dict = {"__name__": "__notebook__"}
    parameters = {"root": str(root), "artifacts_dir": "", "initiative_id": initiative_id}
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type != "code" or "interactive" in cell.metadata.get("tags", []):
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        exec(compile(source, NOTEBOOK.name, "exec"), namespace)
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(parameters)
    markdown = [obj.data for obj in shown if isinstance(obj, IPython.display.Markdown)]
    assert len(markdown) == 12, "the notebook shows twelve Markdown outputs"
    assert any("$" in text for text in markdown), "the sample case has money in its words"
    for text in markdown:
        assert not BARE_DOLLAR.search(text), text
    # the case document the page shows: the quarter model's, computed once
    written = json.dumps(to_jsonable(namespace["summary"]))
    assert says in written
    assert namespace["summary"] is namespace["model"].case(initiative_id)


# ------------------------------------------------------------------ templated benefits


@pytest.fixture(scope="module")
def templated(root) -> dict:
    """The sample EML-01 case (email_program template, lean EML-01P on 20% of the data) as
    2026Q3 saw it: in 2026Q4 the POC is done and EML-01's conversion uplift is narrowed to
    what it measured, so the driver test no longer points at it."""
    from helpers.load.inputs import initiative_row, load_quarter

    inputs = load_quarter("2026Q3", root)
    sim = bc.simulate_case(
        initiative_row(inputs, "EML-01"),
        inputs.params,
        related=bc.find_related(inputs.initiatives, "EML-01"),
        benefits=inputs.benefit_inputs(),
    )
    return bc.summarise_case(sim)


def test_describe_beneficiaries_names_who_gains_most(templated):
    text = report.describe_beneficiaries(templated)
    assert "Email and lifecycle team gains most" in text and "Regional marketers" in text


def test_beneficiaries_frame_shares_add_to_one_largest_first(templated):
    frame = report.beneficiaries_frame(templated)
    assert list(frame["beneficiary"]) == ["Email and lifecycle team", "Regional marketers"]
    assert frame["share"].sum() == pytest.approx(1.0)
    assert (frame["p10"] < frame["median"]).all() and (frame["median"] < frame["p90"]).all()


def test_describe_driver_test_recommends_the_top_driver_and_the_poc_cost(templated):
    text = report.describe_driver_test(templated)
    top = max(templated["evppi_by_driver"], key=templated["evppi_by_driver"].get)
    assert top == "conversion_uplift"
    worth = report.fmt_money(templated["evppi_by_driver"][top], "USD").replace("$", r"\$")
    assert f"Measure conversion uplift before deciding: worth up to {worth}" in text
    assert "A proof of concept on 20% of the data (EML\\-01P)" in text


def test_driver_values_frame_points_at_the_evidence_footnotes(templated):
    frame = report.driver_values_frame(templated)
    assert frame["driver"].iloc[0] == "conversion uplift"
    notes = report.describe_driver_evidence(templated)
    for marker in frame["evidence"].iloc[0].split():
        number = marker.strip("[]")
        line = next(line for line in notes.splitlines() if line.startswith(f"{number}. "))
        assert "conversion uplift" in line and "Mailchimp" in line


def test_a_case_without_a_template_says_it_has_one_stated_range(params):
    case = _case(_row(), params)
    assert "has one stated benefit range" in report.describe_beneficiaries(case)
    assert "has one stated benefit range, not drivers" in report.describe_driver_test(case)
    frame = report.beneficiaries_frame(case)
    assert list(frame["beneficiary"]) == ["all beneficiaries (one stated range)"]
    assert report.driver_values_frame(case)["evppi"].iloc[0] == case["evppi"]["benefit"]
    assert "one stated range" in report.describe_driver_evidence(case)


def test_what_if_bounds_of_a_templated_case_start_at_the_drivers_range(templated, root):
    from helpers.load.inputs import initiative_row, load_quarter

    row = initiative_row(load_quarter("2026Q3", root), "EML-01")
    bounds = case_what_if.what_if_bounds(row, templated)
    stated = templated["inputs"]["stated"]["benefit"]
    assert bounds["benefit"]["value"] == (stated["low"], stated["high"])


def test_render_text_of_a_templated_case_names_beneficiaries_and_the_driver(templated):
    text = report.render_text(templated)
    assert "Who benefits (median a year, share of the benefit):" in text
    assert "  Email and lifecycle team: $" in text
    assert "Measure conversion uplift before deciding: worth up to $" in text


def test_describe_method_states_the_correlations_used_and_their_source():
    from helpers.model.copula import resolve_correlation

    calibration = {
        "correlation": {
            "between_metrics": [{"metrics": ["cost", "duration"], "n": 48, "shrunk": 0.41}]
        }
    }
    params = _params(correlation={"benefit_cost": -0.2})
    used = resolve_correlation(params.correlation, calibration)
    text = case_method.describe_method(_case(_row(), params, correlation=used))
    assert "Gaussian copula with rank correlations" in text
    assert "benefit with cost -0.20 (from params `correlation.benefit_cost`)" in text
    assert "cost with duration +0.41 (from the calibration, 48 projects, shrunk toward 0)" in text
    assert "treated as independent" not in text


def test_describe_method_says_independent_when_no_correlation_is_used(params):
    text = case_method.describe_method(_case(_row(), params))
    assert "Inputs are drawn independently" in text
    assert "treated as independent" in text


def _history_calibration(by: str = "category") -> dict:
    """A calibration document: 6 email projects, 2 web ones (below min_class_size 3)."""
    import pandas as pd

    from helpers.model.calibration import calibrate_history

    classes = ["email"] * 6 + ["web"] * 2
    actuals = pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(8)],
            by: classes,
            "cost_estimate": [100.0] * 8,
            "cost_actual": [110.0, 120.0, 130.0, 100.0, 150.0, 125.0, 90.0, 200.0],
            "duration_estimate": [10.0] * 8,
            "duration_actual": [11.0, 12.0, 10.0, 14.0, 10.0, 13.0, 9.0, 20.0],
        }
    )
    return calibrate_history(actuals, by=by)


def test_describe_method_names_a_class_without_history(params):
    case = _case(_row(category="crm"), params, calibration=_history_calibration())
    assert case["reference_class"]["metrics"]["cost"] == {
        "status": "missing",
        "class_used": None,
        "n_class": 0,
        "n_all": 8,
        "weight": 0.0,
    }
    text = case_method.describe_method(case)
    assert "no past projects in class 'crm' (column category); calibrated with all 8" in text
    assert "track record of its category" not in text
    assert "track record of class" not in text


def test_describe_method_names_a_class_too_small(params):
    case = _case(_row(category="web"), params, calibration=_history_calibration())
    assert case["reference_class"]["metrics"]["duration"]["status"] == "too_small"
    text = case_method.describe_method(case)
    assert "class 'web' (column category) has only 2 past projects (fewer than 3)" in text
    assert "calibrated with all 8 past projects" in text


def test_describe_method_gives_the_class_used_and_its_weight(params):
    case = _case(_row(category=" Email "), params, calibration=_history_calibration())
    record = case["reference_class"]
    assert record["class"] == "Email"
    assert record["metrics"]["cost"]["class_used"] == "email"
    assert record["metrics"]["cost"]["weight"] == pytest.approx(6 / 16)
    text = case_method.describe_method(case)
    assert (
        "Delivery cost and delivery time (weeks): adjusted by the track record of class "
        "'email' (column category): its 6 past projects carry weight 0.38, all 8 past "
        "projects the rest." in text
    )
    assert "Annual benefit and IT effort (person-weeks): no past record, used as stated." in text


def test_describe_method_uncalibrated_says_so(params):
    text = case_method.describe_method(_case(_row(), params))
    assert "No calibration was applied: the stated ranges were used as given." in text
