"""helpers.report.tables: escaped tables with a stable id."""

from __future__ import annotations

import pandas as pd

from helpers.report.tables import styled_table


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
