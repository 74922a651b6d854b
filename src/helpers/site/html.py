"""Cleaning the HTML a notebook shows: tables sanitised with an allow-list (no scripts,
no event handlers, images only as data URIs, a figure's data-key), their columns
classified for alignment, long tables paged."""

from __future__ import annotations

import re
from typing import Any

from helpers.report.keys import KEY_PATTERN
from helpers.report.tables import match_long_table


def clean_html(markup: str) -> str:
    """Sanitise an HTML output (e.g. a table): anything not on the allow-list shows as text.

    ``<style>`` blocks are kept only when they are pandas Styler rules (every
    selector starts with ``#T_``) and fetch nothing; pandas' default
    ``.dataframe`` style is dropped (the site styles tables); any other shows as text.
    """
    long_table = _clean_long_table(markup or "")
    if long_table is not None:
        return long_table
    import bleach
    from bleach.css_sanitizer import CSSSanitizer

    styles = []

    def keep_style(match: re.Match) -> str:
        css = match.group(1)
        if _css_selectors_start_with(css, ".dataframe"):
            return ""  # pandas' default table style: the site stylesheet styles tables
        if not _css_selectors_start_with(css, "#T_"):
            return match.group(0)  # left for bleach, which shows it as text
        styles.append(f"<style>{css}</style>")
        return ""

    markup = re.sub(r"<style[^>]*>(.*?)</style>", keep_style, markup or "", flags=re.S | re.I)
    cleaned = bleach.clean(
        markup,
        tags=_ALLOWED_TAGS,
        attributes=_allowed_attribute,
        protocols=["http", "https", "mailto", "data"],
        css_sanitizer=CSSSanitizer(),
        strip=False,
        strip_comments=True,
    )
    if "<table" in cleaned:
        cleaned = classify_table_columns(cleaned)
    return "".join(styles) + cleaned


_SHORT_TEXT = 14  # characters: ids, short labels


_LONGEST_FIGURE = 40  # characters: "-$1,234k to $5,678k" fits, a list of ids does not


_UNIT_WORDS = {"k", "m", "bn", "x", "to", "week", "weeks", "month", "months", "pp", "p"}


def _is_numeric_text(text: str) -> bool:
    """A figure such as ``$181k``, ``57%``, ``×1.25``, ``17 weeks / 27 weeks``, ``-$2k to $5k``.

    Longer text is never a figure: a list of ids such as ``P-2021-03, P-2021-07, …``
    must wrap, not stay on one line as figures do."""
    words = re.findall(r"[^\W\d_]+", text)
    return (
        len(text) <= _LONGEST_FIGURE
        and bool(re.search(r"\d", text))
        and all(w.lower() in _UNIT_WORDS for w in words)
    )


def classify_table_columns(markup: str) -> str:
    """Mark table columns for the stylesheet: ``num`` when every value is a figure
    (right-aligned), ``short`` when every value is short text such as an id (kept on
    one line); other text wraps, left-aligned."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for table in soup.find_all("table"):
        grid = _table_grid(table)
        body = [cells for section, cells in grid if section != "thead"]
        width = max((len(cells) for _, cells in grid), default=0)
        for col in range(width):
            data = [row[col] for row in body if col < len(row) and row[col] is not None]
            texts = [cell.get_text(" ", strip=True) for cell in data if cell.name == "td"]
            mark = _column_mark(texts)
            if mark is None:
                continue
            for section, cells in grid:
                cell = cells[col] if col < len(cells) else None
                header = section == "thead" and _int_attr(cell, "colspan") == 1
                if cell is not None and (cell.name == "td" or (header and mark == "num")):
                    classes = cell.get("class", [])
                    cell["class"] = classes if mark in classes else [*classes, mark]
        _label_cells(table, grid, width)
    return str(soup)


STACKED_FROM = 4  # columns: a table this wide becomes stacked rows on a phone (site.css)


def _label_cells(table, grid: list[tuple[str, list]], width: int) -> None:
    """Mark a wide table ``stack`` and give each body cell its column's header as
    ``data-label``: on a phone each row shows as a block of "header: value" lines, so
    no column is cut off and no word breaks to fit a narrow column."""
    heads = [cells for section, cells in grid if section == "thead"]
    if width < STACKED_FROM or not heads:
        return
    labels = [
        heads[-1][col].get_text(" ", strip=True) if col < len(heads[-1]) and heads[-1][col] else ""
        for col in range(width)
    ]
    table["class"] = [*table.get("class", []), "stack"]
    for section, cells in grid:
        if section == "thead":
            continue
        for col, cell in enumerate(cells):
            if cell is not None and labels[col] and not cell.has_attr("data-label"):
                cell["data-label"] = labels[col]


def _column_mark(texts: list[str]) -> str | None:
    """``num`` when every value of a column is a figure, ``short`` when every one is short
    text, else None (the column wraps)."""
    if not any(texts):
        return None
    if all(_is_numeric_text(t) for t in texts if t):
        return "num"
    if all(len(t) <= _SHORT_TEXT for t in texts):
        return "short"
    return None


_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>")


_DATA_CELL = re.compile(r"<td>(.*?)</td>")


def _clean_long_table(markup: str) -> str | None:
    """A long table (``report.tables.long_table``) with its columns classed, or None when
    ``markup`` is anything else (then the allow-list cleaner handles it)."""
    import html

    found = match_long_table(markup.strip())
    if found is None:
        return None
    rows = [_DATA_CELL.findall(row) for row in _ROW.findall(found["body"])]
    width = max((len(cells) for cells in rows), default=0)
    marks = []
    for col in range(width):
        texts = [
            html.unescape(re.sub(r"<[^>]+>", "", row[col])).strip()
            for row in rows
            if col < len(row)
        ]
        marks.append(_column_mark(texts))

    head_cells = re.findall(r"<th>(.*?)</th>", found["head"])
    stacked = len(head_cells) >= STACKED_FROM

    def classed(tag: str, cells: list[str], header: bool) -> str:
        out = []
        for col, cell in enumerate(cells):
            mark = marks[col] if col < len(marks) else None
            attrs = "" if mark is None or (header and mark != "num") else f' class="{mark}"'
            out.append(f"<{tag}{attrs}>{cell}</{tag}>")
        return "".join(out)

    head = classed("th", head_cells, header=True)
    body = "".join(
        opening + classed("td", _DATA_CELL.findall(row), header=False) + "</tr>"
        for opening, row in re.findall(r'(<tr(?: class="rest")?>)(.*?)</tr>', found["body"])
    )
    markup = markup.strip()  # the string the spans refer to
    opening = markup[: found.start("head")]
    if stacked:  # labels by column, once per table: 2,000 rows need no label per cell
        opening = _column_labels(found["uuid"], head_cells) + opening.replace(
            "<table><thead>", '<table class="stack"><thead>', 1
        )
    return (
        opening
        + head
        + markup[found.end("head") : found.start("body")]
        + body
        + markup[found.end("body") :]
    )


def _column_labels(uuid: str, head_cells: list[str]) -> str:
    """A long table's stacked-row labels (site.css) as one style rule per column after the
    first, ``#<uuid> td:nth-child(k)::before { content: "<header>" }``; every character of
    a header outside letters and digits is a CSS escape, so no header can end the style."""
    import html

    rules = []
    for col, text in enumerate(head_cells[1:], start=2):
        label = "".join(
            c if c.isascii() and c.isalnum() else f"\\{ord(c):06x}" for c in html.unescape(text)
        )
        rules.append(f'#{uuid} td:nth-child({col})::before {{ content: "{label}"; }}')
    return "<style>@media (max-width: 40rem) { " + " ".join(rules) + " }</style>"


def _table_grid(table) -> list[tuple[str, list]]:
    """The table as rows of column positions (cells spanning rows or columns repeat)."""
    grid: list[tuple[str, list]] = []
    carried: dict[int, tuple[Any, int]] = {}  # column -> (cell, rows still to cover)
    for row in table.find_all("tr"):
        if row.find_parent("table") is not table:
            continue
        section = row.parent.name if row.parent is not None else ""
        cells: list = []
        col = 0
        for cell in row.find_all(["td", "th"], recursive=False):
            while col in carried:
                cells.append(carried[col][0])
                col += 1
            span = _int_attr(cell, "colspan")
            for _ in range(span):
                cells.append(cell)
                rows = _int_attr(cell, "rowspan")
                if rows > 1:
                    carried[col] = (cell, rows)
                col += 1
        while col in carried:
            cells.append(carried[col][0])
            col += 1
        carried = {c: (cell, n - 1) for c, (cell, n) in carried.items() if n - 1 > 0}
        grid.append((section, cells))
    return grid


def _int_attr(cell, name: str) -> int:
    if cell is None:
        return 1
    try:
        return max(1, int(cell.get(name, 1)))
    except (TypeError, ValueError):
        return 1


def _css_selectors_start_with(css: str, prefix: str) -> bool:
    """True when ``css`` is plain rules whose every selector starts with ``prefix``."""
    if re.search(r"@|url\s*\(|expression\s*\(|<|\\", css, re.IGNORECASE):
        return False
    rules = [rule for rule in css.split("}") if rule.strip()]
    for rule in rules:
        selectors, brace, _ = rule.partition("{")
        if not brace:
            return False
        for selector in selectors.split(","):
            if not selector.strip().startswith(prefix):
                return False
    return True


# fmt: off
_ALLOWED_TAGS = frozenset((
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "details",
    "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p",
    "pre", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul",
))


_ALLOWED_ATTRIBUTES = frozenset((
    "class", "id", "title", "style", "colspan", "rowspan", "align", "valign", "width",
    "height", "alt",
))


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    if name in _ALLOWED_ATTRIBUTES:
        return True
    if tag == "span" and name == "data-key":  # a tagged figure (helpers.report.keys)
        return bool(_FIGURE_KEY.fullmatch(value))
    if tag == "span" and name == "data-value":
        return "\n" not in value
    if tag == "img" and name == "src":
        return value.startswith("data:image/")
    if tag == "a" and name == "href":
        return value.startswith(("#", "http://", "https://", "mailto:")) or bool(
            _RELATIVE_PAGE.match(value)
        )
    return False


_FIGURE_KEY = re.compile(KEY_PATTERN)


# a link to another page of the site, e.g. ``cases/EML-01.html#decision``: no scheme, no query
_RELATIVE_PAGE = re.compile(
    r"^(\.\./)*[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*\.html(#[A-Za-z0-9._-]*)?$"
)
