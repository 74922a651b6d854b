"""Report tables: every cell in full, text escaped, no index, a stable id.

pandas gives each Styler a random id, so two builds of the same inputs would
differ in every table's CSS; the id here is derived from the table's content.
Tables carry the classes ``tex2jax_ignore`` (MathJax 2) and ``mathjax_ignore``
(MathJax 3, JupyterLab 4): MathJax skips them, so a
cell such as ``$150k`` to ``$300k`` is never typeset as maths.
"""

from __future__ import annotations

import hashlib
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
