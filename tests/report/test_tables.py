"""helpers.report.tables: escaped tables with a stable id."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from helpers.report.keys import LABELS_STYLE
from helpers.report.tables import (
    STACKED_FROM,
    is_numeric_text,
    long_table,
    styled_table,
)


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


# -- the layout the site's stylesheet reads, written with the table -------------------


@pytest.mark.parametrize(
    ("text", "numeric"),
    [
        ("$181k", True),
        ("57%", True),
        ("17 weeks / 27 weeks", True),
        ("1,234.5", True),
        ("-$2k to ×1.5", True),
        ("fund", False),
        ("EML-01", False),
        ("", False),
        ("never", False),
    ],
)
def test_is_numeric_text(text, numeric):
    assert is_numeric_text(text) is numeric


def test_a_list_of_ids_is_not_a_figure():
    """Figures stay on one line; a list of project ids must wrap (it made calibration 1,600 px)."""
    ids = ", ".join(f"P-2021-{n:02d}" for n in range(1, 9))
    assert not is_numeric_text(ids)
    assert is_numeric_text("P-2021-03")  # one short code still lines up as a figure


def _wide() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "initiative": ["Email", "Web"],
            "value": ["$181k", "-$2k to ×1.5"],
            "reason": ["over budget: it needs more than is left"] * 2,
            "cost <P80>": ["$1k", "$2k"],
        }
    )


def test_styled_table_classes_figures_and_short_text_columns():
    frame = pd.DataFrame({"initiative": ["Email", "Web"], "value": ["$181k", "-$2k to ×1.5"]})
    html = styled_table(frame).to_html()
    assert re.search(r'<th [^>]*class="col_heading level0 col1 num" >value</th>', html)
    assert re.search(r'<th [^>]*class="col_heading level0 col0" >initiative</th>', html)
    assert re.search(r'<td [^>]*class="data row0 col0 short" >Email</td>', html)
    assert re.search(r'<td [^>]*class="data row1 col1 num" >-\$2k to ×1.5</td>', html)
    assert "stack" not in html and "data-label" not in html  # narrow: no stacked rows


def test_styled_table_of_four_columns_stacks_with_each_cell_labelled():
    html = styled_table(_wide()).to_html()
    assert 'class="tex2jax_ignore mathjax_ignore stack"' in html
    assert re.search(r'class="data row0 col2" +data-label="reason">over budget', html)
    assert re.search(r'class="data row1 col3 num" +data-label="cost &lt;P80&gt;">\$2k<', html)
    assert html.count("data-label=") == 2 * STACKED_FROM  # body cells only


def test_styled_table_classes_the_text_it_shows_after_links_and_tags():
    from helpers.report.keys import tag_cells
    from helpers.report.roadmap import link_ids

    frame = pd.DataFrame({"id": ["EML-01"], "value": ["$1k"]})
    table = tag_cells(link_ids(styled_table(frame)), {(0, "value"): "<b>$1k</b>"})
    html = table.to_html()
    assert re.search(r'class="data row0 col0 short" ><a href="cases/EML-01.html">', html)
    assert re.search(r'class="data row0 col1 num" ><b>\$1k</b>', html)


def _columns(markup: str) -> list[tuple[str, str]]:
    """Each header and cell of a table: (tag, its layout class or "")."""
    cells = re.findall(r"<(t[dh])\b([^>]*)>", markup.split("<thead>")[1])
    classes = [re.search(r'class="([^"]*)"', attributes) for _, attributes in cells]
    return [
        (tag, " ".join(c for c in (found[1].split() if found else []) if c in ("num", "short")))
        for (tag, _), found in zip(cells, classes, strict=True)
    ]


def test_long_table_classes_columns_as_a_report_table_does():
    frame = _long()
    frame["value"] = [f"${n},000k" for n in range(45)]
    frame["reason"] = ["over budget: it needs more than is left"] * 45
    markup = long_table(frame, name="t", links=range(45), anchor=True)._repr_html_()
    assert _columns(markup) == _columns(styled_table(frame).to_html())
    assert '<th class="num">value</th>' in markup and '<td class="num">$44,000k</td>' in markup
    assert "<td>over budget: it needs more than is left</td>" in markup  # long text wraps
    assert '<table class="stack">' in markup and "data-label" not in markup
    labels = re.match(r"<style>@media \(max-width: 40rem\) \{ (.*?) \}</style>", markup)
    uuid = re.search(r'<div id="(T_[0-9a-f]+)"', markup).group(1)
    rule = f'#{uuid} td:nth-child(2)::before {{ content: "initiative"; }}'
    assert labels.group(1).startswith(rule)
    assert '::before { content: "value"; }' in labels.group(1)


def test_long_table_labels_escape_every_character_of_a_header():
    frame = _long()
    frame["a b"], frame["</style><script>"] = "x", "y"
    markup = long_table(frame, name="t")._repr_html_()
    css = re.match(r"<style>(.*?)</style>", markup).group(1)
    assert 'content: "a\\000020b"' in css and "<" not in css
    assert LABELS_STYLE.fullmatch(css)


def test_long_table_goes_through_the_site_cleaner_unchanged():
    from helpers.site import html as site_html

    frame = _long()
    frame["value"] = [f"${n},000k" for n in range(45)]
    frame["reason"] = ["over budget: it needs more than is left"] * 45
    markup = long_table(frame, name="t", links=range(45), anchor=True)._repr_html_()
    assert site_html.clean_html(markup) == markup  # its labels, classes, links and anchors
    assert 'id="decision-X-044"' in markup and "td:nth-child(4)::before" in markup


def test_site_cleaner_keeps_labels_only_in_the_form_a_long_table_writes():
    from helpers.site import html as site_html

    markup = long_table(_long(), name="t")._repr_html_()
    labels = re.match(r"<style>(.*?)</style>", markup).group(1)
    assert LABELS_STYLE.fullmatch(labels) is None  # two columns: no labels
    frame = _long()
    frame["value"], frame["reason"] = "$1k", "x"
    markup = long_table(frame, name="t")._repr_html_()
    labels = re.match(r"<style>(.*?)</style>", markup).group(1)
    for evil in ('content: "x" } body { display: none', "content: url(http://e.example/x)"):
        tampered = markup.replace('content: "value"', evil)
        assert "display: none }" not in site_html.clean_html(tampered)
        assert "http" not in site_html.clean_html(tampered)
    assert site_html.clean_html(markup).startswith(f"<style>{labels}</style>")


def test_long_table_markup_that_was_tampered_with_goes_through_the_sanitizer():
    from helpers.site import html as site_html

    markup = long_table(_long(), name="t")._repr_html_()
    for evil in ("<td><script>alert(1)</script></td>", '<td onclick="steal()">1</td>'):
        tampered = markup.replace("<td>X-001</td>", evil)
        cleaned = site_html.clean_html(tampered)
        assert "<script" not in cleaned and "onclick" not in cleaned
    linked = markup.replace("<td>X-001</td>", '<td><a href="javascript:alert(1)">X</a></td>')
    assert "javascript:" not in site_html.clean_html(linked)
