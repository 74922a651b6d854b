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
from typing import Any

import pandas as pd


def styled_table(frame: pd.DataFrame, *, name: str = "") -> Any:
    """A pandas Styler for a report table (``.data`` is the DataFrame).

    ``name`` tells apart tables of equal content on one page; the id is a hash of
    it, the columns and the cells, so the same table renders byte-identical.
    """
    content = f"{name}\x1f{list(frame.columns)}\x1f{frame.to_csv(index=False)}"
    uuid = hashlib.sha1(content.encode("utf-8")).hexdigest()[:10]
    styler = frame.style.format(escape="html").hide(axis="index").set_uuid(uuid)
    return styler.set_table_attributes('class="tex2jax_ignore mathjax_ignore"')


TOP_ROWS = 30  # rows a long report table shows before its "all rows" section


class LongTable:
    """A report table of hundreds of rows, as plain HTML a browser shows at once.

    The first ``top`` rows show as a table, then ``rest`` (one line summing up
    the other rows), then every row in a collapsed ``<details>`` section. No
    script: the site's HTML cleaner removes scripts, and a static table needs
    none (the browser's find searches it). ``.data`` is the full DataFrame,
    like a Styler's.
    """

    def __init__(self, frame: pd.DataFrame, *, name: str, top: int, rest: str) -> None:
        self.data = frame
        self.name = name
        self.top = top
        self.rest = rest

    def _repr_html_(self) -> str:
        content = f"{self.name}\x1f{list(self.data.columns)}\x1f{self.data.to_csv(index=False)}"
        uuid = hashlib.sha1(content.encode("utf-8")).hexdigest()[:10]
        total = len(self.data)
        return (
            f'<div id="T_{uuid}" class="long-table tex2jax_ignore mathjax_ignore">'
            + _html_table(self.data.head(self.top))
            + f"<p>{html.escape(self.rest)}</p>"
            + f"<details><summary>All {total:,} rows</summary>"
            + _html_table(self.data)
            + "</details></div>"
        )

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}: {len(self.data)} rows, top {self.top}>"


def long_table(
    frame: pd.DataFrame, *, name: str = "", top: int = TOP_ROWS, rest: str = ""
) -> LongTable:
    """``frame`` as a :class:`LongTable`: its first ``top`` rows, ``rest``, then every row.

    ``rest``: one line on the rows after the first ``top`` (default: how many
    there are). Text is escaped; the id is a hash of ``name`` and the content,
    so the same table renders byte-identical.
    """
    hidden = max(len(frame) - top, 0)
    rest = rest or f"{hidden:,} more rows, in the full table below."
    return LongTable(frame, name=name, top=top, rest=rest)


def _html_table(frame: pd.DataFrame) -> str:
    """A plain HTML table of ``frame`` (header row, every cell escaped, no index)."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
