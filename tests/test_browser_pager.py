"""The long tables of a 2,000-initiative quarter in a real browser (headless system Chromium).

The quarter page and the roadmap page (``test_site.build_large_quarter``: real
report tables, no notebooks run; built once per test session, ``conftest.large_quarter``)
show their first rows; the site's pager (``templates/pager.js``) filters, pages and
sorts them, and opens the page holding a row a link points at. Without JavaScript the
first rows and a note show. Nothing leaves the file, no console or page error.
"""

from __future__ import annotations

import pytest
from test_browser import LAPTOP, PageWatch, browser  # noqa: F401 (browser: a fixture)
from test_site import LARGE, NEEDLE

from helpers.site import pages as site

pytestmark = pytest.mark.browser

VISIBLE_FIRST_CELLS = """selector => Array.from(document.querySelectorAll(selector))
    .filter(row => getComputedStyle(row).display !== "none")
    .map(row => row.cells[0].textContent.trim())"""


@pytest.fixture()
def watch(browser):  # noqa: F811 (the fixture imported above)
    watch = PageWatch(browser, LAPTOP)
    yield watch
    watch.close()
    assert watch.external == [], "requests left the file"
    assert watch.problems == []


def _visible(page, selector: str) -> list[str]:
    """The first cell's text of each row of ``selector`` the reader can see."""
    return page.evaluate(VISIBLE_FIRST_CELLS, selector)


def test_quarter_page_filter_finds_an_initiative_on_a_later_page(watch, large_quarter):
    page = watch.open(large_quarter / "index.html")
    rows = "table.cases tbody tr"
    shown = _visible(page, rows)
    assert len(shown) == site.CASES_SHOWN and shown[0].startswith("GEN-0001")
    assert not any(s.startswith("GEN-2000") for s in shown)
    assert "Rows 1–50 of 2,000, page 1 of 40" in page.inner_text(".table-pager-status")
    assert not page.locator(".paged-note").is_visible()  # the no-JavaScript note
    page.fill(".table-pager input[type=search]", "needle loyalty")
    shown = _visible(page, rows)
    assert len(shown) == 1 and shown[0].startswith("GEN-2000") and NEEDLE in shown[0]
    assert "1 matching (2,000 in all)" in page.inner_text(".table-pager-status")
    page.click("table.cases a[href='cases/GEN-2000.html']")
    page.wait_for_load_state("load")
    assert page.url.endswith("/cases/GEN-2000.html")


def test_quarter_page_pages_and_sorts(watch, large_quarter):
    page = watch.open(large_quarter / "index.html")
    rows = "table.cases tbody tr"
    page.click(".table-pager button:has-text('Next')")
    shown = _visible(page, rows)
    assert len(shown) == 50 and shown[0].startswith("GEN-0051")
    page.click("table.cases th:has-text('Expected NPV')")
    npv_cells = "table.cases tbody tr"
    first = page.evaluate(
        """s => Array.from(document.querySelectorAll(s))
            .filter(r => getComputedStyle(r).display !== "none")[0].cells[3].textContent""",
        npv_cells,
    )
    assert first.strip() == "$10k"  # the smallest NPV, page 1 again after sorting
    assert page.get_attribute("table.cases th:has-text('Expected NPV')", "aria-sort") == (
        "ascending"
    )
    page.click("table.cases th:has-text('Expected NPV')")
    assert page.get_attribute("table.cases th:has-text('Expected NPV')", "aria-sort") == (
        "descending"
    )
    assert len(_visible(page, rows)) == 50


def test_roadmap_link_back_opens_the_page_holding_the_row(watch, large_quarter):
    page = watch.open(large_quarter / "roadmap.html")
    assert page.locator(".table-pager").count() == 3
    assert not page.locator("#decision-GEN-2000").is_visible()
    page.goto((large_quarter / "roadmap.html").as_uri() + "#decision-GEN-2000")
    page.wait_for_timeout(50)
    assert page.locator("#decision-GEN-2000").is_visible()
    left_out = page.locator(".paged-table").nth(2)
    assert "GEN-0002" not in left_out.inner_text()  # the least valuable: on its last page
    left_out.locator("input[type=search]").fill("GEN-0002")
    visible = left_out.locator("tbody tr").evaluate_all(
        "rows => rows.filter(r => getComputedStyle(r).display !== 'none')"
        ".map(r => r.cells[0].textContent)"
    )
    assert visible == ["GEN-0002"]


def test_without_javascript_the_first_rows_and_a_note_show(browser, large_quarter):  # noqa: F811
    context = browser.new_context(viewport=LAPTOP, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto((large_quarter / "index.html").as_uri(), wait_until="load")
        shown = _visible_no_script(page, "table.cases tbody tr")
        assert shown == site.CASES_SHOWN
        assert page.locator(".paged-note").is_visible()
        assert "first 50 of 2,000 business cases" in page.inner_text(".paged-note")
        assert page.locator(".table-pager").count() == 0
        page.goto((large_quarter / "roadmap.html").as_uri(), wait_until="load")
        assert page.locator(".paged-note").count() == 3
        assert page.locator(".paged-note").first.is_visible()
        assert not page.get_by_text(NEEDLE).first.is_visible()
    finally:
        context.close()
    assert LARGE == 2000


def _visible_no_script(page, selector: str) -> int:
    """How many rows of ``selector`` show (playwright's visibility; page scripts off)."""
    return page.locator(f"{selector}:visible").count()
