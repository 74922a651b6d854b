"""The layers, kept by a test: folders show them, imports only go down, the model is pure.

``helpers`` is one folder per layer, in this order (DESIGN.md §2):

    core → load → model → report, charts → build → site → cli

Each rule below is checked with ``ast`` over every module, so it stays true
without anyone remembering it:

- every module lives in a layer folder;
- a module imports only from its own layer or the layers before it;
- there is no import cycle, counting imports inside functions;
- core, load, model, report and charts import no ``helpers`` module inside a
  function (build, site and cli may, to keep start-up fast, still downward);
- no module imports another module's private (``_``) name;
- no module is over 800 lines;
- the model opens no file and writes no sentence: no file calls, no report,
  charts or IPython imports, no ``describe_``/``fmt_`` functions, no Styler, and
  no number put into a sentence by core.fmt's formatters (except in an error's
  message: bad input is said where it is found).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

HELPERS = Path(__file__).resolve().parents[1] / "src" / "helpers"
LAYERS = {"core": 0, "load": 1, "model": 2, "report": 3, "charts": 3, "build": 4, "site": 5}
LAYERS["cli"] = 6
LAZY_ALLOWED = ("build", "site", "cli")  # start-up speed: heavy modules imported when needed
MAX_LINES = 800
FILE_CALLS = {
    "open",
    "read_text",
    "write_text",
    "read_bytes",
    "write_bytes",
    "mkdir",
    "unlink",
    "rmtree",
    "read_csv",
    "to_csv",
    "read_excel",
    "read_json",
    "write_json",
    "write_text_atomic",
}
WORDS = ("helpers.report", "helpers.charts", "IPython", "ipywidgets", "matplotlib")
SENTENCE_FORMATTERS = {"fmt_money", "fmt_pct", "fmt_weeks", "fmt_level", "fmt_number"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(HELPERS.rglob("*.py")):
        parts = path.relative_to(HELPERS.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


@cache
def _tree(name: str) -> ast.Module:
    return ast.parse(MODULES[name].read_text(encoding="utf-8"), filename=str(MODULES[name]))


def _layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def _resolve(target: str) -> str | None:
    """The helpers module an imported name lives in (``helpers.x.y.f`` -> ``helpers.x.y``)."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _imports(name: str) -> list[tuple[str, int, bool, str]]:
    """(imported module, line, inside a function, imported name) of ``helpers`` imports."""
    tree = _tree(name)
    inner = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(function)
    }
    typing_only = {  # under ``if TYPE_CHECKING:``: annotations, not a runtime import
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            targets = [(alias.name, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            targets = [(f"{node.module}.{a.name}", a.name) for a in node.names]
        else:
            continue
        for target, imported in targets:
            if not target.startswith("helpers"):
                continue
            module = _resolve(target)
            if module and module != name and module != "helpers":
                found.append((module, node.lineno, id(node) in inner, imported))
    return found


def test_every_module_lives_in_a_layer_folder() -> None:
    loose = [n for n in MODULES if n != "helpers" and _layer(n) is None]
    assert loose == [], f"modules outside the layer folders {sorted(LAYERS)}: {loose}"


@pytest.mark.parametrize("name", [n for n in MODULES if _layer(n)])
def test_imports_only_go_down(name: str) -> None:
    rank = LAYERS[_layer(name)]
    up = [
        f"line {line}: {module}"
        for module, line, _, _ in _imports(name)
        if _layer(module) and LAYERS[_layer(module)] > rank
    ]
    assert up == [], f"{name} ({_layer(name)}) imports from a layer above it: {up}"


def test_no_import_cycles() -> None:
    graph = {n: {m for m, *_ in _imports(n)} for n in MODULES}
    cycles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


@pytest.mark.parametrize("name", [n for n in MODULES if _layer(n) not in LAZY_ALLOWED])
def test_no_helpers_import_inside_a_function(name: str) -> None:
    inside = [f"line {line}: {m}" for m, line, lazy, _ in _imports(name) if lazy]
    assert inside == [], (
        f"{name} imports inside functions (move it up, or the piece down): {inside}"
    )


@pytest.mark.parametrize("name", list(MODULES))
def test_no_private_name_imported_from_another_module(name: str) -> None:
    private = [f"{m}.{n}" for m, _, _, n in _imports(name) if n.startswith("_")]
    assert private == [], f"{name} imports private names: {private} (make them public below)"


@pytest.mark.parametrize("name", list(MODULES))
def test_no_module_over_800_lines(name: str) -> None:
    lines = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it by concern"


MODEL = [n for n in MODULES if _layer(n) == "model"]


@pytest.mark.parametrize("name", MODEL)
def test_model_opens_no_file(name: str) -> None:
    calls = [
        f"line {node.lineno}: {func.attr if isinstance(func, ast.Attribute) else func.id}"
        for node in ast.walk(_tree(name))
        if isinstance(node, ast.Call)
        for func in [node.func]
        if (isinstance(func, ast.Attribute) and func.attr in FILE_CALLS)
        or (isinstance(func, ast.Name) and func.id in FILE_CALLS)
    ]
    assert calls == [], f"{name} touches files (that is load/'s job): {calls}"


@pytest.mark.parametrize("name", MODEL)
def test_model_writes_no_sentence(name: str) -> None:
    tree = _tree(name)
    words = [
        alias.name if isinstance(node, ast.Import) else f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    bad = [w for w in words if any(w == f or w.startswith(f + ".") for f in WORDS)]
    raised = {id(n) for r in ast.walk(tree) if isinstance(r, ast.Raise) for n in ast.walk(r)}
    bad += [  # a number put into a sentence, except an error's message
        f"{node.func.id} on line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in SENTENCE_FORMATTERS
        and id(node) not in raised
    ]
    bad += [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.lstrip("_").startswith(("describe_", "fmt_"))
    ]
    bad += [
        f"Styler on line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ("style", "Styler")
    ]
    assert bad == [], f"{name} writes words (that is report/'s job): {bad}"
