"""Benefit templates: a business case's annual benefit built from named drivers.

A template is a YAML file in ``playbook/templates/NAME.yaml``::

    name: email_program              # the file's stem
    title: Email programme
    description: When to use it.
    drivers:
      - name: list_size              # a Python-style identifier
        unit: subscribers
        description: What it measures.
        evidence: Where a typical value comes from.
        volume: true                 # optional; a lean variant's benefit_share scales it
        kpi: true                    # optional, at most one: the initiative's KPI (key driver)
    formula: list_size * sends_per_year * conversion_uplift * value_per_conversion

The formula gives the annual benefit in the params' currency. It may use
numbers, the driver names, ``+ - * / **``, unary minus, parentheses and
``min(a, b, ...)`` / ``max(a, b, ...)``; every declared driver must appear in it.

Safety: a formula is user text, so it is never given to Python's ``eval``. It is
parsed with :mod:`ast` and every node checked against that whitelist (no
attribute access, no subscripts, no calls but ``min``/``max``, no names but the
drivers, an exponent only a constant of at most ``MAX_EXPONENT`` in size), then
rewritten into a numexpr expression over renamed variables (``d0``, ``d1``, …;
``min``/``max`` become ``where``) and evaluated vectorised over the draws by
numexpr, which compiles arithmetic to its own virtual machine.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from helpers.core.errors import InputError, Problem
from helpers.core.safe_yaml import read_yaml

TEMPLATES_FOLDER = Path("playbook") / "templates"
# the playbook's own templates, for a project folder without a playbook/templates of its own
PLAYBOOK_TEMPLATES = Path(__file__).resolve().parents[3] / TEMPLATES_FOLDER
TEMPLATE_KEYS = ("name", "title", "description", "drivers", "formula")
DRIVER_KEYS = ("name", "unit", "description", "evidence", "volume", "kpi")
REQUIRED_DRIVER_KEYS = ("name", "unit", "description", "evidence")
FUNCTIONS = ("min", "max")
MAX_EXPONENT = 10  # a larger power of an uncertain driver is no business formula, and overflows
MAX_FORMULA_LENGTH = 2000  # characters; keeps the parser far from its recursion limit
MAX_TEMPLATE_BYTES = 100_000  # a template is a page of YAML; larger is the wrong file
_IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_ALLOWED = "numbers, driver names, + - * / **, parentheses, min(...) and max(...)"


@dataclass(frozen=True)
class Driver:
    """One driver of a template: its name, unit, meaning and typical evidence.

    ``volume`` marks a quantity that scales with how much of the data or
    audience an initiative covers (a lean variant's ``benefit_share`` scales it).
    """

    name: str
    unit: str
    description: str
    evidence: str
    volume: bool = False
    kpi: bool = False  # the key driver: a funded initiative's KPI, reviewed against its target

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "description": self.description,
            "evidence": self.evidence,
            "volume": self.volume,
            "kpi": self.kpi,
        }


@dataclass(frozen=True)
class Template:
    """A checked benefit template; ``program`` is its formula as numexpr will run it."""

    name: str
    title: str
    description: str
    drivers: tuple[Driver, ...]
    formula: str
    path: str
    program: Program

    @property
    def driver_names(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.drivers)

    @property
    def kpi_driver(self) -> Driver | None:
        """The driver marked ``kpi: true`` (the initiative's KPI), or None."""
        return next((d for d in self.drivers if d.kpi), None)

    @property
    def volume_drivers(self) -> tuple[str, ...]:
        return tuple(d.name for d in self.drivers if d.volume)

    def driver(self, name: str) -> Driver:
        """The driver called ``name`` (KeyError if the template has none)."""
        for driver in self.drivers:
            if driver.name == name:
                return driver
        raise KeyError(name)

    def evaluate(self, values: Mapping[str, np.ndarray | float]) -> np.ndarray:
        """The formula over driver values (arrays of draws or numbers), element by element.

        Every driver must be given; arrays broadcast against each other. Returns
        a float array (the annual benefit in the params' currency per draw).
        """
        missing = [name for name in self.driver_names if name not in values]
        if missing:
            raise InputError(Problem(self.path, f"no values for driver(s) {', '.join(missing)}"))
        arrays = np.broadcast_arrays(
            *(np.asarray(values[name], dtype=float) for name in self.driver_names)
        )
        return self.program.run(list(arrays))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "drivers": [d.as_dict() for d in self.drivers],
            "formula": self.formula,
            "file": self.path,
        }


# --- formulas ----------------------------------------------------------------


def compile_formula(formula: str, drivers: tuple[str, ...] | list[str], *, label: str) -> Program:
    """Check ``formula`` against the whitelist and return it as a numexpr Program.

    Driver ``drivers[i]`` becomes variable ``d{i}``. Raises InputError naming
    ``label`` (the template file) when the formula is not arithmetic over the
    drivers, uses a name that is not a driver, or leaves a driver unused.
    """
    problems = _formula_problems(formula, list(drivers), label)
    if problems:
        raise InputError(problems)
    tree = ast.parse(formula.strip(), mode="eval")
    index = {name: i for i, name in enumerate(drivers)}
    steps: list[tuple[str, str, tuple[str, ...]]] = []
    result = _program(tree.body, index, steps)
    return Program(steps=tuple(steps), result=result)


def _formula_problems(formula: Any, drivers: list[str], label: str) -> list[Problem]:
    def problem(message: str) -> Problem:
        return Problem(label, message, column="formula", value=formula, column_word="key")

    if not isinstance(formula, str) or not formula.strip():
        return [problem("is empty: write the annual benefit as arithmetic over the drivers")]
    if len(formula) > MAX_FORMULA_LENGTH:
        return [problem(f"is longer than {MAX_FORMULA_LENGTH} characters: simplify it")]
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        reason = getattr(exc, "msg", None) or type(exc).__name__
        return [problem(f"is not a valid expression ({reason}): allowed are {_ALLOWED}")]
    problems: list[Problem] = []
    used: set[str] = set()
    known = set(drivers)
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FUNCTIONS and id(node) not in called:
            problems.append(problem(f"uses {node.id} without calling it: write {node.id}(a, b)"))
            continue
        message = _node_problem(node, known, used)
        if message:
            problems.append(problem(message))
    if problems:
        return problems
    for name in drivers:
        if name not in used:
            problems.append(
                problem(
                    f"does not use driver {name!r}: use it in the formula, "
                    "or remove it from drivers"
                )
            )
    return problems


def _node_problem(node: ast.AST, known: set[str], used: set[str]) -> str | None:
    """Why ``node`` is not allowed in a formula, or None when it is."""
    if isinstance(node, (ast.Expression, ast.expr_context, ast.operator, ast.unaryop)):
        return None  # an operator is judged with the expression it belongs to
    if isinstance(node, (ast.cmpop, ast.boolop)):
        return None
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _OPERATORS:
            return f"uses an operator that is not allowed: allowed are {_ALLOWED}"
        if isinstance(node.op, ast.Pow):
            exponent = _constant_value(node.right)
            if exponent is None:
                return (
                    "raises to a power that is not a number: an exponent must be a "
                    f"constant between -{MAX_EXPONENT} and {MAX_EXPONENT}"
                )
            if any(
                isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Pow)
                for inner in ast.walk(node.left)
            ):
                return "raises a power to a power: write it as one power of at most 10"
            if abs(exponent) > MAX_EXPONENT:
                return (
                    f"raises to the power {exponent:g}: an exponent must be between "
                    f"-{MAX_EXPONENT} and {MAX_EXPONENT}"
                )
        return None
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.UAdd, ast.USub)):
            return f"uses an operator that is not allowed: allowed are {_ALLOWED}"
        return None
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"contains {value!r}, which is not a number: allowed are {_ALLOWED}"
        if not math.isfinite(float(value)):
            return f"contains {value!r}, which is not a finite number"
        return None
    if isinstance(node, ast.Name):
        if node.id in known:
            used.add(node.id)
            return None
        if node.id in FUNCTIONS:
            return None  # reported by the Call check when it is not called
        return (
            f"uses {node.id!r}, which is not a driver{_suggest(node.id, known)}: "
            f"declare it under drivers or fix the name (drivers: {', '.join(sorted(known))})"
        )
    if isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
            what = ast.unparse(func) if isinstance(func, ast.AST) else "?"
            return f"calls {what}(...): the only functions allowed are min(...) and max(...)"
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            return f"{func.id}(...) takes plain arguments only, e.g. {func.id}(a, b)"
        if len(node.args) < 2:
            return f"{func.id}(...) needs at least two arguments, e.g. {func.id}(a, b)"
        return None
    if isinstance(node, ast.Attribute):
        return f"uses attribute access ({ast.unparse(node)}): allowed are {_ALLOWED}"
    return f"contains {ast.unparse(node)!r}, which is not allowed: allowed are {_ALLOWED}"


def _constant_value(node: ast.AST) -> float | None:
    """The value of a numeric constant, possibly signed; None for anything else."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    value = node.value if isinstance(node, ast.Constant) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return sign * float(value)
    return None


@dataclass(frozen=True)
class Program:
    """A checked formula ready for numexpr: steps, then the result expression.

    Variables ``d0``, ``d1``, … are the drivers in declaration order. Each step
    ``(target, function, arguments)`` evaluates its argument expressions with
    numexpr and stores their element-wise ``min`` or ``max`` as ``target``
    (``t0``, ``t1``, …), so an argument is computed once however deeply
    ``min``/``max`` nest. ``result`` is a numexpr expression over both.
    """

    steps: tuple[tuple[str, str, tuple[str, ...]], ...]
    result: str

    def run(self, arrays: list[np.ndarray]) -> np.ndarray:
        import numexpr  # imported here: keeps `playbook --help` light

        local = {f"d{i}": np.array(a, dtype=float, order="C") for i, a in enumerate(arrays)}
        reduce = {"min": np.minimum.reduce, "max": np.maximum.reduce}
        with np.errstate(all="ignore"):
            for target, function, arguments in self.steps:
                values = [_numexpr_evaluate(numexpr, text, local) for text in arguments]
                local[target] = np.array(reduce[function](np.broadcast_arrays(*values)), order="C")
            return np.asarray(_numexpr_evaluate(numexpr, self.result, local), dtype=float)


def _numexpr_evaluate(numexpr: Any, text: str, local: dict[str, np.ndarray]) -> np.ndarray:
    # only the variables the text names: numexpr refuses unused arrays of other shapes
    names = set(re.findall(r"\b[dt]\d+\b", text))
    return numexpr.evaluate(
        text, local_dict={k: v for k, v in local.items() if k in names}, global_dict={}
    )


def _program(node: ast.AST, index: Mapping[str, int], steps: list) -> str:
    """A checked formula node as numexpr text; min/max calls become steps."""
    if isinstance(node, ast.Constant):
        return repr(float(node.value))
    if isinstance(node, ast.Name):
        return f"d{index[node.id]}"
    if isinstance(node, ast.UnaryOp):
        sign = "-" if isinstance(node.op, ast.USub) else "+"
        return f"({sign}{_program(node.operand, index, steps)})"
    if isinstance(node, ast.BinOp):
        op = _OPERATORS[type(node.op)]
        return f"({_program(node.left, index, steps)} {op} {_program(node.right, index, steps)})"
    if isinstance(node, ast.Call):
        arguments = tuple(_program(arg, index, steps) for arg in node.args)
        target = f"t{len(steps)}"
        steps.append((target, node.func.id, arguments))  # type: ignore[attr-defined]
        return target
    raise AssertionError(f"unchecked node {ast.dump(node)}")  # _node_problem refuses all others


def _suggest(name: str, valid: set[str] | list[str]) -> str:
    close = difflib.get_close_matches(name, sorted(valid), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --- loading -----------------------------------------------------------------


def templates_folder(root: Path | str = ".") -> Path:
    """Where the templates of a project live: ``<root>/playbook/templates``."""
    return Path(root) / TEMPLATES_FOLDER


def load_template(path: Path | str) -> Template:
    """Read and check one template file; raise InputError listing every problem in it."""
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise InputError(Problem(label, "no such template file"))
    # strict: a formula given twice, or an alias bomb, is refused (helpers.core.safe_yaml)
    document = read_yaml(path, label, what="a template", max_bytes=MAX_TEMPLATE_BYTES)
    return validate_template(document, label=label, stem=path.stem)


def validate_template(document: Any, *, label: str, stem: str | None = None) -> Template:
    """Check a template document (the parsed YAML) and return it as a Template."""

    def problem(message: str, key: str | None = None, value: Any = None) -> Problem:
        return Problem(label, message, column=key, value=value, column_word="key")

    if not isinstance(document, dict):
        raise InputError(
            problem(
                f"must be a mapping of {', '.join(TEMPLATE_KEYS)}, got {type(document).__name__}"
            )
        )
    problems: list[Problem] = []
    for key in document:
        if key not in TEMPLATE_KEYS:
            problems.append(
                problem(
                    f"unknown key {key!r}{_suggest(str(key), TEMPLATE_KEYS)}; "
                    f"valid keys: {', '.join(TEMPLATE_KEYS)}",
                    str(key),
                )
            )
    for key in TEMPLATE_KEYS:
        if key not in document or document[key] in (None, ""):
            problems.append(problem(f"is missing: add {key}:", key))
    for key in ("name", "title", "description", "formula"):
        if key in document and document[key] is not None and not isinstance(document[key], str):
            problems.append(problem(f"must be text, got {document[key]!r}", key, document[key]))
    name = document.get("name")
    if isinstance(name, str) and name:
        if not _IDENTIFIER.match(name):
            problems.append(
                problem(
                    "must be lower-case letters, digits and _ (e.g. email_program)", "name", name
                )
            )
        elif stem is not None and name != stem:
            problems.append(
                problem(
                    f"is {name!r} but the file is {stem}.yaml: make them the same",
                    "name",
                    name,
                )
            )
    drivers = _drivers(document.get("drivers"), label, problems)
    if not problems:
        problems.extend(_formula_problems(document["formula"], [d.name for d in drivers], label))
    if problems:
        raise InputError(problems)
    names = tuple(d.name for d in drivers)
    return Template(
        name=name,
        title=document["title"].strip(),
        description=" ".join(document["description"].split()),
        drivers=drivers,
        formula=" ".join(document["formula"].split()),
        path=label,
        program=compile_formula(document["formula"], names, label=label),
    )


def _drivers(raw: Any, label: str, problems: list[Problem]) -> tuple[Driver, ...]:
    def problem(message: str, key: str, value: Any = None) -> None:
        problems.append(Problem(label, message, column=key, value=value, column_word="key"))

    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        problem("must be a list of drivers, each with name, unit, description, evidence", "drivers")
        return ()
    drivers: list[Driver] = []
    seen: set[str] = set()
    for number, item in enumerate(raw, start=1):
        where = f"drivers[{number}]"
        if not isinstance(item, dict):
            problem(f"must be a mapping with {', '.join(REQUIRED_DRIVER_KEYS)}", where, item)
            continue
        for key in item:
            if key not in DRIVER_KEYS:
                problem(
                    f"unknown key {key!r}{_suggest(str(key), DRIVER_KEYS)}; "
                    f"valid keys: {', '.join(DRIVER_KEYS)}",
                    f"{where}.{key}",
                )
        ok = True
        for key in REQUIRED_DRIVER_KEYS:
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                problem(f"is missing or empty: every driver states its {key}", f"{where}.{key}")
                ok = False
        volume = item.get("volume", False)
        if not isinstance(volume, bool):
            problem(f"must be true or false, got {volume!r}", f"{where}.volume", volume)
            ok = False
        kpi = item.get("kpi", False)
        if not isinstance(kpi, bool):
            problem(f"must be true or false, got {kpi!r}", f"{where}.kpi", kpi)
            ok = False
        elif kpi and any(d.kpi for d in drivers):
            first = next(d.name for d in drivers if d.kpi)
            problem(
                f"a template has one KPI, and {first!r} is already marked kpi: true; "
                "remove kpi from one of them",
                f"{where}.kpi",
                kpi,
            )
            ok = False
        name = item.get("name")
        if isinstance(name, str) and name.strip():
            name = name.strip()
            if not _IDENTIFIER.match(name) or keyword.iskeyword(name) or name in FUNCTIONS:
                problem(
                    f"driver name {name!r} must be lower-case letters, digits and _, "
                    "starting with a letter, and not min or max",
                    f"{where}.name",
                    name,
                )
                ok = False
            elif name in seen:
                problem(f"driver {name!r} is declared twice: keep one", f"{where}.name", name)
                ok = False
            seen.add(name)
        if ok:
            drivers.append(
                Driver(
                    name=name,
                    unit=item["unit"].strip(),
                    description=" ".join(item["description"].split()),
                    evidence=" ".join(item["evidence"].split()),
                    volume=volume,
                    kpi=kpi,
                )
            )
    return tuple(drivers)


def load_templates(root: Path | str = ".", folder: Path | str | None = None) -> dict[str, Template]:
    """Every template of a project, by name, in name order.

    Reads ``folder`` (default ``<root>/playbook/templates``) and raises one
    InputError listing the problems of every bad file.
    """
    folder = Path(folder) if folder is not None else templates_folder(root)
    if not folder.is_dir():
        raise InputError(
            Problem(str(folder), "no templates folder: create it with one NAME.yaml per template")
        )
    templates: dict[str, Template] = {}
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            template = load_template(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        templates[template.name] = template
    if problems:
        raise InputError(problems)
    return templates
