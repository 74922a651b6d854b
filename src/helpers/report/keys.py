"""Figures tagged with the document key they come from.

A page only says the quarter model's figures. Each figure the report layer prints
carries the key of the document value it says, and that value as written::

    <span data-key="cases.DATA-01.npv.mean" data-value="17156.29">$17k</span>

Keys are rooted at the build's documents (``build/artifacts``): ``cases.<id>.…``
(``cases/<id>.json``), ``roadmap.…`` (``roadmap.json``), ``review.…``
(``review.json``), ``calibration.…`` (``calibration.json``); each step after the
root is a key of the JSON document, quantile keys such as ``0.5`` included
(``cases.WEB-01.cost.0.5``). ``data-value`` is the document's value exactly
(a float's shortest round-trip text, ``null`` for a missing or non-finite number,
a string as is, a list joined by commas), so a check can compare the page with the
document whatever the formatting, and two pages never show different values for
one key (``tests/test_figure_keys.py``).

Markdown (:func:`tagged`): the span is inline HTML that JupyterLab renders and the
site keeps (``helpers.site.markdown.render_markdown`` recognises exactly this form, in an
unescaped ``<``; register text is escaped to ``\\<`` so it can never make one).
HTML tables (:func:`tagged_html`, :func:`tag_cells`): the text is escaped first.
:func:`untag` drops the spans, keeping the words, for a terminal or a JSON text.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

# a key: document root and steps, as register ids and JSON keys are spelled
KEY_PATTERN = r"[A-Za-z0-9._-]+"
# A stacked long table's labels exactly as ``report.tables`` writes them (after the
# ``<style>`` tag): the site keeps a style of this form, whose strings hold only letters,
# digits and CSS escapes, so nothing in it can fetch anything or end the style. Here, not
# in ``report.tables``, so that the site's sanitiser does not import pandas.
_LABEL = r'"(?:[A-Za-z0-9]|\\[0-9a-f]{6})*"'
LABELS_STYLE = re.compile(
    r"@media \(max-width: 40rem\) \{ "
    rf"(?:#T_[0-9a-f]{{10}} td:nth-child\(\d+\)::before \{{ content: {_LABEL}; \}} )*"
    r"\}"
)
# a value as :func:`raw_value` writes it, HTML-escaped
VALUE_PATTERN = r"(?:[^\"<>&\n]|&(?:amp|lt|gt|quot|#x27);)*"
_KEY = re.compile(KEY_PATTERN)
# a whole tagged figure on one line: its key, value and the text shown
TAGGED = re.compile(
    rf'(?<!\\)<span data-key="({KEY_PATTERN})" data-value="({VALUE_PATTERN})">'
    r"((?:(?!<span )[^\n])*?)(?<!\\)</span>"
)


def figure_key(root: str, *steps: object) -> str | None:
    """A document key: ``figure_key("cases", "DATA-01", "npv", "mean")`` ->
    ``cases.DATA-01.npv.mean``; None when a step has a character outside
    ``[A-Za-z0-9._-]`` (an id the registers would not accept): its figure goes untagged."""
    key = ".".join(str(part) for part in (root, *steps))
    return key if _KEY.fullmatch(key) else None


def document_value(document: Mapping[str, Any], *steps: object) -> Any:
    """The value at ``steps`` in a document (None where a step is missing)."""
    node: Any = document
    for step in steps:
        if not isinstance(node, Mapping):
            return None
        node = node.get(str(step))
    return node


def raw_value(value: Any) -> str:
    """A document value as ``data-value`` writes it: ``17156.29`` (float, round-trip),
    ``7`` (int), ``true``, ``null`` (None, NaN or infinite), a string as is, a list
    joined by commas."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return ",".join(raw_value(v) for v in value)
    if isinstance(value, int):
        return str(value)
    number = float(value)
    return repr(number) if math.isfinite(number) else "null"


def _span(text: str, key: str | None, value: Any) -> str:
    if key is None or not _KEY.fullmatch(key):
        return text
    return (
        f'<span data-key="{key}" data-value="{html.escape(raw_value(value), quote=True)}">'
        f"{text}</span>"
    )


def tagged(text: str, key: str | None, value: Any) -> str:
    """A figure in a Markdown sentence (``text`` as Markdown, e.g. ``$17k``), tagged with
    its document ``key`` and ``value`` (no key: the text alone)."""
    return _span(text, key, value)


def tagged_html(text: str, key: str | None, value: Any) -> str:
    """A figure in an HTML table cell: ``text`` escaped, then tagged."""
    return _span(html.escape(str(text)), key, value)


Part = str | tuple[str, str | None, Any]  # plain words, or a figure: (text, key, value)


def cell(*parts: Part) -> tuple[str, str]:
    """A table cell made of figures and words: (its text, its HTML with the figures
    tagged), e.g. ``cell(("$173k", key50, v50), " / ", ("$335k", key80, v80))``."""
    text = "".join(part if isinstance(part, str) else part[0] for part in parts)
    markup = "".join(
        html.escape(part) if isinstance(part, str) else tagged_html(*part) for part in parts
    )
    return text, markup


def figure_tag(key: str | None, value: Any) -> dict[str, str] | None:
    """A figure's tag for a Jinja page (the template writes the span): ``{"key": …,
    "value": …}`` with the value as :func:`raw_value` writes it; None without a key."""
    if key is None or not _KEY.fullmatch(key):
        return None
    return {"key": key, "value": raw_value(value)}


def untag(text: str) -> str:
    """The words without the tags (each figure's text kept)."""
    return TAGGED.sub(lambda m: m.group(3), text)


def tag_cells(styler: Any, cells: Mapping[tuple[int, str], str]) -> Any:
    """A report table (Styler) whose cells at (row position, column) show ``markup``: HTML
    made of :func:`tagged_html` figures and escaped text. The table's ``.data`` keeps the
    plain text (a terminal or a test reads it)."""
    import pandas as pd  # not at import: the site's sanitiser reads the patterns alone

    frame = styler.data
    for (row, column), markup in cells.items():
        subset = pd.IndexSlice[frame.index[[row]], [column]]
        styler = styler.format(lambda _value, markup=markup: markup, subset=subset, escape=None)
    return styler


__all__ = [
    "KEY_PATTERN",
    "LABELS_STYLE",
    "TAGGED",
    "VALUE_PATTERN",
    "Part",
    "cell",
    "document_value",
    "figure_key",
    "figure_tag",
    "raw_value",
    "tag_cells",
    "tagged",
    "tagged_html",
    "untag",
]
