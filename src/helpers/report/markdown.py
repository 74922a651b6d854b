"""Markdown that shows the same in JupyterLab, on the site and in a terminal.

JupyterLab typesets ``$…$`` in Markdown output as mathematics, so ``-$32k (P10
-$238k to P90 $166k)`` would turn into italic maths there while the site (which
has no MathJax) shows it as written. Escaping ``$`` as ``\\$`` is not enough on
its own: JupyterLab's Markdown renderer (marked) turns ``\\$`` into a bare
``$`` in the HTML, and MathJax then typesets the text between two of them.

So every report sentence goes through :func:`markdown`, which does two things,
once:

- each unescaped ``$`` gets a backslash (standard Markdown, so any Markdown
  renderer, with or without a maths plugin, shows a dollar sign);
- the whole text is wrapped in ``<div class="tex2jax_ignore mathjax_ignore">``
  (blank lines around the body, so the Markdown inside is still rendered), the
  class MathJax 2 and 3 skip. JupyterLab, the classic notebook and nbconvert's
  own HTML (all MathJax) then show the dollars as written.

The site renders Markdown outputs with raw HTML escaped; its renderer
(``helpers.site.markdown.render_markdown``) recognises this exact wrapper and keeps it as
a ``div`` of the same class, so the site and JupyterLab show the same words.
:func:`plain` drops the wrapper, the escapes and ``**`` emphasis for a terminal.
Register text put into a sentence goes through :func:`escape_text` first, so a
name such as ``*Spring* [sale](x)`` shows as written rather than as emphasis or
a link.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

from helpers.report.keys import untag

# the classes MathJax 2 (tex2jax_ignore) and MathJax 3 (mathjax_ignore) leave untypeset
NO_MATHS_CLASS = "tex2jax_ignore mathjax_ignore"
NO_MATHS_OPEN = f'<div class="{NO_MATHS_CLASS}">\n\n'
NO_MATHS_CLOSE = "\n\n</div>"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")
# a ``$`` not already escaped: preceded by an even number of backslashes (zero included)
_BARE_DOLLAR = re.compile(r"(?<!\\)((?:\\\\)*)\$")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~$])")
# ``**`` or ``__`` that is Markdown (not escaped), for plain text; code spans keep their
# backticks, which read as a name to type in a terminal too
_MARKUP = re.compile(r"(?<!\\)((?:\\\\)*)(\*\*|__)")


class MarkdownText(str):
    """A report text in Markdown, safe for JupyterLab (``$`` escaped, MathJax told to skip it).

    It is a ``str`` (what ``display(Markdown(text))`` shows); IPython also shows
    it as Markdown when it is a cell's last expression. ``.body`` is the Markdown
    without the MathJax wrapper; ``.plain`` is the same words for a terminal.
    """

    def _repr_markdown_(self) -> str:
        return str(self)

    @property
    def body(self) -> str:
        return unwrap(self)

    @property
    def plain(self) -> str:
        return plain(self)


def escape_text(text: object) -> str:
    """Register text for a Markdown sentence: Markdown punctuation and ``$`` escaped.

    HTML is escaped by the site renderer; this keeps ``*`` or ``[x](y)`` in a
    name from turning into italics or a link, and ``$`` from starting maths.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def unwrap(text: str) -> str:
    """The Markdown without the MathJax wrapper(s) :func:`markdown` put around it."""
    return str(text).replace(NO_MATHS_OPEN, "").replace(NO_MATHS_CLOSE, "")


def markdown(text: str) -> MarkdownText:
    """A report text as :class:`MarkdownText`: bare ``$`` escaped, wrapped so MathJax skips it.

    Idempotent; texts already made by :func:`markdown` and joined into a larger
    one are unwrapped first, so the result carries one wrapper. Empty text stays
    empty (``if describe_x(...):`` keeps working).
    """
    if isinstance(text, MarkdownText):
        return text
    body = _BARE_DOLLAR.sub(lambda m: m.group(1) + r"\$", unwrap(text)).strip("\n")
    if not body.strip():
        return MarkdownText(body)
    return MarkdownText(NO_MATHS_OPEN + body + NO_MATHS_CLOSE)


def returns_markdown(func: Callable[..., str]) -> Callable[..., MarkdownText]:
    """Decorator for ``describe_*`` functions: their Markdown comes out escaped, once."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> MarkdownText:
        return markdown(func(*args, **kwargs))

    return wrapper


def plain(text: str) -> str:
    """The words for a terminal: no MathJax wrapper, figure tags (``helpers.report.keys``),
    ``**`` emphasis or escapes.

    ``**Fund it.** Plan on \\$150k`` -> ``Fund it. Plan on $150k``.
    """
    words = _MARKUP.sub(r"\1", untag(unwrap(text)))
    return _ESCAPED.sub(r"\1", words)
