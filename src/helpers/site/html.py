"""Cleaning the HTML a notebook shows: tables sanitised with an allow-list (no scripts,
no event handlers, images only as data URIs, a figure's data-key).

Tables arrive laid out (``helpers.report.tables`` writes their classes and labels):
nothing here reads or changes a table's cells."""

from __future__ import annotations

import re

from helpers.report.keys import KEY_PATTERN
from helpers.report.tables import match_long_table


def clean_html(markup: str) -> str:
    """Sanitise an HTML output (e.g. a table): anything not on the allow-list shows as text.

    ``<style>`` blocks are kept only when they are pandas Styler rules (every
    selector starts with ``#T_``) and fetch nothing; pandas' default
    ``.dataframe`` style is dropped (the site styles tables); any other shows as text.
    """
    if match_long_table((markup or "").strip()) is not None:
        return markup.strip()  # a long table as written, checked in one linear pass
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
    return "".join(styles) + cleaned


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
    if tag in ("td", "th") and name == "data-label":  # a stacked table (report.tables)
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
