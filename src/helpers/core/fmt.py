"""Formatting numbers for reports: currency, percent, weeks, ranges. Round at the end."""

from __future__ import annotations

import math
import re

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_money(value: float | None, currency: str = "USD", *, compact: bool = True) -> str:
    """Money as text: ``$150k``, ``-$1.2M``, ``$2.5B``, ``€900`` (compact) or ``$150,000``."""
    if _missing(value):
        return "–"
    symbol = _SYMBOLS.get(currency, "")
    suffix = "" if symbol else f" {currency}"
    sign = "-" if value < 0 else ""
    amount = abs(float(value))
    if compact and amount >= 999_950_000:
        text = f"{amount / 1e9:,.1f}B"
    elif compact and amount >= 999_500:
        text = f"{amount / 1e6:.1f}M"
    elif compact and amount >= 1_000:
        text = f"{amount / 1e3:.0f}k"
    else:
        text = f"{amount:,.0f}"
    return f"{sign}{symbol}{text}{suffix}"


def fmt_pct(value: float | None, digits: int = 0) -> str:
    """A fraction as a percent: 0.237 -> ``24%``."""
    if _missing(value):
        return "–"
    return f"{100 * float(value):.{digits}f}%"


def fmt_weeks(value: float | None) -> str:
    """Weeks as text: ``14 weeks`` (one decimal below 10)."""
    if _missing(value):
        return "–"
    value = float(value)
    text = f"{value:.1f}" if value < 10 and value != round(value) else f"{value:.0f}"
    return f"{text} week{'s' if text != '1' else ''}"


def fmt_months(value: float | None) -> str:
    """Months as text, or ``never`` when missing (e.g. no payback in the horizon)."""
    if _missing(value):
        return "never"
    return f"{float(value):.0f} months"


def fmt_range(low: float, high: float, currency: str | None = None) -> str:
    """A range as text: ``$80k–$300k`` or ``10–24``."""
    if currency is not None:
        return f"{fmt_money(low, currency)}–{fmt_money(high, currency)}"
    return f"{low:,.0f}–{high:,.0f}"


def fmt_ratio(value: float | None) -> str:
    """A multiplier as text: 1.234 -> ``×1.23``."""
    if _missing(value):
        return "–"
    return f"×{float(value):.2f}"


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


def fmt_text(text: object) -> str:
    """Register text for a Markdown sentence: punctuation escaped, so a name shows as written.

    HTML is escaped by the site renderer; this keeps ``*`` or ``[x](y)`` in a
    name from turning into italics or a link.
    """
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def quantile_key(level: float) -> str:
    """The JSON key of a quantile or chance level: 0.8 -> ``"0.8"``."""
    return f"{float(level):g}"


def fmt_level(level: float) -> str:
    """A confidence level as planners say it: 0.8 -> ``P80``."""
    return f"P{100 * float(level):g}"


def fmt_worth(value: float | None, *, money: bool, currency: str = "USD") -> str:
    """A selection value: money for NPV-driven methods, else score points."""
    if _missing(value):
        return "–"
    return fmt_money(value, currency) if money else f"{float(value):,.3g} points"
