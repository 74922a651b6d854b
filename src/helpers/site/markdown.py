"""Markdown into safe HTML: raw HTML escaped (a register name like <script> shows as
text), remote images dropped, and only a figure tagged with its document key kept."""

from __future__ import annotations

import re

import mistune

from helpers.report.keys import TAGGED
from helpers.report.markdown import NO_MATHS_CLASS, unwrap


def render_markdown(text: str) -> str:
    """Markdown to HTML with raw HTML escaped (shown as text) and only data-URI images.

    The one piece of HTML a report's Markdown may carry, the wrapper that tells
    MathJax to skip it (``helpers.report.markdown``), becomes a ``div`` of the
    same class, so the site shows the words JupyterLab shows.
    """
    text = text or ""
    body = unwrap(text)
    if body == text:
        return _markdown_with_figures(text)
    return f'<div class="{NO_MATHS_CLASS}">\n{_markdown_with_figures(body)}</div>\n'


# private-use characters hold a tagged figure's place while Markdown is rendered
_HELD_OPEN, _HELD_MID, _HELD_CLOSE = "\ue000", "\ue001", "\ue002"


_HELD = re.compile(f"[{_HELD_OPEN}{_HELD_MID}{_HELD_CLOSE}]")


_HELD_TAG = re.compile(f"{_HELD_OPEN}(\\d+){_HELD_MID}")


def _markdown_with_figures(text: str) -> str:
    """Markdown to HTML with raw HTML escaped, except the report layer's tagged figures
    (``helpers.report.keys``): an unescaped ``<span data-key="…" data-value="…">`` of that
    exact form, key and value checked, is kept as that span around its rendered text."""
    opened: list[str] = []

    def hold(match: re.Match) -> str:
        opened.append(f'<span data-key="{match.group(1)}" data-value="{match.group(2)}">')
        return f"{_HELD_OPEN}{len(opened) - 1}{_HELD_MID}{match.group(3)}{_HELD_CLOSE}"

    rendered = _markdown(TAGGED.sub(hold, _HELD.sub("", text)))
    rendered = _HELD_TAG.sub(lambda m: opened[int(m.group(1))], rendered)
    return rendered.replace(_HELD_CLOSE, "</span>")


class _SafeRenderer(mistune.HTMLRenderer):
    """Mistune's HTML renderer that never emits a request: images only as data URIs."""

    def image(self, text: str, url: str, title: str | None = None) -> str:
        if url.startswith("data:image/"):
            return super().image(text, url, title)
        return f'<span class="missing-image">[{text}]</span>'


_markdown = mistune.create_markdown(
    renderer=_SafeRenderer(escape=True), plugins=["table", "strikethrough"]
)
