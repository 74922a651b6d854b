"""Formatting helpers: the numbers a reader sees."""

from __future__ import annotations

import math

import pytest

from helpers.core.fmt import (
    fmt_level,
    fmt_money,
    fmt_months,
    fmt_pct,
    fmt_range,
    fmt_ratio,
    fmt_text,
    fmt_weeks,
    fmt_worth,
    quantile_key,
)


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (150_000, "USD", "$150k"),
        (-1_234_567, "USD", "-$1.2M"),
        (900, "EUR", "€900"),
        (999_600, "USD", "$1.0M"),
        (12_500, "SEK", "12k SEK"),
        (math.nan, "USD", "–"),
        (None, "USD", "–"),
    ],
)
def test_fmt_money_compact(value, currency, expected):
    assert fmt_money(value, currency) == expected


def test_fmt_money_full_digits():
    assert fmt_money(150_000, "USD", compact=False) == "$150,000"


def test_fmt_pct_rounds_at_the_end():
    assert fmt_pct(0.237) == "24%"
    assert fmt_pct(0.2375, digits=1) == "23.8%"
    assert fmt_pct(None) == "–"


def test_fmt_weeks_and_months():
    assert fmt_weeks(14) == "14 weeks"
    assert fmt_weeks(1) == "1 week"
    assert fmt_weeks(6.5) == "6.5 weeks"
    assert fmt_months(math.nan) == "never"
    assert fmt_months(17.4) == "17 months"


def test_fmt_range_and_ratio():
    assert fmt_range(80_000, 300_000, "USD") == "$80k–$300k"
    assert fmt_range(10, 24) == "10–24"
    assert fmt_ratio(1.234) == "×1.23"


def test_fmt_text_escapes_markdown_punctuation():
    assert fmt_text("Sales & *marketing* [alerts](x)") == (
        "Sales & \\*marketing\\* \\[alerts\\]\\(x\\)"
    )
    assert fmt_text(None) == ""


def test_quantile_key_and_level():
    assert quantile_key(0.8) == "0.8" and quantile_key(0.05) == "0.05"
    assert fmt_level(0.8) == "P80" and fmt_level(0.975) == "P97.5"


def test_fmt_worth_money_or_points():
    assert fmt_worth(64.0, money=False) == "64 points"
    assert fmt_worth(128_000, money=True, currency="USD") == "$128k"
    assert fmt_worth(None, money=True) == "–"


def test_fmt_money_billions_stay_short():
    assert fmt_money(5e11) == "$500.0B"
    assert fmt_money(1e12) == "$1,000.0B"
    assert fmt_money(999_940_000) == "$999.9M"
