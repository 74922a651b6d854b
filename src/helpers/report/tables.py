"""Report tables: every cell in full, text escaped, no index, a stable id, laid out for the site.

pandas gives each Styler a random id, so two builds of the same inputs would
differ in every table's CSS; the id here is derived from the table's content.
Tables carry the classes ``tex2jax_ignore`` (MathJax 2) and ``mathjax_ignore``
(MathJax 3, JupyterLab 4): MathJax skips them, so a
cell such as ``$150k`` to ``$300k`` is never typeset as maths.

The site's stylesheet lays a table out from what the table says when it is written:
a column of figures has the class ``num`` (right-aligned, one line), a column of
short text such as ids ``short`` (one line); a table of ``STACKED_FROM`` columns or
more has the class ``stack`` and each body cell its column's header in
``data-label``, so on a phone each row shows as "header: value" lines.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import jinja2
import pandas as pd
from pandas.io.formats.style import Styler

STACKED_FROM = 4  # columns: a table this wide becomes stacked rows on a phone (site.css)
_SHORT_TEXT = 14  # characters: ids, short labels
_LONGEST_FIGURE = 40  # characters: "-$1,234k to $5,678k" fits, a list of ids does not
_UNIT_WORDS = {"k", "m", "bn", "x", "to", "week", "weeks", "month", "months", "pp", "p"}


def is_numeric_text(text: str) -> bool:
    """A figure such as ``$181k``, ``57%``, ``×1.25``, ``17 weeks / 27 weeks``, ``-$2k to $5k``.

    Longer text is never a figure: a list of ids such as ``P-2021-03, P-2021-07, …``
    must wrap, not stay on one line as figures do."""
    words = re.findall(r"[^\W\d_]+", text)
    return (
        len(text) <= _LONGEST_FIGURE
        and bool(re.search(r"\d", text))
        and all(w.lower() in _UNIT_WORDS for w in words)
    )


def column_mark(texts: Sequence[str]) -> str | None:
    """``num`` when every value of a column is a figure (right-aligned), ``short`` when
    every one is short text such as an id (kept on one line), else None (the column wraps)."""
    if not any(texts):
        return None
    if all(is_numeric_text(t) for t in texts if t):
        return "num"
    if all(len(t) <= _SHORT_TEXT for t in texts):
        return "short"
    return None


def _marks(frame: pd.DataFrame) -> list[str | None]:
    """Each column's mark, from its cells' text (a tagged or linked cell's ``.data``
    holds the text it shows)."""
    return [column_mark([str(v).strip() for v in frame.iloc[:, j]]) for j in range(frame.shape[1])]


# The Styler's table template (pandas' ``html_table.tpl``) with each header cell of a
# figures column classed ``num`` and each body cell given its column's class and label;
# ``report_th``, ``report_td`` and ``report_label`` hold them by visible column.
_TABLE_TEMPLATE = """\
{% extends "html_table.tpl" %}
{% block head_tr scoped %}
    <tr>
{% if exclude_styles %}
{% for c in r %}
{% if c.is_visible != False %}
      <{{c.type}} {{c.attributes}}>{{c.display_value}}</{{c.type}}>
{% endif %}
{% endfor %}
{% else %}
{% for c in r if c.is_visible != False %}
      <{{c.type}} {%- if c.id is defined %} id="T_{{uuid}}_{{c.id}}" {%- endif %} \
class="{{c.class}}{{report_th[loop.index0] if 'colspan' not in c.attributes}}" \
{{c.attributes}}>{{c.display_value}}</{{c.type}}>
{% endfor %}
{% endif %}
    </tr>
{% endblock head_tr %}
{% block tr scoped %}
    <tr>
{% if exclude_styles %}
{% for c in r %}{% if c.is_visible != False %}
      <{{c.type}} {{c.attributes}}>{{c.display_value}}</{{c.type}}>
{% endif %}{% endfor %}
{% else %}
{% for c in r if c.is_visible != False %}
      <{{c.type}} {%- if c.id is defined %} id="T_{{uuid}}_{{c.id}}" {%- endif %} \
class="{{c.class}}{{report_td[loop.index0] if c.type == 'td'}}" \
{{c.attributes}}{{report_label[loop.index0]}}>{{c.display_value}}</{{c.type}}>
{% endfor %}
{% endif %}
    </tr>
{% endblock tr %}
"""


class ReportStyler(Styler):
    """A pandas Styler whose HTML carries the site's layout (columns classed ``num`` or
    ``short``, body cells labelled for stacked rows), through pandas' documented way of
    extending its template (a subclass with its own ``env`` and ``template_html_table``)."""

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.DictLoader({"report_table.tpl": _TABLE_TEMPLATE}), Styler.loader]
        ),
        trim_blocks=True,
    )
    template_html_table = env.get_template("report_table.tpl")

    def to_html(self, buf: Any = None, **kwargs: Any) -> Any:
        """The table's HTML (``Styler.to_html``), each column laid out from the text of
        its shown cells."""
        hidden_rows, hidden_columns = set(self.hidden_rows), set(self.hidden_columns)
        shown = [j for j in range(self.data.shape[1]) if j not in hidden_columns]
        rows = [i for i in range(self.data.shape[0]) if i not in hidden_rows]
        frame = self.data.iloc[rows, shown]
        marks = _marks(frame)
        labels = [""] * len(shown)
        if len(shown) >= STACKED_FROM and not all(self.hide_columns_):
            names = [self.data.columns[j] for j in shown]
            labels = [
                f' data-label="{html.escape(text)}"' if (text := _header_text(n)) else ""
                for n in names
            ]
        before = [""] * sum(not hidden for hidden in self.hide_index_)  # index cells shown
        return super().to_html(
            buf,
            report_th=before + [" num" if m == "num" else "" for m in marks],
            report_td=before + [f" {m}" if m else "" for m in marks],
            report_label=before + labels,
            **kwargs,
        )


def _header_text(name: Any) -> str:
    """The text of a column's header (the last level of a column MultiIndex)."""
    return str(name[-1] if isinstance(name, tuple) else name).strip()


def styled_table(frame: pd.DataFrame, *, name: str = "") -> Any:
    """A pandas Styler for a report table (``.data`` is the DataFrame).

    ``name`` tells apart tables of equal content on one page; the id is a hash of
    it, the columns and the cells, so the same table renders byte-identical.
    """
    content = f"{name}\x1f{list(frame.columns)}\x1f{frame.to_csv(index=False)}"
    uuid = hashlib.sha1(content.encode("utf-8")).hexdigest()[:10]
    styler = ReportStyler(frame).format(escape="html").hide(axis="index").set_uuid(uuid)
    stack = " stack" if frame.shape[1] >= STACKED_FROM else ""
    return styler.set_table_attributes(f'class="tex2jax_ignore mathjax_ignore{stack}"')


TOP_ROWS = 30  # rows a long report table shows at first (and without JavaScript)
_LINKABLE_ID = re.compile(r"^[A-Za-z0-9._-]+$")  # register ids are validated to this set


class LongTable:
    """A report table of hundreds or thousands of rows, as one plain HTML table.

    Every row is in the page once; rows after the first ``top`` carry the class
    ``rest`` and are hidden by a scoped style, so without JavaScript (JupyterLab,
    a browser with scripts off, paper) the table shows its first ``top`` rows,
    then ``rest`` (one line summing up the other rows) and a note saying the
    rest need JavaScript. On the site, the page's table pager (the site asset
    ``templates/pager.js``, found by the class ``paged-table``) adds a filter box,
    pages of ``top`` rows and sortable columns. ``.data`` is the full DataFrame,
    like a Styler's.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        name: str,
        top: int,
        rest: str,
        links: Iterable[int] = (),
        anchor: bool = False,
        figures: Mapping[tuple[int, str], str] | None = None,
    ) -> None:
        self.data = frame
        self.name = name
        self.top = top
        self.rest = rest
        self.links = frozenset(links)
        self.anchor = anchor
        self.figures = dict(figures or {})

    def _repr_html_(self) -> str:
        content = f"{self.name}\x1f{list(self.data.columns)}\x1f{self.data.to_csv(index=False)}"
        uuid = hashlib.sha1(content.encode("utf-8")).hexdigest()[:10]
        total = len(self.data)
        hidden = max(total - self.top, 0)
        note = (
            f"Showing the first {min(self.top, total):,} of {total:,} rows; the other "
            f"{hidden:,} are in the page: turn on JavaScript to filter, sort and page "
            "through them."
        )
        stacked = self.data.shape[1] >= STACKED_FROM
        return (
            (_column_labels(f"T_{uuid}", list(self.data.columns)) if stacked else "")
            + f"<style>#T_{uuid} tr.rest {{ display: none; }}</style>"
            f'<div id="T_{uuid}" class="long-table paged-table tex2jax_ignore mathjax_ignore">'
            + f'<p class="long-table-rest">{html.escape(self.rest)}</p>'
            + _html_table(
                self.data, top=self.top, links=self.links, anchor=self.anchor, figures=self.figures
            )
            + (f'<p class="paged-note">{html.escape(note)}</p>' if hidden else "")
            + "</div>"
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}: {len(self.data)} rows, top {self.top}>"


def long_table(
    frame: pd.DataFrame,
    *,
    name: str = "",
    top: int = TOP_ROWS,
    rest: str = "",
    links: Iterable[int] = (),
    anchor: bool = False,
    figures: Mapping[tuple[int, str], str] | None = None,
) -> LongTable:
    """``frame`` as a :class:`LongTable`: its first ``top`` rows shown, every row in the page.

    ``rest``: one line on the rows after the first ``top`` (default: how many
    there are). ``links``: the row positions whose ``id`` cell links to its case
    page (``cases/<id>.html``); ``anchor``: those links also carry
    ``id="decision-<id>"``, so a case page can link to its row (the pager opens
    the page holding it). ``figures``: cells at (row position, column) shown as
    tagged figures (``report.keys.tagged_html`` markup). Text is escaped; the id is a
    hash of ``name`` and the content, so the same table renders byte-identical.
    """
    hidden = max(len(frame) - top, 0)
    rest = rest or f"{hidden:,} more rows: filter or page through the table below."
    return LongTable(
        frame, name=name, top=top, rest=rest, links=links, anchor=anchor, figures=figures
    )


def _html_table(
    frame: pd.DataFrame,
    *,
    top: int,
    links: frozenset[int],
    anchor: bool,
    figures: Mapping[tuple[int, str], str],
) -> str:
    """A plain HTML table of ``frame``: header row, every cell escaped, no index.

    Rows from position ``top`` on have the class ``rest``; the ``id`` cells of
    the rows in ``links`` link to their case pages; the cells in ``figures`` show
    their tagged markup. Columns are classed as a report table's are (``num`` on the
    header and cells of a figures column, ``short`` on the cells of a short-text one);
    a wide table is ``stack`` (its labels are one style rule per column, see
    :func:`_column_labels`: 2,000 rows need no label per cell).
    """
    marks = _marks(frame)
    head = "".join(
        ('<th class="num">' if mark == "num" else "<th>") + f"{html.escape(str(c))}</th>"
        for c, mark in zip(frame.columns, marks, strict=True)
    )
    opening_td = [f'<td class="{mark}">' if mark else "<td>" for mark in marks]
    columns = list(frame.columns)
    id_column = columns.index("id") if "id" in frame.columns else None
    body = []
    for position, row in enumerate(frame.itertuples(index=False, name=None)):
        cells = [
            figures.get((position, column)) or html.escape(str(v))
            for column, v in zip(columns, row, strict=True)
        ]
        if id_column is not None and position in links and _LINKABLE_ID.match(cells[id_column]):
            target = f' id="decision-{cells[id_column]}"' if anchor else ""
            cells[id_column] = (
                f'<a href="cases/{cells[id_column]}.html"{target}>{cells[id_column]}</a>'
            )
        opening = "<tr>" if position < top else '<tr class="rest">'
        body.append(
            opening
            + "".join(f"{td}{c}</td>" for td, c in zip(opening_td, cells, strict=True))
            + "</tr>"
        )
    table = '<table class="stack">' if frame.shape[1] >= STACKED_FROM else "<table>"
    return f"{table}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _column_labels(uuid: str, columns: Sequence[Any]) -> str:
    """A long table's stacked-row labels (site.css) as one style rule per column after the
    first, ``#<uuid> td:nth-child(k)::before { content: "<header>" }``; every character of
    a header outside ASCII letters and digits is a CSS escape, so no header can end the
    style."""
    rules = []
    for col, name in enumerate(columns[1:], start=2):
        label = "".join(c if c.isascii() and c.isalnum() else f"\\{ord(c):06x}" for c in str(name))
        rules.append(f'#{uuid} td:nth-child({col})::before {{ content: "{label}"; }}')
    return "<style>@media (max-width: 40rem) { " + " ".join(rules) + " }</style>"
