"""helpers.report.tables: escaped tables with a stable id."""

from __future__ import annotations

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


# -- long tables: the first rows, a line on the rest, every row in <details> ---------


def _long(rows: int = 45) -> pd.DataFrame:
    names = [f"Initiative {n}" for n in range(rows)]
    names[40] = "<script>alert(1)</script>"
    return pd.DataFrame({"id": [f"X-{n:03d}" for n in range(rows)], "initiative": names})


def test_long_table_shows_the_top_rows_then_every_row_in_details():
    markup = long_table(_long(), name="t", top=30, rest="15 more: all left out.")._repr_html_()
    top, rest = markup.split("<details>")
    assert top.count("<tr>") == 31  # header and 30 rows
    assert "X-029" in top and "X-030" not in top
    assert "<p>15 more: all left out.</p>" in top
    assert "<summary>All 45 rows</summary>" in rest
    assert rest.count("<tr>") == 46 and "X-044" in rest
    assert "<script>" not in markup and "&lt;script&gt;" in markup


def test_long_table_default_rest_line_counts_the_hidden_rows():
    table = long_table(_long(), top=30)
    assert "15 more rows, in the full table below." in table._repr_html_()
    assert len(table.data) == 45


def test_long_table_is_stable_and_skipped_by_mathjax():
    first = long_table(_long(), name="t")._repr_html_()
    assert first == long_table(_long(), name="t")._repr_html_()
    assert first != long_table(_long(), name="other")._repr_html_()
    assert 'class="long-table tex2jax_ignore mathjax_ignore"' in first


def test_long_table_survives_the_site_cleaner_with_no_script():
    from helpers.site import clean_html

    cleaned = clean_html(long_table(_long(), name="t")._repr_html_())
    assert "<details>" in cleaned and "<summary>All 45 rows</summary>" in cleaned
    assert "&lt;details" not in cleaned and "&lt;table" not in cleaned
    assert "<script" not in cleaned
