"""Cleaning the HTML a notebook shows: an allow-list (nh3) keeps tables, figures' keys,
links to pages of the site and images as data URIs; scripts, styles other than a
report table's own, event handlers and other URLs never reach a page.

Tables arrive laid out (``helpers.report.tables`` writes their classes and labels):
nothing here reads or changes a table's cells.
"""

from __future__ import annotations

import re

import nh3

from helpers.report.keys import KEY_PATTERN, LABELS_STYLE


def clean_html(markup: str) -> str:
    """Sanitise an HTML output (e.g. a table) with an allow-list: a tag not on it is
    dropped and its text kept, except ``<script>`` and ``<style>``, dropped with their
    content (code, never text for a reader).

    ``<style>`` blocks are kept only when they are pandas Styler rules (every
    selector starts with ``#T_``) and fetch nothing, or a long table's labels for
    phones (``report.keys.LABELS_STYLE``); pandas' default ``.dataframe`` style is
    dropped (the site styles tables). nh3 cleans a 2,000-row table in a tenth of a second.
    """
    markup = markup or ""
    styles = []

    def keep_style(match: re.Match) -> str:
        css = match.group(1)
        labels = LABELS_STYLE.fullmatch(css) is not None
        if css.strip() and (labels or _css_selectors_start_with(css, "#T_")):
            styles.append(f"<style>{css}</style>")
        return ""  # any other: pandas' default .dataframe style (the site styles tables)
        # or one the allow-list drops

    markup = re.sub(r"<style[^>]*>(.*?)</style>", keep_style, markup, flags=re.S | re.I)
    cleaned = nh3.clean(
        markup,
        tags=_ALLOWED_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=_URL_SCHEMES,
        filter_style_properties=_CSS_PROPERTIES,
        link_rel=None,
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


_GENERIC_ATTRIBUTES = {
    "class", "id", "title", "style", "colspan", "rowspan", "align", "valign", "width",
    "height", "alt",
}


_ALLOWED_ATTRIBUTES = {
    "*": _GENERIC_ATTRIBUTES,
    "span": {"data-key", "data-value"},  # a tagged figure (helpers.report.keys)
    "td": {"data-label"},  # a stacked table's column header (helpers.report.tables)
    "th": {"data-label"},
    "img": {"src"},
    "a": {"href"},
}


_DROPPED_WITH_CONTENT = {"script", "style"}


_URL_SCHEMES = {"http", "https", "mailto", "data"}


# inline style properties kept (others dropped): what a table's or a text's look may
# set; none takes a URL (cursor can: left out) or positions a thing outside its place
_CSS_PROPERTIES = {
    "background-color", "border-bottom-color", "border-collapse", "border-color",
    "border-left-color", "border-right-color", "border-top-color", "clear", "color",
    "direction", "display", "float", "font", "font-family", "font-size", "font-style",
    "font-variant", "font-weight", "height", "letter-spacing", "line-height", "overflow",
    "text-align", "text-decoration", "text-indent", "unicode-bidi", "vertical-align",
    "white-space", "width",
}
# fmt: on


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    """``value`` when the attribute may keep it, else None (the attribute is dropped)."""
    if name == "data-key":
        return value if _FIGURE_KEY.fullmatch(value) else None
    if name in ("data-value", "data-label"):
        return value if "\n" not in value else None
    if tag == "img" and name == "src":
        return value if value.startswith("data:image/") else None
    if tag == "a" and name == "href":
        linked = value.startswith(("#", "http://", "https://", "mailto:"))
        return value if linked or _RELATIVE_PAGE.match(value) else None
    return value


_FIGURE_KEY = re.compile(KEY_PATTERN)


# a link to another page of the site, e.g. ``cases/EML-01.html#decision``: no scheme, no query
_RELATIVE_PAGE = re.compile(
    r"^(\.\./)*[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*\.html(#[A-Za-z0-9._-]*)?$"
)
