"""Report tables: every cell in full, text escaped, no index, a stable id.

pandas gives each Styler a random id, so two builds of the same inputs would
differ in every table's CSS; the id here is derived from the table's content.
Tables carry the classes ``tex2jax_ignore`` (MathJax 2) and ``mathjax_ignore``
(MathJax 3, JupyterLab 4): MathJax skips them, so a
cell such as ``$150k`` to ``$300k`` is never typeset as maths.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from helpers.report.keys import KEY_PATTERN, VALUE_PATTERN


def styled_table(frame: pd.DataFrame, *, name: str = "") -> Any:
    """A pandas Styler for a report table (``.data`` is the DataFrame).

    ``name`` tells apart tables of equal content on one page; the id is a hash of
    it, the columns and the cells, so the same table renders byte-identical.
    """
    content = f"{name}\x1f{list(frame.columns)}\x1f{frame.to_csv(index=False)}"
    uuid = hashlib.sha1(content.encode("utf-8")).hexdigest()[:10]
    styler = frame.style.format(escape="html").hide(axis="index").set_uuid(uuid)
    return styler.set_table_attributes('class="tex2jax_ignore mathjax_ignore"')


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
        return (
            f"<style>#T_{uuid} tr.rest {{ display: none; }}</style>"
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
    their tagged markup.
    """
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
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
        body.append(opening + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# A LongTable exactly as ``_repr_html_`` writes it, every cell escaped: the site checks an
# HTML output against this in one linear pass instead of bleach and BeautifulSoup, which
# take about a minute on 2,000 rows.
_CHAR = r"(?:[^<>&]|&(?:amp|lt|gt|quot|#x27);)"
_TEXT = rf"{_CHAR}*"
_ID = r"[A-Za-z0-9._-]+"
_FIGURE = rf'<span data-key="{KEY_PATTERN}" data-value="{VALUE_PATTERN}">{_TEXT}</span>'
_LINK = rf'<a href="cases/{_ID}\.html"(?: id="decision-{_ID}")?>{_ID}</a>'
_CELL = rf"(?:{_LINK}|(?:{_CHAR}|{_FIGURE})*)"
_LONG_TABLE = re.compile(
    r"<style>#(?P<uuid>T_[0-9a-f]{10}) tr\.rest \{ display: none; \}</style>"
    r'<div id="(?P=uuid)" class="long-table paged-table tex2jax_ignore mathjax_ignore">'
    rf'<p class="long-table-rest">{_TEXT}</p>'
    rf"<table><thead><tr>(?P<head>(?:<th>{_TEXT}</th>)*)</tr></thead>"
    rf'<tbody>(?P<body>(?:<tr(?: class="rest")?>(?:<td>{_CELL}</td>)*</tr>)*)</tbody></table>'
    rf'(?:<p class="paged-note">{_TEXT}</p>)?</div>'
)


def match_long_table(markup: str) -> re.Match | None:
    """The match when ``markup`` is exactly a LongTable's HTML (groups ``head``: the header
    cells, ``body``: the rows), else None: then it is not known to be safe."""
    return _LONG_TABLE.fullmatch(markup)
