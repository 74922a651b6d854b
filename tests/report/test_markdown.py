"""helpers.report.markdown: one escape for dollars and register text, one MathJax wrapper."""

from __future__ import annotations

import re

import pytest

from helpers.report.markdown import (
    NO_MATHS_CLOSE,
    NO_MATHS_OPEN,
    MarkdownText,
    escape_text,
    markdown,
    plain,
    returns_markdown,
    unwrap,
)
from helpers.site.markdown import render_markdown

BARE_DOLLAR = re.compile(r"(?<!\\)\$")  # a $ a Markdown maths plugin would read as maths


def test_markdown_escapes_bare_dollars_once():
    text = markdown("expected NPV -$32k (P10 -$238k to P90 $166k)")
    assert text.body == r"expected NPV -\$32k (P10 -\$238k to P90 \$166k)"
    assert markdown(text) == text
    assert markdown(r"already \$5").body == r"already \$5"
    assert not BARE_DOLLAR.search(text)


def test_markdown_is_wrapped_so_mathjax_skips_it():
    # JupyterLab's marked turns `\$` into a bare `$` and MathJax 3 would then typeset
    # `$32k (P10 -$`: the class tells MathJax 2 and 3 to leave the text alone
    text = markdown("costs $5")
    assert text == '<div class="tex2jax_ignore mathjax_ignore">\n\ncosts \\$5\n\n</div>'
    assert text.startswith(NO_MATHS_OPEN) and text.endswith(NO_MATHS_CLOSE)


def test_markdown_joined_texts_carry_one_wrapper():
    joined = markdown("\n\n".join([markdown("costs $5"), markdown("**saves** $7")]))
    assert joined.count(NO_MATHS_OPEN) == 1 and joined.count(NO_MATHS_CLOSE) == 1
    assert joined.body == "costs \\$5\n\n**saves** \\$7"


def test_markdown_of_nothing_stays_empty():
    assert markdown("") == "" and not markdown("")
    assert unwrap("plain") == "plain"


def test_markdown_is_shown_as_markdown_by_ipython():
    text = markdown("costs $5")
    assert isinstance(text, MarkdownText)
    assert text._repr_markdown_() == str(text)


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
    assert sentence.body == r"Pay \$5 now costs \$5"
    assert sentence.plain == "Pay $5 now costs $5"


def test_returns_markdown_wraps_a_describe_function():
    @returns_markdown
    def describe(amount: str) -> str:
        return f"plan on {amount}"

    assert describe("$201k").body == r"plan on \$201k"
    assert plain(describe("$201k")) == "plan on $201k"


def test_plain_drops_the_wrapper_emphasis_and_escapes():
    text = markdown("**Fund it.** Expected NPV $150k for \\*Spring\\* \\*\\*sale\\*\\*")
    assert text.plain == "Fund it. Expected NPV $150k for *Spring* **sale**"
    assert markdown("**cost** at P80: __big__, class (`category`)").plain == (
        "cost at P80: big, class (`category`)"
    )


def test_site_renders_the_wrapper_as_a_div_and_the_words_as_written():
    html = render_markdown(markdown("**Fund it**: -$32k (P10 -$238k), <b>x</b>"))
    assert html.startswith('<div class="tex2jax_ignore mathjax_ignore">\n<p><strong>Fund it')
    assert "-$32k (P10 -$238k), &lt;b&gt;x&lt;/b&gt;" in html
    assert "&lt;div" not in html and "\\$" not in html
    # a wrapper typed into a Markdown cell by hand is not special inside other text
    assert render_markdown("text <div>") == "<p>text &lt;div&gt;</p>\n"
