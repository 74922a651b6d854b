"""Every figure a page prints carries its document key, and says that document's value.

Issue 22: pages only say the quarter model's figures. Each tagged figure
(``<span data-key="cases.DATA-01.npv.mean" data-value="…">$17k</span>``, see
``helpers.report.keys``) is checked against the build's documents
(``build/artifacts``): its ``data-value`` equals the document's value exactly, its
text shows that value to the precision it is printed at, and one key never shows
two values on two pages. The sample quarter is built once per test session
(``conftest.sample_build``: real notebooks, real site), so the check runs on the pages
a reader gets.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from helpers.report.keys import raw_value

# --------------------------------------------------------------------------- the checker


def load_documents(artifacts: Path) -> dict[str, Any]:
    """The build's documents under the roots the keys use: ``cases`` (by id), ``roadmap``,
    ``review``, ``calibration`` (a root whose file is missing is left out)."""
    documents: dict[str, Any] = {
        "cases": {
            path.stem: json.loads(path.read_text()) for path in (artifacts / "cases").glob("*.json")
        }
    }
    for root in ("roadmap", "review", "calibration"):
        path = artifacts / f"{root}.json"
        if path.is_file():
            documents[root] = json.loads(path.read_text())
    return documents


def resolve(documents: Mapping[str, Any], key: str) -> Any:
    """The value at ``key`` (``cases.WEB-01.cost.0.5``): each step is the longest run of
    dot-separated parts that is a key there, so quantile keys (``0.5``) and ids with dots
    resolve. Raises KeyError naming the step that is missing."""
    parts = key.split(".")
    node: Any = documents
    start = 0
    while start < len(parts):
        if not isinstance(node, Mapping):
            raise KeyError(f"{key}: {'.'.join(parts[:start])} is not an object")
        for end in range(len(parts), start, -1):
            step = ".".join(parts[start:end])
            if step in node:
                node, start = node[step], end
                break
        else:
            raise KeyError(f"{key}: no {parts[start]!r} under {'.'.join(parts[:start]) or 'root'}")
    return node


def same_value(raw: str, value: Any) -> bool:
    """Whether a page's ``data-value`` is the document's value (numbers exactly)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | list):
        return raw == raw_value(value)
    try:
        return float(raw) == float(value)
    except ValueError:
        return False


_MONEY = re.compile(r"^(-)?[$€£¥]?([\d,]+(?:\.(\d+))?)(k|M)?(?: [A-Z]{3})?$")
_PERCENT = re.compile(r"^(-?\d+(?:\.(\d+))?)%$")
_UNIT = re.compile(r"^(-?[\d,]+(?:\.(\d+))?)(?: (?:weeks?|months))?$")


def shown_number(text: str) -> tuple[float, float] | None:
    """The number a figure's text shows and half its last digit (the rounding it may carry):
    ``-$87k`` -> (-87000, 500), ``70%`` -> (0.70, 0.005), ``21 weeks`` -> (21, 0.5);
    None for words or several numbers (``4 of 9``, ``$173k / $335k``)."""
    text = text.strip()
    if found := _PERCENT.match(text):
        digits = len(found.group(2) or "")
        return float(found.group(1)) / 100, 0.5 * 10.0**-digits / 100
    if found := _MONEY.match(text):
        sign, number, decimals, scale = found.groups()
        factor = {"k": 1e3, "M": 1e6}.get(scale or "", 1.0)
        value = float(number.replace(",", "")) * factor * (-1 if sign else 1)
        return value, 0.5 * 10.0 ** -len(decimals or "") * factor
    if found := _UNIT.match(text):
        return float(found.group(1).replace(",", "")), 0.5 * 10.0 ** -len(found.group(2) or "")
    return None


def shows_value(text: str, value: Any) -> bool:
    """Whether a figure's text shows the document's value to its printed precision (a text
    that is not one number, or a value that is not a number, is not checked here)."""
    shown = shown_number(text)
    if shown is None or isinstance(value, bool) or not isinstance(value, int | float):
        return True
    number, half = shown
    return math.isclose(number, float(value), abs_tol=half * (1 + 1e-9) + 1e-9)


def tagged_figures(page: Path) -> list[tuple[str, str, str]]:
    """Every tagged figure on a page: (key, data-value, text shown)."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return [
        (span["data-key"], span.get("data-value", ""), span.get_text())
        for span in soup.find_all("span", attrs={"data-key": True})
    ]


def check_pages(pages: list[Path], documents: Mapping[str, Any], root: Path) -> list[str]:
    """Problems with the pages' tagged figures, one line each: a key the documents do not
    have, a value that is not the document's, a text that does not show it, one key with
    two values on two pages. Empty when every figure says its document."""
    problems, seen = [], {}
    for page in pages:
        name = page.relative_to(root).as_posix() if page.is_relative_to(root) else str(page)
        for key, raw, text in tagged_figures(page):
            try:
                value = resolve(documents, key)
            except KeyError as error:
                problems.append(f"{name}: {error.args[0]}")
                continue
            if not same_value(raw, value):
                problems.append(f"{name}: {key} shows {raw}, the document has {value!r}")
            elif not shows_value(text, value):
                problems.append(f"{name}: {key} reads {text!r}, the document has {value!r}")
            first = seen.setdefault(key, (name, raw))
            if first[1] != raw:
                problems.append(f"{key}: {first[0]} shows {first[1]}, {name} shows {raw}")
    return problems


def quarter_pages(quarter_dir: Path) -> list[Path]:
    """The quarter's HTML pages (its overview, reports and case pages), not the build folder."""
    return sorted(
        path
        for path in quarter_dir.rglob("*.html")
        if "build" not in path.relative_to(quarter_dir).parts
    )


# --------------------------------------------------------------------------- fast checks


def test_resolve_walks_quantile_keys_and_dotted_ids():
    documents = {"cases": {"A.1": {"cost": {"0.5": 3.0}}}, "roadmap": {"budget": 9.0}}
    assert resolve(documents, "cases.A.1.cost.0.5") == 3.0
    assert resolve(documents, "roadmap.budget") == 9.0
    with pytest.raises(KeyError, match="no 'prob_loss' under cases.A.1"):
        resolve(documents, "cases.A.1.prob_loss")


@pytest.mark.parametrize(
    ("text", "value", "ok"),
    [
        ("-$87k", -87349.75, True),
        ("-$88k", -87349.75, False),
        ("$1.2M", 1_234_000.0, True),
        ("70%", 0.7026, True),
        ("71%", 0.7026, False),
        ("21 weeks", 20.735, True),
        ("135", 135.06, True),
        ("$173k / $335k", 1.0, True),  # several numbers: not checked by text
        ("leave out", "leave_out", True),
    ],
)
def test_shows_value_to_the_printed_precision(text, value, ok):
    assert shows_value(text, value) is ok


def test_check_pages_reports_a_wrong_value_a_wrong_text_and_two_values_for_one_key(tmp_path):
    documents = {"cases": {"A": {"npv": {"mean": 17156.3}}}}

    def page(name: str, body: str) -> Path:
        path = tmp_path / name
        path.write_text(f"<html><body>{body}</body></html>")
        return path

    good = page("a.html", '<span data-key="cases.A.npv.mean" data-value="17156.3">$17k</span>')
    assert check_pages([good], documents, tmp_path) == []
    wrong = page("b.html", '<span data-key="cases.A.npv.mean" data-value="99.0">$17k</span>')
    shown = page("c.html", '<span data-key="cases.A.npv.mean" data-value="17156.3">$18k</span>')
    lost = page("d.html", '<span data-key="cases.B.npv.mean" data-value="1.0">$1</span>')
    problems = check_pages([good, wrong, shown, lost], documents, tmp_path)
    assert "b.html: cases.A.npv.mean shows 99.0, the document has 17156.3" in problems
    assert "cases.A.npv.mean: a.html shows 17156.3, b.html shows 99.0" in problems
    assert "c.html: cases.A.npv.mean reads '$18k', the document has 17156.3" in problems
    assert "d.html: cases.B.npv.mean: no 'B' under cases" in problems


# --------------------------------------------------------------------------- the built sample


@pytest.fixture(scope="module")
def built(sample_build) -> Path:
    """The sample quarter, built once per test session (``conftest.sample_build``)."""
    return sample_build.quarter


@pytest.fixture(scope="module")
def documents(built: Path) -> dict[str, Any]:
    return load_documents(built / "build" / "artifacts")


@pytest.mark.slow
def test_every_tagged_figure_on_the_built_sample_says_its_document(built, documents):
    problems = check_pages(quarter_pages(built), documents, built)
    assert problems == [], "\n".join(problems)


@pytest.mark.slow
def test_every_page_of_the_built_sample_tags_its_headline_figures(built, documents):
    counts = {
        page.relative_to(built).as_posix(): len(tagged_figures(page))
        for page in quarter_pages(built)
    }
    cases = {name: n for name, n in counts.items() if name.startswith("cases/")}
    assert sorted(name[6:-5] for name in cases) == sorted(documents["cases"])
    assert all(n >= 5 for n in cases.values()), cases
    assert counts["roadmap.html"] >= 10 and counts["index.html"] >= 5, counts
    assert counts["review.html"] >= 3, counts
    keys = {key for page in quarter_pages(built) for key, _, _ in tagged_figures(page)}
    for expected in (
        "cases.WEB-01.npv.mean",
        "cases.WEB-01.prob_loss",
        "cases.WEB-01.cost.0.5",
        "cases.WEB-01.cost.0.8",
        "roadmap.initiatives.WEB-01.decision",
        "roadmap.selected",
        "roadmap.cost_at_confidence",
        "roadmap.prob_over_budget",
        "roadmap.expected_value",
        "review.portfolio.funded",
    ):
        assert expected in keys, expected


@pytest.mark.slow
def test_an_altered_figure_on_a_copied_page_is_reported(built, documents, tmp_path):
    """Done when: the check fails when one page's figure is altered."""
    page = tmp_path / "cases" / "WEB-01.html"
    page.parent.mkdir()
    original = (built / "cases" / "WEB-01.html").read_text(encoding="utf-8")
    key = "cases.WEB-01.cost.0.5"
    found = re.search(rf'data-key="{re.escape(key)}" data-value="([^"]+)"', original)
    assert found, f"WEB-01's page tags no {key}"
    page.write_text(original.replace(found.group(0), f'data-key="{key}" data-value="177000.0"'))
    pages = [built / "roadmap.html", built / "cases" / "WEB-01.html"]
    assert check_pages(pages, documents, built) == []
    value = resolve(documents, key)
    problems = check_pages([*pages, page], documents, tmp_path)  # the copy is cases/WEB-01.html
    assert f"cases/WEB-01.html: {key} shows 177000.0, the document has {value!r}" in problems
    conflict = [p for p in problems if p.startswith(f"{key}: ")]
    assert conflict and all(p.endswith("cases/WEB-01.html shows 177000.0") for p in conflict)


@pytest.mark.slow
def test_one_initiative_reads_the_same_on_the_roadmap_and_its_case_page(built, documents):
    """Issue 22: WEB-01's cost P50 was $177k on the roadmap (the exact quantile) and $173k on
    its case page (the simulation). The roadmap's figures of an initiative are its case's."""
    cases, items = documents["cases"], documents["roadmap"]["initiatives"]
    for initiative_id, entry in items.items():
        case = cases[initiative_id]
        assert entry["cost_p50"] == case["cost"]["0.5"], initiative_id
        assert entry["expected_npv"] == case["npv"]["mean"], initiative_id
        assert entry["prob_loss"] == case["prob_loss"], initiative_id

    def shown(page: Path, key: str) -> str:
        return next(text for k, _, text in tagged_figures(page) if k == key)

    on_roadmap = shown(built / "roadmap.html", "roadmap.initiatives.WEB-01.cost_p50")
    on_case = shown(built / "cases" / "WEB-01.html", "cases.WEB-01.cost.0.5")
    assert on_roadmap == on_case
