"""Chart time of the report pages, and whether the charts still look the same.

Run: ``.venv/bin/python benchmarks/bench_charts.py [--pages case roadmap] [--repeat 3]``.

Loads the sample quarter as the notebooks do (``load_quarter``, ``quarter_model``,
``case_view`` per initiative, ...), calls every chart function a page calls with
the page's inputs and renders each figure to PNG as the notebooks' inline backend
does (``IPython.core.pylabtools.print_figure``, ``bbox_inches=None`` as the
notebooks configure it). Each chart is rendered twice, from two fresh figures:

- *matplotlib*: the figure on matplotlib's own canvas, as a plain ``Figure()``
  was before ``helpers.charts.style.ReportCanvas``: ``print_figure`` draws it
  once to run the layout engine, then again to render, and Pillow compresses at
  its default level;
- *report*: the figure as the chart function returns it.

It prints one row per chart function: calls, CPU seconds per call to build the
figure and to render it each way, and the mean and largest absolute difference
of the two PNGs' pixels (0-255 per RGBA channel; the images must be the same
size). The last rows add up one page (a business case: its six charts).
Times are CPU seconds (best of ``--repeat``), which other processes on the
machine inflate less than wall seconds.

``--save DIR`` writes every PNG (report path) and the timings into DIR;
``--against DIR`` compares this run with one saved by another tree (run it
with ``PYTHONPATH=<other tree>/src``): the pixel columns then compare with DIR's
images and a column gives DIR's build + render seconds per call. That is how a
change to what a chart function draws is checked, not only how it is rendered.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from IPython.core.pylabtools import print_figure
from matplotlib.backend_bases import FigureCanvasBase
from matplotlib.figure import Figure
from PIL import Image

from helpers.load.inputs import load_quarter

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("case", "roadmap", "calibration", "review")
Chart = tuple[str, str, Callable[[], Figure]]  # chart function, item (a case's id), call


def case_charts(inputs: Any, model: Any, cases: int) -> Iterator[Chart]:
    """The business-case notebook's six charts, for the quarter's first ``cases``
    initiatives (0: all)."""
    from helpers.charts import case as charts
    from helpers.report.model import case_view

    ids = list(inputs.initiatives["id"])
    for initiative_id in ids[:cases] if cases else ids:
        view = case_view(model, inputs, initiative_id, use_calibration=True)
        sim, stated, summary = view.simulation, view.stated, view.summary
        calls = {
            "plot_npv_distribution": lambda sim=sim: charts.plot_npv_distribution(sim),
            "plot_cash_fan": lambda sim=sim: charts.plot_cash_fan(sim),
            "plot_beneficiaries": lambda summary=summary: charts.plot_beneficiaries(summary),
            "plot_tornado": lambda sim=sim: charts.plot_tornado(sim),
            "plot_variants": lambda sim=sim: charts.plot_variants(sim),
            "plot_views": lambda sim=sim, stated=stated: charts.plot_views(stated, sim),
        }
        for name, call in calls.items():
            yield f"case.{name}", initiative_id, call


def roadmap_charts(inputs: Any, model: Any, _cases: int) -> Iterator[Chart]:
    from helpers.charts import roadmap as charts
    from helpers.report.model import roadmap_at

    roadmap = roadmap_at(model, inputs, 0.0)
    for name in (
        "plot_budget_use",
        "plot_frontier",
        "plot_value_cost",
        "plot_timeline",
        "plot_rank_stability",
    ):
        yield f"roadmap.{name}", "", lambda name=name: getattr(charts, name)(roadmap)


def calibration_charts(inputs: Any, _model: Any, _cases: int) -> Iterator[Chart]:
    from helpers.charts import backtest as backtest_charts
    from helpers.charts import calibration as charts
    from helpers.model import calibration
    from helpers.report.model import calibration_of

    doc, check = calibration_of(inputs, "")
    ratios = calibration.ratio_frame(inputs.actuals, by=inputs.params.calibration.by)
    for name, argument in (
        ("plot_bias_overview", doc),
        ("plot_estimate_vs_actual", ratios),
        ("plot_ratio_distributions", ratios),
        ("plot_uplift_curves", doc),
        ("plot_coverage", doc),
        ("plot_trend", doc),
    ):
        yield (
            f"calibration.{name}",
            "",
            lambda name=name, argument=argument: getattr(charts, name)(argument),
        )
    yield "backtest.plot_reliability", "", lambda: backtest_charts.plot_reliability(check)


def review_charts(inputs: Any, _model: Any, _cases: int) -> Iterator[Chart]:
    from helpers.charts import review as charts
    from helpers.report.model import review_of

    doc = review_of(inputs, "")
    yield "review.plot_reliability", "", lambda: charts.plot_reliability(doc)


CHARTS = {
    "case": case_charts,
    "roadmap": roadmap_charts,
    "calibration": calibration_charts,
    "review": review_charts,
}


def render(figure: Figure) -> bytes:
    """The PNG a notebook shows: what the inline backend's formatter calls."""
    return print_figure(figure, "png", bbox_inches=None)


def render_as_matplotlib(figure: Figure) -> bytes:
    """The PNG of the same figure on matplotlib's own canvas (a plain ``Figure()``)."""
    FigureCanvasBase(figure)
    return render(figure)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"), dtype=np.int16)


def cpu(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    result = call()
    return time.process_time() - start, result


def measure(chart: Callable[[], Figure], repeat: int) -> dict[str, Any]:
    """Best-of-``repeat`` CPU seconds: build, render each way; and the two PNGs."""
    best = {"build": np.inf, "matplotlib": np.inf, "report": np.inf}
    pngs: dict[str, bytes] = {}
    for attempt in range(repeat):
        ways = [("report", render), ("matplotlib", render_as_matplotlib)]
        for way, how in ways if attempt % 2 == 0 else ways[::-1]:
            built, figure = cpu(chart)
            rendered, pngs[way] = cpu(lambda how=how, figure=figure: how(figure))
            best["build"] = min(best["build"], built)
            best[way] = min(best[way], rendered)
    return {**best, "pngs": pngs}


def compare(before: bytes, after: bytes) -> tuple[float, int]:
    """Mean and largest absolute pixel difference (nan: not the same size)."""
    a, b = pixels(before), pixels(after)
    if a.shape != b.shape:
        return float("nan"), -1
    difference = np.abs(a - b)
    return float(difference.mean()), int(difference.max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quarter", default="2026Q4")
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=list(PAGES))
    parser.add_argument("--cases", type=int, default=0, help="chart the first N cases (0: all)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--save", type=Path, help="write the PNGs and timings here")
    parser.add_argument("--against", type=Path, help="compare with a run saved here")
    args = parser.parse_args()

    from helpers.report.model import quarter_model

    inputs = load_quarter(args.quarter, str(ROOT))
    model = quarter_model(inputs, "") if {"case", "roadmap"} & set(args.pages) else None
    previous = json.loads((args.against / "timings.json").read_text()) if args.against else {}

    rows: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    timings: dict[str, dict[str, float]] = {}
    for page in args.pages:
        for name, item, chart in CHARTS[page](inputs, model, args.cases):
            found = measure(chart, args.repeat)
            key = f"{name}:{item}"
            png = found["pngs"]["report"]
            if args.against:
                before_png = (args.against / f"{key}.png").read_bytes()
                before = previous[key]["build"] + previous[key]["report"]
            else:
                before_png = found["pngs"]["matplotlib"]
                before = found["build"] + found["matplotlib"]
            mean, largest = compare(before_png, png)
            timings[key] = {k: found[k] for k in ("build", "matplotlib", "report")}
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                (args.save / f"{key}.png").write_bytes(png)
            row = rows[name]
            for column, value in (
                ("build", found["build"]),
                ("matplotlib", found["matplotlib"]),
                ("report", found["report"]),
                ("before", before),
                ("after", found["build"] + found["report"]),
                ("mean", mean),
                ("max", largest),
                ("bytes", len(png) / len(before_png)),
            ):
                row[column].append(value)
    if args.save:
        (args.save / "timings.json").write_text(json.dumps(timings, indent=1))
    report(rows, "a saved run" if args.against else "matplotlib's path")


def report(rows: dict[str, dict[str, list[float]]], before: str) -> None:
    header = (
        f"{'chart function':<36} {'calls':>5} {'build':>7} {'render:mpl':>10} "
        f"{'render':>7} {'before':>7} {'after':>7} {'saved':>6} {'px mean':>8} {'px max':>6} "
        f"{'png size':>8}"
    )
    print(f"CPU seconds per call; before = build + render by {before}; after = this tree")
    print(header)
    print("-" * len(header))
    page_rows = defaultdict(lambda: defaultdict(float))
    for name, row in rows.items():
        mean = {column: float(np.mean(values)) for column, values in row.items()}
        largest = int(np.max(row["max"]))
        print(
            f"{name:<36} {len(row['build']):>5} {mean['build']:>7.3f} {mean['matplotlib']:>10.3f} "
            f"{mean['report']:>7.3f} {mean['before']:>7.3f} {mean['after']:>7.3f} "
            f"{1 - mean['after'] / mean['before']:>6.0%} {np.nanmax(row['mean']):>8.4f} "
            f"{largest:>6} {mean['bytes']:>8.3f}"
        )
        page = name.split(".")[0].replace("backtest", "calibration")
        for column in ("build", "matplotlib", "report", "before", "after"):
            page_rows[page][column] += mean[column]
    print("-" * len(header))
    for page, total in page_rows.items():
        print(
            f"{'one ' + page + ' page':<36} {'':>5} {total['build']:>7.3f} "
            f"{total['matplotlib']:>10.3f} {total['report']:>7.3f} {total['before']:>7.3f} "
            f"{total['after']:>7.3f} {1 - total['after'] / total['before']:>6.0%}"
        )
    print(
        "px mean: the largest per-chart mean absolute difference of RGBA values (0-255); "
        "px max: the largest single difference; png size: after ÷ before bytes."
    )


if __name__ == "__main__":
    main()
