"""Markdown that shows the same in JupyterLab, on the site and in a terminal.

JupyterLab typesets ``$…$`` in Markdown output as mathematics, so ``-$32k (P10
-$238k to P90 $166k)`` would turn into italic maths there while the site (which
has no MathJax) shows it as written. Every report sentence therefore goes
through :func:`markdown`, which escapes each unescaped ``$`` once; register text
put into a sentence goes through :func:`escape_text` first, so a name such as
``*Spring* [sale](x)`` shows as written rather than as emphasis or a link.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from typing import Any

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")
# a ``$`` not already escaped: preceded by an even number of backslashes (zero included)
_BARE_DOLLAR = re.compile(r"(?<!\\)((?:\\\\)*)\$")
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~$])")


class MarkdownText(str):
    """A report sentence in Markdown, already safe for JupyterLab (``$`` escaped).

    It is a ``str`` (tests and the site compare it as text) that IPython shows as
    Markdown when it is a cell's last expression; ``.plain`` is the same words
    for a terminal, with the Markdown escapes taken out.
    """

    def _repr_markdown_(self) -> str:
        return str(self)

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


def markdown(text: str) -> MarkdownText:
    """A sentence as :class:`MarkdownText`: every ``$`` not yet escaped gets a backslash."""
    if isinstance(text, MarkdownText):
        return text
    return MarkdownText(_BARE_DOLLAR.sub(lambda m: m.group(1) + r"\$", str(text)))


def returns_markdown(func: Callable[..., str]) -> Callable[..., MarkdownText]:
    """Decorator for ``describe_*`` functions: their Markdown comes out escaped, once."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> MarkdownText:
        return markdown(func(*args, **kwargs))

    return wrapper


def plain(text: str) -> str:
    """Markdown escapes removed, for a terminal: ``\\$150k`` -> ``$150k``."""
    return _ESCAPED.sub(r"\1", str(text))
