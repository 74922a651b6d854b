"""Tests of helpers/site.py: report pages, the quarter page, the home page and SOP chapters.

``build_fake_site`` (also used by test_browser.py) writes a small site from fake
notebooks, manifests and artifacts with the module's own functions.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from helpers.core.errors import InputError
from helpers.load.artifacts import case_path, write_json, write_text_atomic
from helpers.site import html as site_html
from helpers.site import pages as site

EVIL = "<script>alert(1)</script>"
# A 1×1 transparent PNG.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="


# --------------------------------------------------------------------------- builders


def make_notebook(
    *, quarter="2026Q4", initiative_id=None, name="Email platform upgrade", fail=False
):
    """An executed-looking notebook: parameters, summary, a table, a chart, a widget, stderr."""
    parameters = {"quarter": quarter, "root": ".."}
    if initiative_id:
        parameters["initiative_id"] = initiative_id
    nb = new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "papermill": {"parameters": parameters, "input_path": "notebooks/business_case.ipynb"},
            "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}},
        }
    )
    nb.cells = [
        new_markdown_cell("# Business case\nWhat the initiative is worth, and how sure we are."),
        new_code_cell("quarter: str = 'SECRET-DEFAULT'", metadata={"tags": ["parameters"]}),
        new_code_cell("quarter = 'SECRET-INJECTED'", metadata={"tags": ["injected-parameters"]}),
        new_markdown_cell("## Summary"),
        new_code_cell(
            "display(Markdown(finding))  # HIDDEN-CODE",
            outputs=[
                new_output(
                    "display_data",
                    data={
                        "text/markdown": f"**{name}**: fund it; expected NPV $150k.",
                        "text/plain": "<IPython.core.display.Markdown object>",
                    },
                )
            ],
        ),
        new_code_cell(
            "table  # HIDDEN-CODE",
            outputs=[
                new_output(
                    "execute_result",
                    data={
                        "text/html": (
                            "<style scoped>\n.dataframe tbody tr th { vertical-align: top; }\n"
                            "</style>\n"
                            f"<table class='dataframe'><tr><th>name</th><td>{name}</td>"
                            "<td onclick='steal()'>42</td></tr></table>"
                        ),
                        "text/plain": "table",
                    },
                    execution_count=3,
                )
            ],
        ),
        new_markdown_cell("## How likely is a loss?"),
        new_code_cell(
            "fig",
            outputs=[
                new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"}),
                new_output("stream", name="stderr", text="UserWarning: STDERR-NOISE\n"),
            ],
        ),
        new_code_cell(
            "panel",
            metadata={"tags": ["interactive"]},
            outputs=[new_output("display_data", data={"text/plain": "INTERACTIVE-CELL"})],
        ),
        new_code_cell(
            "widget",
            outputs=[
                new_output(
                    "display_data",
                    data={
                        "application/vnd.jupyter.widget-view+json": {
                            "model_id": "m1",
                            "version_major": 2,
                            "version_minor": 0,
                        },
                        "text/plain": "WIDGET-FALLBACK",
                    },
                )
            ],
        ),
        new_markdown_cell(
            "Move the sliders below (LAB-ONLY-SENTENCE)", metadata={"tags": ["interactive"]}
        ),
        new_markdown_cell("## Method and assumptions\nRanges are 90% intervals."),
    ]
    if fail:
        nb.cells.insert(
            7,
            new_code_cell(
                "simulate_case(row)",
                execution_count=5,
                outputs=[
                    new_output(
                        "error",
                        ename="ComputationError",
                        evalue="EML-01: cost_high below cost_low",
                        traceback=["\x1b[31mComputationError\x1b[0m", "Traceback line"],
                    )
                ],
            ),
        )
    return nb


def case_document(
    initiative_id, name, *, npv=150_000.0, prob_loss=0.12, cost80=210_000.0, cost90=250_000.0
):
    """A case JSON document with the keys the quarter page reads (contract 4)."""
    return {
        "id": initiative_id,
        "name": name,
        "category": "email",
        "currency": "USD",
        "npv": {"mean": npv, "0.1": -50_000.0, "0.5": npv, "0.9": 2 * npv},
        "prob_loss": prob_loss,
        "cost": {"mean": 180_000.0, "0.5": 170_000.0, "0.8": cost80, "0.9": cost90},
        "recommendation": {"action": "fund", "text": "Fund it."},
    }


def calibration_document(uplift80=0.31, uplift50=0.08):
    return {
        "metrics": {
            "cost": {
                "overall": {
                    "n": 40,
                    "share_overrun": 0.65,
                    "uplift": {"0.5": uplift50, "0.2": uplift80, "0.1": 0.5},
                },
                "by_class": {},
            },
            "duration": {"overall": {"n": 40, "uplift": {"0.5": 0.1, "0.2": 0.27}}},
        }
    }


def make_manifest(
    quarter, *, cases, failed=(), budget=900_000.0, title=None, budget_confidence=0.8
):
    """A manifest as helpers.build.pipeline writes it (contract 9)."""
    notebooks = [
        {"key": "calibration", "title": "Calibration", "html": "calibration.html", "status": "ok"}
    ]
    for initiative_id, name in cases:
        status = "failed" if initiative_id in failed else "ok"
        notebooks.append(
            {
                "key": f"case:{initiative_id}",
                "title": name,
                "html": f"cases/{initiative_id}.html",
                "status": status,
                "reused": False,
                "error": (
                    {"cell": 7, "ename": "ComputationError", "evalue": "cost_high below cost_low"}
                    if status == "failed"
                    else None
                ),
                "seconds": 1.0,
                "parameters": {"quarter": quarter, "initiative_id": initiative_id},
            }
        )
    notebooks.append({"key": "roadmap", "title": "Roadmap", "html": "roadmap.html", "status": "ok"})
    return {
        "quarter": quarter,
        "title": title or f"Marketing-IT roadmap, {quarter}",
        "built_at": f"{quarter[:4]}-01-15T10:00:00+00:00",
        "params": {
            "quarter": quarter,
            "currency": "USD",
            "budget": budget,
            "capacity": 150.0,
            "discount_rate": 0.1,
            "horizon_years": 3,
            "simulations": 2000,
            "estimate_confidence": 0.9,
            "budget_confidence": budget_confidence,
        },
        "notebooks": notebooks,
        "missing": [f"case {i} (failed)" for i in failed],
    }


def build_quarter(
    reports, quarter, *, cases, failed=(), budget=900_000.0, uplift80=0.31, budget_confidence=0.8
):
    """Write reports/<Q>/ as the pipeline would: artifacts, manifest, report pages, quarter page."""
    folder = reports / quarter
    artifacts = folder / "build" / "artifacts"
    write_json(artifacts / "calibration.json", calibration_document(uplift80=uplift80))
    ok_cases = [c for c in cases if c[0] not in failed]
    write_json(
        artifacts / "roadmap.json",
        {
            "selected": [c[0] for c in ok_cases[:1]],
            "expected_value": 320_000.0,
            "prob_over_budget": 0.18,
            "initiatives": {c[0]: {"reason": "does not fit the budget"} for c in ok_cases[1:]},
        },
    )
    for initiative_id, name in ok_cases:
        write_json(case_path(artifacts, initiative_id), case_document(initiative_id, name))
    manifest = make_manifest(
        quarter, cases=cases, failed=failed, budget=budget, budget_confidence=budget_confidence
    )
    write_json(folder / "build" / "manifest.json", manifest)
    for entry in manifest["notebooks"]:
        initiative_id = entry["key"][5:] if entry["key"].startswith("case:") else None
        name = dict(cases).get(initiative_id, entry["title"])
        nb = make_notebook(
            quarter=quarter,
            initiative_id=initiative_id,
            name=name,
            fail=entry["status"] == "failed",
        )
        page = site.render_notebook(
            nb,
            title=entry["title"],
            failed=entry["status"] == "failed",
            page=f"{quarter}/{entry['html']}",
        )
        write_text_atomic(folder / entry["html"], page)
    write_text_atomic(folder / "index.html", site.render_quarter_page(manifest, artifacts))
    return folder


def build_fake_site(reports: Path, root: Path) -> Path:
    """Two quarters (the newer with an initiative named <script>… and one failed case)."""
    build_quarter(reports, "2026Q3", cases=[("EML-01", "Email platform upgrade")], budget=700_000)
    build_quarter(
        reports,
        "2026Q4",
        cases=[("EML-01", "Email platform upgrade"), ("XSS-01", EVIL), ("WEB-02", "Site search")],
        failed=("WEB-02",),
        uplift80=0.37,
    )
    site.publish_site_pages(reports, root)
    return reports


LARGE = 2000  # initiatives in the large quarter (issue 15: a quarter of 2,000 initiatives)
NEEDLE = "Needle loyalty app relaunch"  # the name of the last initiative, on a later page


def large_roadmap_document(n: int) -> dict:
    """A roadmap document of ``n`` initiatives ``GEN-0001``...: the entries of a real
    12-initiative selection (select_builders.large_document) copied, every third funded,
    values rising with the number (so the last is the most valuable left out)."""
    from select_builders import large_document

    base = large_document(12, budget=40.0)
    funded = next(e for e in base["initiatives"].values() if e["selected"])
    left = next(e for e in base["initiatives"].values() if not e["selected"])
    slot = base["timeline"][0]
    initiatives, timeline = {}, []
    for k in range(n):
        initiative_id, chosen = f"GEN-{k + 1:04d}", k % 3 == 0
        name = NEEDLE if k == n - 1 else f"Email platform upgrade: split testing #{k + 1}"
        entry = {**(funded if chosen else left), "name": name, "value": 1_000.0 + k}
        initiatives[initiative_id] = entry
        if chosen:
            row = {**slot, "id": initiative_id, "name": name, "start_week": float(k % 13)}
            timeline.append(row)
    selected = [i for i, e in initiatives.items() if e["selected"]]
    return {**base, "initiatives": initiatives, "selected": selected, "timeline": timeline}


def build_large_quarter(reports: Path, root: Path, quarter: str = "2027Q1", n: int = LARGE):
    """reports/<Q>/ for a quarter of ``n`` initiatives, without running ``n`` notebooks.

    Case documents, roadmap.json, the manifest and the quarter page cover every
    initiative; the roadmap page shows the report layer's real long tables
    (ranked, timeline, left out) of that roadmap; of the case pages only the last
    initiative's is rendered. Then the home page. Returns the quarter folder.
    """
    from helpers.report.roadmap import fmt_left_out_table, fmt_ranked_table, fmt_timeline_table

    folder = reports / quarter
    artifacts = folder / "build" / "artifacts"
    document = large_roadmap_document(n)
    write_json(artifacts / "roadmap.json", document)
    write_json(artifacts / "calibration.json", calibration_document())
    cases = [(i, e["name"]) for i, e in document["initiatives"].items()]
    for k, (initiative_id, name) in enumerate(cases):
        npv = 10_000.0 + 997.0 * ((k * 7919) % n)  # scattered, so sorting moves rows
        write_json(case_path(artifacts, initiative_id), case_document(initiative_id, name, npv=npv))
    manifest = make_manifest(quarter, cases=cases)
    write_json(folder / "build" / "manifest.json", manifest)
    write_text_atomic(folder / "index.html", site.render_quarter_page(manifest, artifacts))
    tables = [fmt_ranked_table(document), fmt_timeline_table(document)]
    tables.append(fmt_left_out_table(document))
    roadmap = new_notebook(
        metadata={"papermill": {"parameters": {"quarter": quarter}, "input_path": "roadmap.ipynb"}}
    )
    roadmap.cells = [new_markdown_cell("# Roadmap\nThe portfolio chosen.")] + [
        new_code_cell(
            "table",
            outputs=[
                new_output(
                    "display_data", data={"text/html": t._repr_html_(), "text/plain": "table"}
                )
            ],
        )
        for t in tables
    ]
    page = site.render_notebook(roadmap, title="Roadmap", page=f"{quarter}/roadmap.html")
    write_text_atomic(folder / "roadmap.html", page)
    last_id, last_name = cases[-1]
    case_page = site.render_notebook(
        make_notebook(quarter=quarter, initiative_id=last_id, name=last_name),
        title=last_id,
        page=f"{quarter}/cases/{last_id}.html",
    )
    write_text_atomic(folder / "cases" / f"{last_id}.html", case_page)
    site.publish_site_pages(reports, root)
    return folder


def visible_text(markup: str) -> str:
    """The page without its <style> block (so CSS words do not count as content)."""
    return re.sub(r"<style>.*?</style>", "", markup, flags=re.S)


# --------------------------------------------------------------------------- render_notebook


@pytest.fixture(scope="module")
def report() -> str:
    return site.render_notebook(make_notebook(initiative_id="EML-01"), title="EML-01")


def test_render_notebook_hides_code_and_parameter_cells(report):
    assert "HIDDEN-CODE" not in report
    assert "SECRET-DEFAULT" not in report
    assert "SECRET-INJECTED" not in report
    assert "INTERACTIVE-CELL" not in report
    assert "LAB-ONLY-SENTENCE" not in report  # words about Lab controls, tagged interactive
    assert "What the initiative is worth" in report
    assert "Email platform upgrade" in report


def test_render_notebook_drops_widgets_and_stderr(report):
    assert "WIDGET-FALLBACK" not in report
    assert "widget-view" not in report
    assert "widget-state" not in report
    assert "STDERR-NOISE" not in report


def test_render_notebook_is_self_contained(report):
    assert "<script" not in report.lower()
    assert not re.search(r"<link[^>]+href", report, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?https?:|@font-face", report, re.I)
    assert "mathjax" not in report.lower() and "require.js" not in report.lower()
    sources = re.findall(r"<img[^>]+src=\"([^\"]+)\"", report)
    assert sources and all(src.startswith("data:image/") for src in sources)


def test_render_notebook_navigation_relative_to_page(report):
    assert 'href="../../index.html"' in report
    assert 'href="../../2026Q4/index.html"' in report
    assert 'href="../../2026Q4/roadmap.html"' in report


def test_render_notebook_escapes_register_text_in_markdown_and_tables():
    html = site.render_notebook(make_notebook(name=EVIL), title=EVIL)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "onclick" not in html


def test_render_notebook_failed_shows_banner_with_error():
    html = site.render_notebook(make_notebook(fail=True), title="EML-01", failed=True)
    assert "This report failed" in html
    assert "ComputationError" in html
    assert "cost_high below cost_low" in html
    banner = html.split("This report failed")[1].split("</div>")[0]
    assert "How likely is a loss?" in banner
    assert "(cell 5)" in banner  # the In [5] papermill and the manifest name
    assert "\x1b" not in html


def test_render_notebook_failed_with_manifest_error_uses_it():
    html = site.render_notebook(
        make_notebook(),
        title="EML-01",
        failed=True,
        error={"cell": 9, "ename": "DeadKernelError", "evalue": "Kernel died"},
    )
    assert "DeadKernelError" in html and "Kernel died" in html and "(cell 9)" in html


def test_render_notebook_failed_without_error_output_still_says_so():
    html = site.render_notebook(make_notebook(), title="EML-01", failed=True)
    assert "This report failed" in html
    assert "did not finish" in html


def test_render_notebook_ok_has_no_banner(report):
    assert "This report failed" not in report


def test_render_notebook_reuses_one_exporter():
    site.render_notebook(make_notebook(), title="a")
    first = site._get_exporter()
    site.render_notebook(make_notebook(), title="b")
    assert site._get_exporter() is first


def test_render_notebook_leaves_input_notebook_unchanged():
    nb = make_notebook()
    before = nbformat.writes(nb)
    site.render_notebook(nb, title="x")
    assert nbformat.writes(nb) == before


def test_find_notebook_error_names_cell_and_section():
    error = site.find_notebook_error(make_notebook(fail=True))
    assert error["cell"] == 7
    assert error["execution_count"] == 5
    assert error["ename"] == "ComputationError"
    assert error["section"] == "How likely is a loss?"
    assert site.find_notebook_error(make_notebook()) is None


# --------------------------------------------------------------------------- sanitising


def test_render_markdown_escapes_raw_html_and_drops_remote_images():
    html = site.render_markdown(f"Name {EVIL}\n\n![chart](http://example.com/x.png) **bold**")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "[chart]" in html
    assert "<strong>bold</strong>" in html
    assert "$150k–$300k" in site.render_markdown("$150k–$300k")


def test_render_markdown_keeps_a_tagged_figure_and_escapes_an_imitation():
    """A report's figure keeps its document key on the site (issue 22); register text that
    looks like one is escaped by the report layer and shows as text."""
    from helpers.report.keys import tagged
    from helpers.report.markdown import escape_text, markdown

    fake = '<span data-key="roadmap.budget" data-value="1" onclick="x">1</span>'
    text = markdown(
        f"**Fund**: {tagged('-$87k', 'cases.WEB-01.npv.mean', -87349.75)}, {escape_text(fake)}"
    )
    html = site.render_markdown(text)
    assert '<span data-key="cases.WEB-01.npv.mean" data-value="-87349.75">-$87k</span>' in html
    assert "<strong>Fund</strong>" in html
    assert "&lt;span data-key=&quot;roadmap.budget&quot;" in html  # shown as text
    assert '<span data-key="roadmap.budget"' not in html
    assert "\ue000" not in site.render_markdown("a \ue000 b \ue002")


def test_clean_html_keeps_a_figures_key_and_value_only():
    html = site_html.clean_html(
        '<table><tr><td><span data-key="cases.A.cost.0.5" data-value="1.5">$2</span>'
        '<span data-key="bad key" data-value="1" data-other="x" onclick="y">3</span>'
        "</td></tr></table>"
    )
    assert '<span data-key="cases.A.cost.0.5" data-value="1.5">$2</span>' in html
    assert "bad key" not in html and "data-other" not in html and "onclick" not in html


def test_clean_html_keeps_tables_and_data_images_only():
    html = site_html.clean_html(
        f'<table><tr><td style="color: red">{EVIL}</td></tr></table>'
        '<img src="http://example.com/t.gif"><img src="data:image/png;base64,AAAA">'
        '<a href="javascript:alert(1)">x</a><style>#T_1_row0 { color: red; }</style>'
        "<style>@import url(http://example.com/x.css);</style>"
        "<style>body { display: none }</style>"
        "<style scoped>\n .dataframe tbody tr th:only-of-type { vertical-align: middle; }\n</style>"
    )
    assert "<table>" in html and '<td style="color:red">' in html
    assert "<script" not in html and "alert(1)" not in html  # a script goes, code and all
    assert 'src="http' not in html
    assert "@import" not in html  # never fetched, never shown
    assert 'src="data:image/png;base64,AAAA"' in html
    assert "javascript:" not in html
    assert "<style>#T_1_row0 { color: red; }</style>" in html  # pandas Styler rules
    assert "display: none" not in html  # any other style goes
    assert html.count("<style>") == 1
    assert "only-of-type" not in html  # pandas' default table style is dropped


def test_clean_html_drops_other_tags_keeping_their_text_and_safe_styles_only():
    html = site_html.clean_html(
        '<p style="color: red; position: fixed; background: url(http://e.example/x)">a</p>'
        '<b style="cursor: url(http://e.example/c.png), auto">c</b>'
        '<iframe src="http://e.example">frame text</iframe><form><button onclick="x()">b'
        "</button></form><!-- note --><noscript>n</noscript>"
    )
    assert '<p style="color:red">a</p>' in html and ">c</b>" in html and "cursor" not in html
    assert "<iframe" not in html and "frame text" in html  # the tag goes, its words stay
    assert "<form" not in html and "<button" not in html and "onclick" not in html
    assert "note" not in html and "http" not in html


def test_clean_html_keeps_a_stacked_tables_classes_and_labels():
    cleaned = site_html.clean_html(
        '<table class="stack"><tr><td class="num" data-label="Cost P80">$1k</td>'
        '<td data-label="x" onmouseover="y">a</td></tr></table>'
    )
    assert '<td class="num" data-label="Cost P80">$1k</td>' in cleaned
    assert '<td data-label="x">a</td>' in cleaned
    assert '<table class="stack">' in cleaned


# --------------------------------------------------------------------------- pages


@pytest.fixture()
def fake_site(tmp_path, root) -> Path:
    return build_fake_site(tmp_path / "reports", root)


def test_render_quarter_page_lists_cases_with_headline_figures(fake_site):
    page = (fake_site / "2026Q4" / "index.html").read_text()
    assert 'href="cases/EML-01.html"' in page
    assert 'href="calibration.html"' in page and 'href="roadmap.html"' in page
    assert "$150k" in page  # expected NPV
    assert "12%" in page  # P(loss)
    assert "$210k" in page  # cost P80
    assert "Fund" in page
    assert "Chosen" in page and "Left out: does not fit the budget" in page


def test_render_quarter_page_marks_failed_cases(fake_site):
    page = (fake_site / "2026Q4" / "index.html").read_text()
    assert "1 report failed" in page
    row = page.split('href="cases/WEB-02.html"')[2].split("</tr>")[0]
    assert "failed" in row and "ComputationError" in row


def test_render_quarter_page_escapes_register_text(fake_site):
    page = (fake_site / "2026Q4" / "index.html").read_text()
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_publish_site_pages_orders_quarters_newest_first_with_archive(fake_site):
    home = (fake_site / "index.html").read_text()
    assert home.index("2026Q4/index.html") < home.index("2026Q3/index.html")
    latest = home.split('class="card latest"')[1].split("</div>")[0]
    assert "2026Q4" in latest and "2026Q3" not in latest
    archive = home.split('id="archive"')[1]
    assert "2026Q3/index.html" in archive
    assert "sop/01-how-we-decide.html" in home


def test_publish_site_pages_fills_sop_figures_from_latest_quarter(fake_site, root):
    chapter = (fake_site / "sop" / "03-estimating-and-calibration.html").read_text()
    assert "37%" in chapter  # the 2026Q4 P80 uplift, not 2026Q3's 31%
    assert site.NOT_BUILT not in chapter
    assert "{{" not in chapter
    budget = (fake_site / "sop" / "04-scoring-and-the-roadmap.html").read_text()
    assert "$900,000" in budget


def test_publish_site_pages_without_quarters_says_not_yet_built(tmp_path, root):
    reports = tmp_path / "reports"
    site.publish_site_pages(reports, root)
    chapter = (reports / "sop" / "03-estimating-and-calibration.html").read_text()
    assert site.NOT_BUILT in chapter
    assert "No quarter has been built yet" in (reports / "index.html").read_text()


def test_publish_site_pages_every_chapter_written(fake_site, root):
    for md in (root / "playbook").glob("*.md"):
        assert (fake_site / "sop" / f"{md.stem}.html").is_file()
    assert len(list((root / "playbook").glob("*.md"))) >= 6


def test_publish_site_pages_pages_are_self_contained(fake_site):
    for page in fake_site.rglob("*.html"):
        text = page.read_text()
        assert "<script" not in text.lower(), page
        assert not re.search(r"(src|href)=\"(https?:)?//", text), page


def test_publish_site_pages_leaves_no_temporary_files(fake_site):
    assert not [p for p in fake_site.rglob("*.tmp")]


def test_render_chapter_unknown_figure_is_an_error():
    with pytest.raises(InputError, match="figures.budgett|budgett"):
        site.render_chapter("Budget: {{ figures.budgett }}", {"budget": "$1"})


def test_list_quarters_ignores_scratch_and_unbuilt(tmp_path):
    (tmp_path / "_scratch" / "2026Q4").mkdir(parents=True)
    (tmp_path / "2026Q2").mkdir()
    write_json(tmp_path / "2026Q1" / "build" / "manifest.json", {"quarter": "2026Q1"})
    assert [q["quarter"] for q in site.list_quarters(tmp_path)] == ["2026Q1"]


def test_png_fixture_is_a_png():
    assert base64.b64decode(PNG)[:4] == b"\x89PNG"


def test_render_quarter_page_follows_budget_confidence_and_scoring_method(tmp_path):
    folder = build_quarter(tmp_path / "reports", "2026Q4", cases=[("EML-01", "Email upgrade")])
    artifacts = folder / "build" / "artifacts"
    manifest = json.loads((folder / "build" / "manifest.json").read_text())
    manifest["params"]["budget_confidence"] = 0.9
    roadmap = json.loads((artifacts / "roadmap.json").read_text())
    roadmap.update({"method": "weighted", "expected_value": 64.0})
    write_json(artifacts / "roadmap.json", roadmap)
    page = site.render_quarter_page(manifest, artifacts)
    assert "Cost P90" in page and "Cost P80" not in page
    assert "90% sure" in page
    assert "64 points" in page and "$64" not in page


def test_quarter_at_budget_confidence_90_says_p90_never_p80(tmp_path, root):
    reports = tmp_path / "reports"
    build_quarter(
        reports,
        "2026Q4",
        cases=[("EML-01", "Email upgrade"), ("WEB-02", "Site search")],
        budget_confidence=0.9,
    )
    site.publish_site_pages(reports, root)
    page = visible_text((reports / "2026Q4" / "index.html").read_text())
    assert "P80" not in page and "80% sure" not in page
    assert "Cost P90" in page  # the cases table's column
    assert "Cost uplift for P90" in page and "50%" in page  # headline, at the 0.1 overrun chance
    assert "cost P90 is the calibrated delivery cost we are 90% sure not to exceed" in page
    assert "to be 90% sure, add 50% to a cost estimate" in page  # the calibration row
    assert "P90 calibrated cost" in page  # what this build used
    assert "$250k" in page and "$210k" not in page  # each case's cost at P90, not P80
    home = (reports / "index.html").read_text()
    card = home.split('class="card latest"')[1].split("</div>")[0]
    assert "costs at P90" in card and "P80" not in card
    chapter = visible_text((reports / "sop" / "04-scoring-and-the-roadmap.html").read_text())
    assert "The current P90 cost uplift is 50%" in " ".join(chapter.split())  # the SOP too


# --------------------------------------------------------------------------- links and print


def test_clean_html_keeps_relative_page_links_only():
    cleaned = site_html.clean_html(
        '<a href="cases/EML-01.html">EML-01</a> <a href="../2026Q3/index.html#cases">Q3</a> '
        '<a href="javascript:alert(1)">x</a> <a href="cases/x.html?q=1">y</a> '
        '<a href="//evil.example/a.html">z</a>'
    )
    assert 'href="cases/EML-01.html"' in cleaned
    assert 'href="../2026Q3/index.html#cases"' in cleaned
    assert 'href="javascript' not in cleaned
    assert 'href="cases/x.html?q=1"' not in cleaned
    assert 'href="//evil' not in cleaned


def test_quarter_page_links_to_the_other_quarters(fake_site):
    newer = (fake_site / "2026Q4" / "index.html").read_text(encoding="utf-8")
    assert 'href="../2026Q3/index.html"' in newer
    assert 'href="../index.html#quarters"' in newer
    older = (fake_site / "2026Q3" / "index.html").read_text(encoding="utf-8")
    assert 'href="../2026Q4/index.html"' not in older  # built before 2026Q4 existed
    assert 'href="../index.html#quarters"' in older


def test_home_card_says_the_decision_in_one_line_and_links_to_it(tmp_path, root):
    reports = tmp_path / "reports"
    folder = build_quarter(reports, "2026Q4", cases=[("EML-01", "Email"), ("CRM-01", "CRM")])
    roadmap = json.loads((folder / "build" / "artifacts" / "roadmap.json").read_text())
    roadmap.update(
        selected=["EML-01", "CRM-01", "A", "B", "C", "D"],
        cost_at_confidence=861_000.0,
        budget_confidence=0.8,
        prob_over_budget=0.1,
    )
    write_json(folder / "build" / "artifacts" / "roadmap.json", roadmap)
    site.publish_site_pages(reports, root)
    home = (reports / "index.html").read_text(encoding="utf-8")
    line = "Fund 6 initiatives, $861k at P80, 10% chance of overrunning"
    assert f'<a href="2026Q4/roadmap.html">{line}</a>' in home


def test_pages_carry_a_print_header_with_quarter_title_and_build(fake_site):
    for path in (fake_site / "2026Q4" / "index.html", fake_site / "2026Q4/cases/EML-01.html"):
        html = path.read_text(encoding="utf-8")
        header = re.search(r'<header class="print-header">(.*?)</header>', html, re.S)
        assert header, path
        assert "2026Q4" in header.group(1) and "built " in header.group(1), header.group(1)
    case = (fake_site / "2026Q4/cases/EML-01.html").read_text(encoding="utf-8")
    assert "Email platform upgrade" in re.search(r'print-header">(.*?)<', case).group(1)


def test_failed_case_page_without_papermill_metadata_links_up_two_levels(tmp_path):
    """A worker that died leaves an error notebook: its page's links still resolve."""
    from helpers.build import executors

    task = executors.NotebookTask(
        key="case:EML-01",
        notebook=str(tmp_path / "missing.ipynb"),
        output=str(tmp_path / "out.ipynb"),
        parameters={"quarter": "2026Q4", "initiative_id": "EML-01"},
        cwd=str(tmp_path),
    )
    executors._write_error_notebook(task, "WorkerDied", "the worker running it was killed")
    nb = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    html = site.render_notebook(nb, title="EML-01", failed=True)
    assert 'href="../../index.html"' in html
    assert 'href="../../2026Q4/roadmap.html"' in html
    assert "cases/index.html" not in html
    assert 'href="index.html"' not in html


def test_css_wraps_long_words_and_has_a_print_header():
    css = (Path(site.__file__).parent / "templates" / "site.css").read_text(encoding="utf-8")
    assert re.search(r"td, th[^{]*\{ overflow-wrap: anywhere; \}", css)
    assert ".print-header { display: none; }" in css
    assert "@page" in css


def test_roadmap_ids_link_to_case_pages_escaped_then_wrapped():
    import pandas as pd

    from helpers.report.roadmap import link_ids
    from helpers.report.tables import styled_table

    frame = pd.DataFrame({"id": ["EML-01", "<b>x</b>", "MISSING-1"], "value": ["$1k", "$2k", "–"]})
    html = link_ids(styled_table(frame), rows=[0, 1], anchor=True).to_html()
    assert '<a href="cases/EML-01.html" id="decision-EML-01">EML-01</a>' in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "cases/&lt;b" not in html  # not a safe id: text
    assert 'href="cases/MISSING-1.html"' not in html  # a row not linked (no case page)
    cleaned = site_html.clean_html(html)
    assert 'href="cases/EML-01.html"' in cleaned and 'id="decision-EML-01"' in cleaned


def test_case_page_links_to_variants_prerequisites_and_the_roadmap_row():
    from helpers.report.case import describe_links

    case = {"id": "EML-01", "variants": [{"id": "EML-01"}, {"id": "EML-01P"}]}
    text = describe_links(case, {"id": "EML-01", "depends_on": ["DATA-01"]})
    html = site.render_markdown(text)
    assert 'href="EML-01P.html"' in html
    assert 'href="DATA-01.html"' in html
    assert 'href="../roadmap.html#decision-EML-01"' in html


def _project_with_status(tmp_path: Path, statuses: dict[str, str]) -> Path:
    (tmp_path / "params").mkdir()
    for quarter, status in statuses.items():
        extra = (
            'approved_on: "2026-07-01"\napproved_by: "Dana Lee"\nfingerprint:\n  params: x\n'
            if status == "approved"
            else ""
        )
        (tmp_path / "params" / f"{quarter}.yaml").write_text(
            f"quarter: {quarter}\ntitle: Roadmap\ninitiatives: data/initiatives.csv\n"
            f"actuals: data/actuals.csv\nbudget: 100000\ncapacity: 50\nstatus: {status}\n{extra}"
        )
    return tmp_path


@pytest.mark.parametrize("page", ["calibration", "roadmap", "review", "case"])
def test_render_notebook_labels_every_report_of_a_draft_quarter(tmp_path, page):
    root = _project_with_status(tmp_path, {"2026Q3": "approved", "2026Q4": "draft"})
    pages = {}
    for quarter in ("2026Q3", "2026Q4"):
        nb = make_notebook(quarter=quarter, initiative_id="EML-01" if page == "case" else None)
        nb.metadata["papermill"]["parameters"]["root"] = str(root)
        nb.metadata["papermill"]["input_path"] = f"notebooks/{page}.ipynb"
        pages[quarter] = site.render_notebook(nb, title="A report")
    draft = pages["2026Q4"]
    assert "<title>Draft: A report" in draft
    header = re.search(r'<header class="print-header">(.*?)</header>', draft, re.S).group(1)
    assert header.startswith("Draft · 2026Q4 · A report"), header
    assert 'class="badge draft">Draft<' in draft and "not approved yet" in draft
    assert "Draft" not in visible_text(pages["2026Q3"]) and "Draft" not in pages["2026Q3"]


def test_render_notebook_without_quarter_params_is_not_labelled_draft(report):
    # make_notebook's root ("..") has no params for its quarter: nothing says draft
    assert "Draft" not in report


# --------------------------------------------------------------------------- a quarter of 2,000


# ``large_quarter``: ``build_large_quarter`` once per test session (conftest.py)


def _scripts(page: str) -> list[str]:
    return re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S | re.I)


def test_large_quarter_pages_stay_light(large_quarter):
    sizes = {
        name: (large_quarter / name).stat().st_size
        for name in ("index.html", "roadmap.html", "../index.html")
    }
    assert sizes["index.html"] < 2_500_000, sizes  # bytes: 2,000 rows of cases
    assert sizes["roadmap.html"] < 2_500_000, sizes  # three tables of up to 2,000 rows
    assert sizes["../index.html"] < 200_000, sizes  # the home page does not list cases


def test_large_quarter_page_has_every_case_once_and_shows_the_first(large_quarter):
    page = (large_quarter / "index.html").read_text()
    assert page.count('href="cases/GEN-') == LARGE
    assert page.count('<tr class="rest">') == LARGE - site.CASES_SHOWN
    assert 'class="table-wrap paged-table"' in page
    note = re.search(r'<p class="paged-note">(.*?)</p>', page, flags=re.S).group(1)
    assert f"first {site.CASES_SHOWN} of 2,000 business cases" in note
    assert "JavaScript" in note


def test_large_pages_carry_only_the_site_pager_script(large_quarter):
    asset = (Path(site.__file__).parent / "templates" / "pager.js").read_text()
    assert "</script" not in asset.lower()
    for name in ("index.html", "roadmap.html"):
        page = (large_quarter / name).read_text()
        assert [s.strip() for s in _scripts(page)] == [asset.strip()], name
        assert page.count('<script id="playbook-pager">') == 1, name
    assert _scripts((large_quarter / "../index.html").read_text()) == []
    case_page = (large_quarter / "cases" / "GEN-2000.html").read_text()
    assert _scripts(case_page) == []  # no long table, no script


def test_large_roadmap_page_has_each_table_once_with_linked_ids(large_quarter):
    page = (large_quarter / "roadmap.html").read_text()
    assert page.count('class="long-table paged-table') == 3
    assert page.count('id="decision-GEN-2000"') == 1  # the case page's link back lands here
    assert "<details>" not in page
    assert NEEDLE in page


def test_small_quarter_page_has_no_pager(fake_site):
    page = visible_text((fake_site / "2026Q4" / "index.html").read_text())
    assert "paged-table" not in page and "paged-note" not in page
    assert _scripts(page) == []


def test_quarter_page_names_twenty_failed_reports_and_counts_the_rest(tmp_path):
    cases = [(f"F-{k:02d}", f"Failing {k}") for k in range(25)]
    folder = tmp_path / "reports" / "2026Q4"
    artifacts = folder / "build" / "artifacts"
    write_json(artifacts / "calibration.json", calibration_document())
    manifest = make_manifest("2026Q4", cases=cases, failed=[c[0] for c in cases])
    page = site.render_quarter_page(manifest, artifacts)
    banner = page.split('class="banner-failed"')[1].split("</div>")[0]
    assert "25 reports failed in this build" in banner
    assert banner.count("<li>") == site.FAILED_LISTED + 1
    assert "and 5 more: filter the business cases below for “failed”." in banner


# --------------------------------------------------------------------------- the home page


def _cards(*statuses: tuple[str, str]) -> list[dict]:
    return [{"quarter": quarter, "status": status} for quarter, status in statuses]


def test_home_puts_the_quarter_being_decided_first_and_the_last_approved_plan_beside_it():
    chosen = site.home_quarters(
        _cards(
            ("2027Q1", "draft"), ("2026Q4", "draft"), ("2026Q3", "approved"), ("2026Q2", "approved")
        )
    )
    assert chosen["deciding"]["quarter"] == "2027Q1"
    assert chosen["approved"]["quarter"] == "2026Q3"
    assert [c["quarter"] for c in chosen["archive"]] == ["2026Q4", "2026Q2"]


def test_home_without_a_draft_leads_with_the_approved_plan():
    chosen = site.home_quarters(_cards(("2026Q4", "approved"), ("2026Q3", "approved")))
    assert chosen["deciding"] is None and chosen["approved"]["quarter"] == "2026Q4"
    assert [c["quarter"] for c in chosen["archive"]] == ["2026Q3"]
    only_drafts = site.home_quarters(_cards(("2026Q4", "draft"), ("2026Q3", "draft")))
    assert only_drafts["deciding"]["quarter"] == "2026Q4" and only_drafts["approved"] is None


def test_home_page_shows_the_draft_first_labelled_for_approval(tmp_path, root):
    reports = tmp_path / "reports"
    for quarter, status in (("2026Q3", "approved"), ("2026Q4", "draft"), ("2026Q2", "approved")):
        build_quarter(reports, quarter, cases=[("EML-01", "Email upgrade")])
        path = reports / quarter / "build" / "manifest.json"
        manifest = json.loads(path.read_text())
        manifest["params"]["status"] = status
        write_json(path, manifest)
    site.publish_site_pages(reports, root)
    home = (reports / "index.html").read_text()
    cards = home.split('<div class="cards">')[1].split('id="archive"')[0]
    first, second = cards.split('<div class="card')[1:3]
    assert "2026Q4/index.html" in first and "Draft — for approval" in first
    assert "2026Q3/index.html" in second and "Approved plan" in second
    assert "2026Q2/index.html" in home.split('id="archive"')[1]
