"""The what-if panels (cells tagged ``interactive``) build and respond, outside a kernel.

nbval skips these cells (tag ``nbval-skip``): widget comms without a front end
can wedge a headless kernel (jupyter/nbclient#312). Here every code cell of the
notebook runs in-process instead, where widgets need no front end, and the
panel's controls are moved to check the result updates, each bound alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib
import nbformat
import pytest

matplotlib.use("Agg")

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_cells(name: str, parameters: dict) -> dict:
    """Execute a notebook's code cells in one namespace, as a kernel would, and return it."""
    namespace: dict = {"__name__": "__notebook__"}
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.startswith("%"))
        exec(compile(source, f"{name}.ipynb", "exec"), namespace)
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(parameters)
    return namespace


@pytest.fixture(scope="module")
def case_panel(root, tmp_path_factory):
    parameters = {
        "root": str(root),
        "artifacts_dir": str(tmp_path_factory.mktemp("case")),
        "initiative_id": "CDP-01",  # a stated benefit range (no template)
    }
    return run_cells("business_case", parameters)["what_if"]


@pytest.fixture(scope="module")
def templated_page(root, tmp_path_factory):
    parameters = {
        "root": str(root),
        "artifacts_dir": str(tmp_path_factory.mktemp("templated")),
        "initiative_id": "DATA-01",  # a benefit drawn from template drivers
    }
    return run_cells("business_case", parameters)


@pytest.fixture(scope="module")
def roadmap_page(root, tmp_path_factory):
    parameters = {"root": str(root), "artifacts_dir": str(tmp_path_factory.mktemp("roadmap"))}
    return run_cells("roadmap", parameters)


@pytest.fixture(scope="module")
def roadmap_panel(roadmap_page):
    return roadmap_page["what_if"]


def _labels(panel) -> list[str]:
    """Every Label and HTML text in the panel, depth first (not the result table)."""
    found = []
    for child in getattr(panel, "children", ()):
        if child is panel.result:
            continue
        if child.__class__.__name__ in ("Label", "HTML"):
            found.append(re.sub(r"<[^>]+>", "", child.value))
        found += _labels_of(child)
    return found


def _labels_of(widget) -> list[str]:
    found = []
    for child in getattr(widget, "children", ()):
        if child.__class__.__name__ in ("Label", "HTML"):
            found.append(re.sub(r"<[^>]+>", "", child.value))
        found += _labels_of(child)
    return found


def test_case_panel_moving_one_bound_never_moves_the_other(case_panel):
    low, high = case_panel.sliders["benefit", "low"], case_panel.sliders["benefit", "high"]
    assert (low.value, high.value) == (200_000, 900_000)  # CDP-01's stated benefit range
    before = case_panel.result.value
    high.value = 1_200_000
    assert low.value == 200_000
    low.value = 210_000
    assert high.value == 1_200_000
    assert case_panel.result.value != before, "moving a slider re-simulates"


def test_case_panel_shows_money_weeks_and_full_labels(case_panel):
    text = _labels(case_panel)
    assert "Annual benefit" in text and "Delivery cost" in text
    assert "Delivery time (weeks)" in text
    assert "$200,000" in text or "$210,000" in text
    assert any(re.fullmatch(r"\d+(\.\d)? weeks", t) for t in text), text
    assert not any(re.search(r"\d\.\d\d – ", t) for t in text)
    for slider in case_panel.sliders.values():
        assert slider.readout is False  # the formatted label beside it says the value


def test_case_panel_says_when_low_is_above_high(case_panel):
    low, high = case_panel.sliders["cost", "low"], case_panel.sliders["cost", "high"]
    saved = low.value, high.value
    try:
        low.value = high.value + 10 * low.step
        assert "is above high" in case_panel.result.value
        assert "<table" not in case_panel.result.value
    finally:
        low.value, high.value = saved
    assert "<table" in case_panel.result.value


_LAYOUT = r' +(?:data-label="[^"]*")?'


def _column(html: str, column: int) -> list[str]:
    """One column of the what-if comparison table's HTML (0: figure, 1: case, 2: what-if)."""
    # a cell's layout class and stacked-row label (report.tables) may follow
    return re.findall(rf'class="data row\d+ col{column}(?: num| short)?"{_LAYOUT}>([^<]*)<', html)


def _money(text: str) -> float:
    """``-$1,234`` as -1234.0."""
    return float(text.replace("$", "").replace(",", ""))


def test_case_panel_of_a_templated_case_opens_on_its_headline(templated_page):
    from helpers.report import case_what_if

    panel = templated_page["what_if"]
    summary = templated_page["summary"]
    assert panel.result.value == case_what_if.what_if_comparison(summary, summary).to_html()
    assert ("benefit", "low") not in panel.sliders, "the drivers say the benefit"
    low = panel.sliders["cost", "low"]
    start = low.value
    try:
        low.value = start + 0.4 * low.step  # a front end rounding the start to its step
        assert _column(panel.result.value, 2) == _column(panel.result.value, 1)
        low.value = start + low.step
        assert _column(panel.result.value, 2) != _column(panel.result.value, 1)
    finally:
        low.value = start
    assert _column(panel.result.value, 2) == _column(panel.result.value, 1)


def test_case_panel_has_a_low_likely_high_box_per_driver(templated_page):
    panel, summary = templated_page["what_if"], templated_page["summary"]
    rows = summary["benefit_drivers"]
    assert len(panel.drivers) == 3 * len(rows)
    assert "Marketing ops" in _labels(panel)  # each beneficiary heads its drivers
    assert "events per year (events per year)" in _labels(panel)
    first = rows[0]
    high = panel.drivers[first["beneficiary"], first["driver"], "high"]
    assert high.value == f"{first['high']:,.12g}"
    start = high.value
    npv = _column(panel.result.value, 2)[0]
    try:
        high.value = f"{3 * first['high']:,.12g}"
        moved = _column(panel.result.value, 2)[0]
        assert _money(moved) > _money(npv), "more events avoided, more value"
        assert _column(panel.result.value, 1)[0] == npv  # the case column stays the case
        high.value = "lots"
        assert "is not a number" in panel.result.value and "<table" not in panel.result.value
        high.value = f"{0.5 * first['low']:,.12g}"
        assert "is above high" in panel.result.value
    finally:
        high.value = start
    assert _column(panel.result.value, 2) == _column(panel.result.value, 1)


def test_roadmap_panel_shows_weights_only_for_weighted(roadmap_panel):
    method = roadmap_panel.controls["method"]
    weights_box = roadmap_panel.children[4]  # after budget, confidence, capacity, method
    method.value = "expected_npv"
    assert weights_box.layout.display == "none"
    method.value = "weighted"
    assert weights_box.layout.display is None
    assert "Weights change the weighted score only." in _labels(roadmap_panel)
    method.value = "rice"
    assert weights_box.layout.display == "none"
    shown = roadmap_panel.result.value
    assert "e+0" not in shown, "RICE in whole points, not 1.44e+05"
    assert re.search(r"[\d,]+ points", shown), shown


def test_roadmap_panel_budget_moves_the_result(roadmap_panel):
    roadmap_panel.controls["method"].value = "expected_npv"
    budget = roadmap_panel.controls["budget"]
    before = roadmap_panel.result.value
    budget.value = budget.min
    assert roadmap_panel.result.value != before
    assert any(t.startswith("$") and "," in t for t in _labels(roadmap_panel))
    assert "Budget at P80 (USD)" in budget.description


def _result_rows(panel) -> dict[str, str]:
    """The roadmap what-if table as {what if: result}."""
    cells = re.findall(
        rf'class="data row\d+ col\d(?: num| short)?"{_LAYOUT}>([^<]*)<', panel.result.value
    )
    return dict(zip(cells[::2], cells[1::2], strict=True))


def test_roadmap_panel_confidence_says_what_enters_or_leaves_the_plan(roadmap_page):
    panel, roadmap = roadmap_page["what_if"], roadmap_page["roadmap"]
    controls = panel.controls
    controls["method"].value = roadmap["method"]
    controls["budget"].value = roadmap["budget"]
    confidence = controls["confidence"]
    assert confidence.value == roadmap["budget_confidence"]
    rows = _result_rows(panel)
    assert rows["fund"] == ", ".join(roadmap["selected"]), "untouched, the roadmap's plan"
    assert (rows["enters the plan"], rows["leaves the plan"]) == ("none", "none")
    assert "P80 (80% sure)" in _labels(panel)
    try:
        confidence.value = 0.95
        assert controls["budget"].description == "Budget at P95 (USD)"
        assert "P95 (95% sure)" in _labels(panel)
        # a budget between the plan's P50 and P80 cost: at P80 part of the plan no longer
        # fits, at P50 all of it does (the sample's budget is far above the plan's cost)
        controls["budget"].value = (roadmap["cost_p50"] + roadmap["cost_at_confidence"]) / 2
        rows = _result_rows(panel)
        assert rows["leaves the plan"] != "none", "surer of the budget, less fits"
        assert rows["enters the plan"] == "none"
        confidence.value = 0.5
        assert _result_rows(panel)["leaves the plan"] == "none", "less sure, more fits"
    finally:
        confidence.value = roadmap["budget_confidence"]
        controls["budget"].value = roadmap["budget"]
    assert controls["budget"].description == "Budget at P80 (USD)"


@pytest.mark.parametrize("name", ["business_case", "roadmap"])
def test_published_cells_say_nothing_about_lab_controls(name):
    """Print and HTML show no widget, so only cells tagged interactive (removed from the
    published page) may speak of sliders, boxes or JupyterLab."""
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    said = [
        cell.source
        for cell in nb.cells
        if "interactive" not in cell.metadata.get("tags", [])
        and cell.cell_type == "markdown"
        and re.search(r"slider|JupyterLab|press Enter|\bbox(es)?\b|widget", cell.source, re.I)
    ]
    assert said == []
