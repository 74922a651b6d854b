"""helpers.report.markdown: one escape for dollars and register text."""

from __future__ import annotations

import pytest

from helpers.report.markdown import MarkdownText, escape_text, markdown, plain, returns_markdown


def test_markdown_escapes_bare_dollars_once():
    text = markdown("expected NPV -$32k (P10 -$238k to P90 $166k)")
    assert text == r"expected NPV -\$32k (P10 -\$238k to P90 \$166k)"
    assert markdown(text) == text
    assert markdown(r"already \$5") == r"already \$5"


def test_markdown_is_shown_as_markdown_by_ipython():
    text = markdown("costs $5")
    assert isinstance(text, MarkdownText)
    assert text._repr_markdown_() == r"costs \$5"


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("*Spring* [sale](x)", r"\*Spring\* \[sale\]\(x\)"),
        ("$x^2$", r"\$x^2\$"),
        (None, ""),
        (float("nan"), ""),
    ],
)
def test_escape_text_shows_register_text_as_written(name, escaped):
    assert escape_text(name) == escaped


def test_escape_text_then_markdown_does_not_double_escape():
    sentence = markdown(f"{escape_text('Pay $5 now')} costs $5")
    assert sentence == r"Pay \$5 now costs \$5"
    assert sentence.plain == "Pay $5 now costs $5"


def test_returns_markdown_wraps_a_describe_function():
    @returns_markdown
    def describe(amount: str) -> str:
        return f"plan on {amount}"

    assert describe("$201k") == r"plan on \$201k"
    assert plain(describe("$201k")) == "plan on $201k"
