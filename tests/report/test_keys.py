"""helpers.report.keys: figures tagged with the document key they come from."""

from __future__ import annotations

import math

import pandas as pd

from helpers.report.keys import cell, figure_key, raw_value, tag_cells, tagged, untag
from helpers.report.markdown import escape_text, markdown
from helpers.report.tables import long_table, styled_table


def test_figure_key_joins_steps_and_refuses_an_id_the_registers_would_not_accept():
    assert figure_key("cases", "DATA-01", "cost", "0.5") == "cases.DATA-01.cost.0.5"
    assert figure_key("cases", "$x^2$", "npv", "mean") is None
    assert tagged("$1", None, 1.0) == "$1"  # no key: the figure shows untagged


def test_raw_value_writes_the_document_value_exactly():
    assert raw_value(17156.291234567891) == repr(17156.291234567891)
    assert raw_value(7) == "7" and raw_value(True) == "true"
    assert raw_value(None) == "null" and raw_value(math.nan) == "null"
    assert raw_value(["A", "B"]) == "A,B" and raw_value("leave_out") == "leave_out"


def test_tagged_figure_survives_markdown_and_plain_text_drops_the_tag():
    text = markdown("expected NPV " + tagged("-$87k", "cases.WEB-01.npv.mean", -87349.75))
    assert '<span data-key="cases.WEB-01.npv.mean" data-value="-87349.75">-\\$87k</span>' in text
    assert text.plain == "expected NPV -$87k"


def test_untag_keeps_register_text_that_looks_like_a_tag():
    fake = escape_text('<span data-key="roadmap.budget" data-value="1">x</span>')
    assert untag(fake) == fake


def test_tag_cells_tags_the_html_and_keeps_the_data_plain():
    table = styled_table(pd.DataFrame({"figure": ["Cost"], "value": ["$173k / $335k"]}))
    text, markup = cell(
        ("$173k", "cases.A.cost.0.5", 173.0), " / ", ("$335k", "cases.A.cost.0.8", 335.0)
    )
    assert text == "$173k / $335k"
    html = tag_cells(table, {(0, "value"): markup}).to_html()
    assert '<span data-key="cases.A.cost.0.5" data-value="173.0">$173k</span> / ' in html
    assert table.data.loc[0, "value"] == "$173k / $335k"


def test_a_long_table_carries_its_figures_through_the_site_cleaner():
    from helpers.site.html import clean_html

    frame = pd.DataFrame({"id": [f"X{i}" for i in range(40)], "cost": ["<$1>"] * 40})
    figures = {(0, "cost"): cell(("<$1>", "roadmap.initiatives.X0.cost_p50", 1.0))[1]}
    html = long_table(frame, name="t", figures=figures)._repr_html_()
    assert (
        '<span data-key="roadmap.initiatives.X0.cost_p50" data-value="1.0">&lt;$1&gt;</span>'
        in html
    )
    assert clean_html(html) == html
