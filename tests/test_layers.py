"""The layer rule, kept by a test: domain modules compute, the report layer says it.

Domain modules return numbers and plain documents; they define no ``describe_``
or ``fmt_`` functions and import nothing from ``helpers.report``,
``helpers.charts``, IPython or pandas' Styler. Checked with ``ast`` so it stays
true without anyone remembering it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HELPERS = Path(__file__).resolve().parents[1] / "src" / "helpers"
DOMAIN = [
    "ranges",
    "cashflow",
    "business_case",
    "calibration",
    "scoring",
    "selection",
    "timeline",
]
OPTIONAL_DOMAIN = [
    "outside_view",
    "backtest",
    "correlation",
    "benefits",
    "portfolio_risk",
    "case_value",
    "copula",
    "selection_solve",
    "selection_reasons",
]
FORBIDDEN_IMPORTS = ("helpers.report", "helpers.charts", "IPython", "ipywidgets", "matplotlib")
MAX_LINES = 1000


def _domain_modules() -> list[str]:
    return DOMAIN + [name for name in OPTIONAL_DOMAIN if (HELPERS / f"{name}.py").exists()]


def _tree(module: str) -> ast.Module:
    path = HELPERS / f"{module}.py"
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names.append(base)
            names += [f"{base}.{alias.name}" for alias in node.names]
    return names


@pytest.mark.parametrize("module", _domain_modules())
def test_domain_module_imports_no_report_charts_or_ipython(module: str) -> None:
    bad = [
        name
        for name in _imported(_tree(module))
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IMPORTS)
    ]
    assert bad == [], f"helpers/{module}.py imports {bad}: words and figures belong in report/"


@pytest.mark.parametrize("module", _domain_modules())
def test_domain_module_defines_no_describe_or_fmt(module: str) -> None:
    names = [
        node.name
        for node in ast.walk(_tree(module))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.lstrip("_").startswith(("describe_", "fmt_"))
    ]
    assert names == [], f"helpers/{module}.py defines {names}: move them to helpers/report/"


@pytest.mark.parametrize("module", _domain_modules())
def test_domain_module_uses_no_styler(module: str) -> None:
    uses = [
        node.lineno
        for node in ast.walk(_tree(module))
        if isinstance(node, ast.Attribute) and node.attr == "style"
    ]
    assert uses == [], f"helpers/{module}.py builds a Styler on lines {uses}: use report.tables"


@pytest.mark.parametrize("module", ["business_case", "calibration", "selection"])
def test_big_domain_modules_stay_under_a_thousand_lines(module: str) -> None:
    lines = len((HELPERS / f"{module}.py").read_text(encoding="utf-8").splitlines())
    assert lines < MAX_LINES, f"helpers/{module}.py has {lines} lines"


def test_report_layer_imports_no_pipeline_or_cli() -> None:
    for path in sorted((HELPERS / "report").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bad = [
            n
            for n in _imported(tree)
            if n.startswith(("helpers.pipeline", "helpers.cli", "helpers.executors"))
        ]
        assert bad == [], f"{path.name} imports {bad}: the report layer sits below the build"
