"""helpers.report.tables: escaped tables with a stable id."""

from __future__ import annotations

import re

import pandas as pd

from helpers.report.tables import long_table, styled_table


def _frame(name: str = "<script>alert(1)</script>") -> pd.DataFrame:
    return pd.DataFrame({"id": ["A-1"], "initiative": [name]})


def test_styled_table_escapes_text_and_hides_the_index():
    html = styled_table(_frame()).to_html()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert ">0<" not in html


def test_styled_table_id_is_the_same_for_the_same_table():
    assert styled_table(_frame()).to_html() == styled_table(_frame()).to_html()


def test_styled_table_id_differs_between_tables():
    first = styled_table(_frame("a")).to_html()
    assert styled_table(_frame("b")).uuid != styled_table(_frame("a")).uuid
    assert styled_table(_frame("a"), name="other").uuid != styled_table(_frame("a")).uuid
    assert first


def test_styled_table_is_skipped_by_mathjax():
    html = styled_table(pd.DataFrame({"cost": ["$150k to $300k"]})).to_html()
    assert 'class="tex2jax_ignore mathjax_ignore"' in html  # MathJax 2 and 3 (JupyterLab 4)
    assert "$150k to $300k" in html


# -- long tables: every row once, the first shown, the rest hidden until paged ---------


def _long(rows: int = 45) -> pd.DataFrame:
    names = [f"Initiative {n}" for n in range(rows)]
    names[min(40, rows - 1)] = "<script>alert(1)</script>"
    return pd.DataFrame({"id": [f"X-{n:03d}" for n in range(rows)], "initiative": names})


def _rows(markup: str) -> list[str]:
    return re.findall(r"<tr[^>]*>.*?</tr>", markup.split("<tbody>")[1])


def test_long_table_has_every_row_once_and_marks_those_after_the_top():
    markup = long_table(_long(), name="t", top=30, rest="15 more: all left out.")._repr_html_()
    rows = _rows(markup)
    assert len(rows) == 45
    assert all(r.startswith("<tr>") for r in rows[:30])
    assert all(r.startswith('<tr class="rest">') for r in rows[30:])
    assert "X-029" in rows[29] and "X-030" in rows[30] and "X-044" in rows[44]
    assert markup.count("X-044") == 1  # no second copy of the table
    assert '<p class="long-table-rest">15 more: all left out.</p>' in markup
    assert "<script>" not in markup and "&lt;script&gt;" in markup


def test_long_table_without_javascript_hides_the_rest_and_says_so():
    markup = long_table(_long(), name="t", top=30)._repr_html_()
    uuid = re.search(r'<div id="(T_[0-9a-f]+)"', markup).group(1)
    assert f"<style>#{uuid} tr.rest {{ display: none; }}</style>" in markup
    note = re.search(r'<p class="paged-note">(.*?)</p>', markup).group(1)
    assert note.startswith("Showing the first 30 of 45 rows; the other 15 are in the page")
    assert "JavaScript" in note


def test_long_table_of_few_rows_has_no_note():
    markup = long_table(_long(20), name="t", top=30)._repr_html_()
    assert "paged-note" not in markup and 'class="rest"' not in markup


def test_long_table_default_rest_line_counts_the_hidden_rows():
    table = long_table(_long(), top=30)
    assert "15 more rows: filter or page through the table below." in table._repr_html_()
    assert len(table.data) == 45


def test_long_table_links_ids_to_case_pages_with_anchors():
    frame = _long(35)
    frame.loc[33, "id"] = "bad id<"
    markup = long_table(frame, name="t", top=30, links=range(34), anchor=True)._repr_html_()
    rows = _rows(markup)
    assert '<a href="cases/X-000.html" id="decision-X-000">X-000</a>' in rows[0]
    assert '<a href="cases/X-032.html" id="decision-X-032">X-032</a>' in rows[32]
    assert "bad id&lt;" in rows[33] and "<a" not in rows[33]  # not a register id: plain text
    assert "<a" not in rows[34]  # not in links
    plain = long_table(frame, name="t", top=30, links=range(2))._repr_html_()
    assert '<a href="cases/X-001.html">X-001</a>' in plain and "decision-" not in plain


def test_long_table_is_stable_and_skipped_by_mathjax():
    first = long_table(_long(), name="t")._repr_html_()
    assert first == long_table(_long(), name="t")._repr_html_()
    assert first != long_table(_long(), name="other")._repr_html_()
    assert 'class="long-table paged-table tex2jax_ignore mathjax_ignore"' in first


def test_long_table_survives_the_site_cleaner_with_no_script():
    from helpers.site.html import clean_html

    cleaned = clean_html(long_table(_long(), name="t", links=range(45))._repr_html_())
    assert cleaned.startswith("<style>#T_") and "tr.rest { display: none; }" in cleaned
    assert cleaned.count('<tr class="rest">') == 15
    assert '<a href="cases/X-044.html">X-044</a>' in cleaned
    assert 'class="paged-note"' in cleaned
    assert "&lt;table" not in cleaned and "&lt;style" not in cleaned
    assert "<script" not in cleaned


def test_long_table_of_2000_rows_stays_light():
    frame = pd.DataFrame(
        {
            "id": [f"GEN-{n:04d}" for n in range(2000)],
            "initiative": [f"Email platform upgrade: split testing #{n}" for n in range(2000)],
            "value": ["$1,234k"] * 2000,
            "reason": ["over budget: its P80 cost does not fit what is left"] * 2000,
        }
    )
    markup = long_table(frame, name="t", links=range(2000), anchor=True)._repr_html_()
    assert len(markup.encode()) < 600_000  # bytes: about 300 a row, the table once


def _cell_classes(markup: str) -> list[tuple[str, str]]:
    # the sanitizer path also labels each cell for phones (data-label): classes only here
    return re.findall(r'<(t[dh])(?: class="([^"]*)")?(?: data-label="[^"]*")?>', markup)


def test_long_table_cleaned_in_one_pass_classes_columns_like_the_sanitizer():
    from helpers.site import html as site_html

    frame = _long()
    frame["value"] = [f"${n},000k" for n in range(45)]
    frame["reason"] = ["over budget: it needs more than is left"] * 45
    markup = long_table(frame, name="t", links=range(45), anchor=True)._repr_html_()
    fast = site_html.clean_html(markup)
    assert fast != markup  # columns classed
    # the general path: bleach, then BeautifulSoup classing the columns
    import bleach

    slow = site_html.classify_table_columns(
        bleach.clean(
            markup.split("</style>")[1],
            tags=site_html._ALLOWED_TAGS,
            attributes=site_html._allowed_attribute,
        )
    )
    assert _cell_classes(fast) == _cell_classes(slow)
    assert '<th class="num">value</th>' in fast and '<td class="num">$44,000k</td>' in fast
    assert "<td>over budget: it needs more than is left</td>" in fast  # long text wraps
    assert 'id="decision-X-044"' in fast


def test_long_table_markup_that_was_tampered_with_goes_through_the_sanitizer():
    from helpers.site import html as site_html

    markup = long_table(_long(), name="t")._repr_html_()
    for evil in ("<td><script>alert(1)</script></td>", '<td onclick="steal()">1</td>'):
        tampered = markup.replace("<td>X-001</td>", evil)
        cleaned = site_html.clean_html(tampered)
        assert "<script" not in cleaned and "onclick" not in cleaned
    linked = markup.replace("<td>X-001</td>", '<td><a href="javascript:alert(1)">X</a></td>')
    assert "javascript:" not in site_html.clean_html(linked)
