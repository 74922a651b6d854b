"""The built site in a real browser: headless system Chromium driven by playwright.

Every page loads from file:// with no request leaving it, no console error, no
page error and no dialog; an initiative named ``<script>alert(1)</script>``
shows as text; print media hides the navigation. Screenshots go to tmp_path
(never committed).

Needs /usr/bin/chromium (``apt-get install chromium``); without it the tests skip,
except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest
from test_site import EVIL, build_fake_site

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("PLAYBOOK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LAPTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found: install it with `apt-get install -y chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def built_site(tmp_path_factory, root) -> Path:
    return build_fake_site(tmp_path_factory.mktemp("site") / "reports", root)


class PageWatch:
    """A page whose every request, console error, page error and dialog is recorded."""

    def __init__(self, browser, viewport):
        self.context = browser.new_context(viewport=viewport, java_script_enabled=True)
        self.page = self.context.new_page()
        self.external: list[str] = []
        self.problems: list[str] = []
        self.context.route("**/*", self._route)
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("dialog", self._dialog)

    def _route(self, route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def _dialog(self, dialog):
        self.problems.append(f"dialog {dialog.type}: {dialog.message}")
        dialog.dismiss()

    def open(self, path: Path):
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_timeout(50)
        return self.page

    def close(self):
        self.context.close()


def test_every_page_loads_offline_without_errors(browser, built_site, tmp_path):
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) >= 12
    watch = PageWatch(browser, LAPTOP)
    try:
        for path in pages:
            page = watch.open(path)
            assert page.title(), path
            assert page.locator("nav.site-nav").count() == 1, path
            assert page.locator("script").count() == 0, path
            text = page.inner_text("main")
            assert "Traceback" not in text, path
            assert "HIDDEN-CODE" not in text, path
            assert "<style" not in text and "{" not in text, f"{path} shows markup or CSS as text"
            for image in page.locator("img").all():
                assert image.evaluate("i => i.complete && i.naturalWidth > 0"), path
    finally:
        watch.close()
    assert watch.external == [], "requests left the file"
    assert watch.problems == []


def test_script_name_shows_as_text_and_runs_nothing(browser, built_site):
    watch = PageWatch(browser, LAPTOP)
    try:
        for path in (built_site / "2026Q4" / "index.html", built_site / "2026Q4/cases/XSS-01.html"):
            page = watch.open(path)
            assert EVIL in page.inner_text("main"), path
            assert page.evaluate("() => document.scripts.length") == 0
    finally:
        watch.close()
    assert watch.problems == []
    assert watch.external == []


def test_navigation_links_resolve_to_built_pages(browser, built_site):
    watch = PageWatch(browser, LAPTOP)
    try:
        for path in (
            built_site / "index.html",
            built_site / "sop" / "01-how-we-decide.html",
            built_site / "2026Q4" / "index.html",
            built_site / "2026Q4" / "cases" / "EML-01.html",
        ):
            page = watch.open(path)
            hrefs = page.eval_on_selector_all(
                "a[href^='file:'], a[href]", "as => as.map(a => a.href)"
            )
            for href in hrefs:
                if href.startswith("file:"):
                    target = Path(href.split("#")[0].removeprefix("file://"))
                    assert target.is_file(), f"{path} links to missing {target}"
    finally:
        watch.close()


def test_pages_read_on_laptop_and_phone(browser, built_site, tmp_path):
    for name, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        watch = PageWatch(browser, viewport)
        try:
            for path in (
                built_site / "index.html",
                built_site / "2026Q4" / "index.html",
                built_site / "2026Q4" / "cases" / "WEB-02.html",
                built_site / "sop" / "03-estimating-and-calibration.html",
            ):
                page = watch.open(path)
                # No sideways scrolling of the whole page: wide tables scroll in their box.
                overflow = page.evaluate(
                    "() => document.documentElement.scrollWidth - window.innerWidth"
                )
                assert overflow <= 1, f"{path} scrolls sideways on a {name} by {overflow}px"
                shot = tmp_path / f"{name}-{path.parent.name}-{path.stem}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 0
        finally:
            watch.close()


def test_failed_report_shows_banner_in_view(browser, built_site):
    watch = PageWatch(browser, PHONE)
    try:
        page = watch.open(built_site / "2026Q4" / "cases" / "WEB-02.html")
        banner = page.locator(".banner-failed")
        assert banner.is_visible()
        assert banner.bounding_box()["y"] < PHONE["height"]
        assert "ComputationError" in banner.inner_text()
    finally:
        watch.close()


def test_print_media_hides_navigation(browser, built_site, tmp_path):
    watch = PageWatch(browser, LAPTOP)
    try:
        page = watch.open(built_site / "2026Q4" / "cases" / "EML-01.html")
        assert page.locator("nav.site-nav").is_visible()
        page.emulate_media(media="print")
        assert not page.locator("nav.site-nav").is_visible()
        assert page.locator("main").is_visible()
        page.pdf(path=str(tmp_path / "case.pdf"))
    finally:
        watch.close()


def _site_pages(reports: Path) -> list[Path]:
    """Every published page, through the quarter symlinks, without build folders."""
    pages = []
    for folder, subfolders, files in os.walk(reports, followlinks=True):
        subfolders[:] = [s for s in subfolders if s not in (".builds", "build")]
        pages += [Path(folder) / f for f in files if f.endswith(".html")]
    return sorted(pages)


@pytest.fixture(scope="module")
def real_site(tmp_path_factory, sample_build) -> Path:
    """The sample quarter built by ``pipeline.run_quarter`` with one initiative renamed
    ``<script>alert(1)</script>``: a copy of the session's sample build
    (``conftest.sample_build``), rebuilt (the renamed initiative's case and the reports
    listing it run again)."""
    import pandas as pd

    from helpers.build import pipeline

    copy = sample_build.copy_to(tmp_path_factory.mktemp("evil"))
    register = copy.project / "data" / "sample" / "initiatives.csv"
    frame = pd.read_csv(register, dtype=str, keep_default_na=False)
    frame.loc[0, "name"] = EVIL
    frame.to_csv(register, index=False)
    result = pipeline.run_quarter(
        "2026Q4", root=copy.project, reports_dir=copy.reports, jobs=2, progress=False
    )
    assert not result.failed, result.failed
    assert result.executed > 0  # the renamed initiative's pages were made again
    return copy.reports


@pytest.mark.slow
def test_real_build_browses_offline_and_shows_script_name_as_text(browser, real_site):
    pages = _site_pages(real_site)
    assert (real_site / "2026Q4" / "index.html") in pages
    watch = PageWatch(browser, LAPTOP)
    try:
        for path in pages:
            page = watch.open(path)
            assert page.locator("script").count() == 0, path
            text = page.inner_text("main")
            assert "Traceback" not in text, path
            assert "<style" not in text, f"{path} shows CSS as text"
        page = watch.open(real_site / "2026Q4" / "index.html")
        assert EVIL in page.inner_text("main")
    finally:
        watch.close()
    assert watch.external == [], "requests left the file"
    assert watch.problems == []


@pytest.mark.slow
def test_home_leads_with_the_draft_and_its_brief_is_one_click_and_one_printed_page(
    browser, real_site, tmp_path
):
    watch = PageWatch(browser, LAPTOP)
    try:
        page = watch.open(real_site / "index.html")
        first = page.locator(".cards .card").first
        assert first.locator("h3 a").get_attribute("href") == "2026Q4/index.html"
        assert "Draft — for approval" in first.inner_text()
        first.get_by_role("link", name="Decision brief").click()
        page.wait_for_load_state()
        assert page.url.endswith("2026Q4/brief.html"), page.url
        main = page.inner_text("main")
        for heading in ("What we fund and why", "What it costs", "What we test first"):
            assert heading in main
        assert page.locator("script").count() == 0  # the EVIL name shows as text
        page.emulate_media(media="print")
        pdf = tmp_path / "brief.pdf"
        page.pdf(path=str(pdf), format="A4")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
        assert pages == 1, f"the printed brief takes {pages} A4 pages"
    finally:
        watch.close()
    assert (real_site / "2026Q4" / "brief-chart.png").is_file()
    assert (real_site / "2026Q4" / "brief-chart.svg").read_text().lstrip().startswith("<?xml")
    assert watch.external == [] and watch.problems == []


# ------------------------------------------------------------------ reading: fit, links, print

PHONE_390 = {"width": 390, "height": 844}
LAPTOP_1280 = {"width": 1280, "height": 800}
LONG_WORD = "W" * 5000  # a hostile 5,000-character word in an initiative's name


def _report_notebook(quarter: str, heading: str, outputs: list[tuple[str, str]]):
    """An executed-looking report: a heading per (kind, content) output, kind markdown/html/png."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    nb = new_notebook(
        metadata={"papermill": {"parameters": {"quarter": quarter}, "input_path": "roadmap.ipynb"}}
    )
    nb.cells = [new_markdown_cell(f"# {heading}")]
    for kind, content in outputs:
        mime = {"markdown": "text/markdown", "html": "text/html", "png": "image/png"}[kind]
        output = new_output("display_data", data={mime: content, "text/plain": ""})
        nb.cells.append(new_code_cell("", outputs=[output]))
    return nb


@pytest.fixture(scope="module")
def roadmap_site(tmp_path_factory, root) -> Path:
    """The fake site plus the sample quarter's real roadmap tables, case summaries and
    charts (report layer, in-process), and a case page for every initiative."""
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    from test_site import make_notebook

    from helpers.charts import roadmap as charts
    from helpers.load.artifacts import write_text_atomic
    from helpers.load.inputs import load_quarter
    from helpers.model import selection
    from helpers.model.quarter import load_cases
    from helpers.report import case as case_report
    from helpers.report import roadmap as roadmap_report
    from helpers.site import pages as site

    reports = build_fake_site(tmp_path_factory.mktemp("site") / "reports", root)
    inputs = load_quarter("2026Q4", root)
    cases, missing = load_cases(inputs)
    document = selection.select_portfolio(inputs.initiatives, cases, inputs.params, missing=missing)

    def png(figure) -> str:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=100)
        return base64.b64encode(buffer.getvalue()).decode()

    nb = _report_notebook(
        "2026Q4",
        "Roadmap: what do we fund this quarter?",
        [
            ("markdown", str(roadmap_report.describe_summary(document))),
            ("png", png(charts.plot_budget_use(document))),
            ("html", roadmap_report.fmt_ranked_table(document).to_html()),
            ("html", roadmap_report.fmt_timeline_table(document).to_html()),
            ("html", roadmap_report.fmt_left_out_table(document).to_html()),
        ],
    )
    quarter = reports / "2026Q4"
    page = site.render_notebook(nb, title="Roadmap 2026Q4", page="2026Q4/roadmap.html")
    write_text_atomic(quarter / "roadmap.html", page)
    for initiative_id, case in cases.items():
        row = inputs.initiatives.set_index("id").loc[initiative_id].to_dict()
        name = LONG_WORD if initiative_id == "EML-01" else str(row["name"])
        nb = make_notebook(initiative_id=initiative_id, name=name)
        nb.cells[4].outputs[0].data["text/markdown"] += "\n\n" + str(
            case_report.describe_links(case, {**row, "id": initiative_id})
        )
        nb.cells[4].outputs[0].data["text/markdown"] += "\n\n" + str(
            case_report.describe_links(case, {**row, "id": initiative_id})
        )
        page = site.render_notebook(
            nb,
            title=f"Business case {initiative_id}: {name}",
            page=f"2026Q4/cases/{initiative_id}.html",
        )
        write_text_atomic(quarter / "cases" / f"{initiative_id}.html", page)
    return reports


_WIDER_THAN_VIEWPORT = """() => {
  const width = document.documentElement.clientWidth;
  const scrollBox = el => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === 'auto' || x === 'scroll') return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1 || scrollBox(el)) continue;
    wide.push(`${el.tagName.toLowerCase()}.${el.className}: right ${Math.round(box.right)}px`);
  }
  return wide.slice(0, 5);
}"""

# column headers broken inside a word ("Reco/mme/ndati/on"): a header cell narrower than
# its longest word (words of up to 24 letters: product words, not register text; a
# hyphen is a place to wrap, so "person-weeks" may show as "person-" / "weeks")
_HEADERS_BROKEN_MID_WORD = """() => {
  const measure = document.createElement('canvas').getContext('2d'), broken = [];
  for (const th of document.querySelectorAll('thead th')) {
    const style = getComputedStyle(th);
    if (style.display === 'none' || !th.getClientRects().length || !th.innerText.trim()) continue;
    measure.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const words = th.innerText.split(/\\s+|(?<=-)/).filter(w => w && w.length <= 24);
    const longest = Math.max(0, ...words.map(w => measure.measureText(w).width));
    const room = th.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (longest > room + 1) broken.push(`${th.innerText}: ${Math.round(room)}px`);
  }
  return broken.slice(0, 5);
}"""

_SCROLLING_BOXES = """() => [...document.querySelectorAll('.output_html, .table-wrap, main')]
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => `${el.className}: ${el.scrollWidth} > ${el.clientWidth}`)"""


def _reading_pages(site_root: Path) -> list[Path]:
    return [
        site_root / "index.html",
        site_root / "2026Q4" / "index.html",
        site_root / "2026Q4" / "roadmap.html",
        site_root / "2026Q4" / "cases" / "EML-01.html",
        site_root / "sop" / "01-how-we-decide.html",
    ]


@pytest.mark.parametrize("viewport", [PHONE_390, LAPTOP_1280], ids=["phone-390", "laptop-1280"])
def test_no_element_wider_than_the_viewport_outside_a_scroll_box(browser, roadmap_site, viewport):
    watch = PageWatch(browser, viewport)
    try:
        for path in _reading_pages(roadmap_site):
            page = watch.open(path)
            assert page.evaluate(_WIDER_THAN_VIEWPORT) == [], f"{path} at {viewport['width']}px"
            assert page.evaluate(_HEADERS_BROKEN_MID_WORD) == [], path
            overflow = page.evaluate("() => document.documentElement.scrollWidth - innerWidth")
            assert overflow <= 1, f"{path} scrolls sideways by {overflow}px"
            if viewport is LAPTOP_1280:  # on a laptop no table scrolls sideways either
                assert page.evaluate(_SCROLLING_BOXES) == [], path
    finally:
        watch.close()
    assert watch.problems == []


def test_sop_who_does_what_table_fits_a_phone(browser, roadmap_site):
    watch = PageWatch(browser, PHONE_390)
    try:
        page = watch.open(roadmap_site / "sop" / "01-how-we-decide.html")
        table = page.locator("table").first
        assert "Who" in page.inner_text("main") and table.is_visible()
        box = table.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_390["width"], box
    finally:
        watch.close()


def test_charts_scale_to_a_phone(browser, roadmap_site):
    watch = PageWatch(browser, PHONE_390)
    try:
        page = watch.open(roadmap_site / "2026Q4" / "roadmap.html")
        for image in page.locator(".output_png img").all():
            box = image.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_390["width"] + 1, box
            shown = image.evaluate("i => i.getBoundingClientRect().width / i.naturalWidth")
            assert shown >= 0.3, f"the chart is shrunk to {shown:.0%} of its size on a phone"
    finally:
        watch.close()


# every visible table cell: text past its own box or the screen (clipped), and a word of
# up to 24 characters whose letters sit on two lines (split inside the word)
_CELLS_CLIPPED_OR_SPLIT = r"""() => {
  const bad = [];
  for (const cell of document.querySelectorAll('td, th')) {
    if (!cell.offsetParent || cell.getBoundingClientRect().width === 0) continue;
    const box = cell.getBoundingClientRect();
    if (cell.scrollWidth > cell.clientWidth + 1 || box.right > innerWidth + 1 || box.left < -1)
      bad.push(`clipped: ${cell.innerText.slice(0, 40)}`);
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const words = /[^\s\-\u2013\u2014\/]+/g;
      let m;
      while ((m = words.exec(node.data))) {
        if (m[0].length > 24) continue;
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
          .map(r => Math.round(r.top)));
        if (tops.size > 1) bad.push(`split: ${m[0]}`);
      }
    }
  }
  return bad.slice(0, 10);
}"""


@pytest.mark.slow
def test_leadership_pages_on_a_phone_clip_no_cell_and_split_no_word(browser, real_site):
    pages = ["index.html", "2026Q4/index.html", "2026Q4/brief.html", "2026Q4/roadmap.html"]
    pages += ["2026Q4/review.html"]
    watch = PageWatch(browser, PHONE_390)
    try:
        for name in pages:
            page = watch.open(real_site / name)
            assert page.evaluate(_CELLS_CLIPPED_OR_SPLIT) == [], name
            for image in page.locator("main img").all():
                box = image.bounding_box()
                assert box["x"] + box["width"] <= PHONE_390["width"] + 1, (name, box)
    finally:
        watch.close()


def test_every_case_id_in_the_roadmap_is_a_working_link(browser, roadmap_site):
    watch = PageWatch(browser, LAPTOP_1280)
    try:
        page = watch.open(roadmap_site / "2026Q4" / "roadmap.html")
        ranked = page.locator("table").first
        headers = ranked.locator("thead th").all_inner_texts()
        column = [h.strip() for h in headers].index("id")
        ids = ranked.locator(f"tbody tr td:nth-child({column + 1})").all_inner_texts()
        assert len(ids) >= 10
        for initiative_id in ids:
            link = ranked.locator(f"a[href='cases/{initiative_id}.html']")
            assert link.count() == 1, initiative_id
        hrefs = page.eval_on_selector_all("table a[href]", "as => as.map(a => a.href)")
        assert len(hrefs) >= len(ids)
        for href in hrefs:
            target = Path(href.split("#")[0].removeprefix("file://"))
            assert target.is_file(), f"roadmap links to missing {target}"
        # and a case page links back to the roadmap's row for it
        case = watch.open(roadmap_site / "2026Q4" / "cases" / f"{ids[0]}.html")
        back = case.locator(f"a[href='../roadmap.html#decision-{ids[0]}']").first
        back.click()
        page.wait_for_timeout(50)
        assert case.url.endswith(f"roadmap.html#decision-{ids[0]}")
        assert case.locator(f"#decision-{ids[0]}").count() == 1
    finally:
        watch.close()


def test_printed_roadmap_says_the_quarter_and_every_ranked_column(browser, roadmap_site, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    watch = PageWatch(browser, LAPTOP_1280)
    try:
        page = watch.open(roadmap_site / "2026Q4" / "roadmap.html")
        headers = [
            h.strip() for h in page.locator("table").first.locator("thead th").all_inner_texts()
        ]
        assert "chance of a loss" in headers and "value with the lean-first option" in headers
        assert "P(top 5)" not in headers and "RICE" not in headers  # method terms: method section
        page.emulate_media(media="print")
        assert page.locator(".print-header").is_visible()
        pdf = tmp_path / "roadmap.pdf"
        page.pdf(path=str(pdf), format="A4")
        # on A4 portrait (18.2 cm between the margins) no table is cut at the right edge
        page.set_viewport_size({"width": 688, "height": 1000})
        assert page.evaluate(_WIDER_THAN_VIEWPORT) == []
        assert page.evaluate(_SCROLLING_BOXES) == []
    finally:
        watch.close()
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(str(pdf)).pages)
    flat = " ".join(unicodedata.normalize("NFKC", text).split())  # "ﬁ" ligature -> "fi"
    assert "2026Q4" in flat.split("Roadmap")[0], "the print header names the quarter first"
    # a header wrapped over two lines interleaves with its neighbours' lines in the PDF
    # text, so each of its words is looked for on the page that holds the table
    words = set(re.split(r"[\s-]+", flat))
    missing = [h for h in headers if not all(w in words for w in re.split(r"[\s-]+", h) if w)]
    assert missing == [], f"printed roadmap lacks columns {missing}"
    # ids and figures are printed whole, never broken inside ("PAI D-01", "$102 k")
    # (PAID-02: committed in 2026Q4, so always on the roadmap; PAID-01 was done in 2026Q3)
    assert "PAID-02" in flat and not re.search(r"\$\d+ k\b", flat)
