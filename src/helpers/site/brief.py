"""The decision brief (``reports/<Q>/brief.html``): one printed page for leadership.

It says what the quarter model says (``helpers.report.brief`` chooses the words,
``helpers.charts.brief`` draws the chart) and links to the pages that explain
it. The chart is embedded in the page and also written beside it as
``brief-chart.png`` and ``brief-chart.svg``, for slides.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from helpers.charts.brief import plot_brief
from helpers.load.artifacts import CASES, REVIEW, ROADMAP, read_documents, write_text_atomic
from helpers.model.quarter_model import MODEL
from helpers.report.brief import brief_content, chart_points
from helpers.report.labels import sure_label
from helpers.site.pages import render_page

BRIEF = "brief.html"
CHART = "brief-chart"  # .png and .svg beside the brief
PNG_DPI = 150


def brief_documents(artifacts_dir: Path) -> dict[str, Any]:
    """The documents the brief reads from a build's artifacts (missing ones left out)."""
    cases = sorted((Path(artifacts_dir) / CASES).glob("*.json"))
    names = [MODEL, ROADMAP, REVIEW] + [f"{CASES}/{path.name}" for path in cases]
    return read_documents(artifacts_dir, names)


def write_brief(manifest: dict, artifacts_dir: Path, folder: Path) -> Path | None:
    """Write ``folder/brief.html`` and its chart (PNG and SVG); None when the build has no
    quarter document or roadmap to brief on (a failed model)."""
    documents = brief_documents(artifacts_dir)
    roadmap = documents.get(ROADMAP)
    if MODEL not in documents or not roadmap:
        return None
    params = manifest.get("params") or {}
    quarter = str(manifest.get("quarter") or documents[MODEL].get("quarter"))
    figure = plot_brief(
        chart_points(documents),
        budget=float(roadmap["budget"]),
        plan_cost=roadmap.get("cost_at_confidence"),
        sure=sure_label(float(roadmap.get("budget_confidence") or 0.8)),
        currency=params.get("currency", "USD"),
    )
    png, svg = io.BytesIO(), io.StringIO()
    # at the PNG's own dpi, its canvas lays the figure out on the renderer it draws with
    # and draws once (``charts.style.ReportCanvas``): the same pixels, one draw fewer
    figure.set_dpi(PNG_DPI)
    figure.savefig(png, format="png", dpi=PNG_DPI)
    figure.savefig(svg, format="svg", metadata={"Date": None})
    (folder / f"{CHART}.png").write_bytes(png.getvalue())
    write_text_atomic(folder / f"{CHART}.svg", svg.getvalue())
    page = render_page(
        "brief.html.j2",
        page=f"{quarter}/{BRIEF}",
        current="quarter",
        nav_quarter=quarter,
        title=f"Decision brief: {manifest.get('title') or quarter}",
        quarter=quarter,
        chart="data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii"),
        chart_files={"png": f"{CHART}.png", "svg": f"{CHART}.svg"},
        reviewed=(documents.get(REVIEW) or {}).get("reviewed_quarters") or [],
        **brief_content(documents, params),
    )
    path = folder / BRIEF
    write_text_atomic(path, page)
    return path
