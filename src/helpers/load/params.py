"""Quarter params: ``params/<Q>.yaml`` (over ``params/defaults.yaml``), typed and checked.

Unknown keys are an error with the nearest valid name suggested. Every
problem is reported at once, naming the file and the key.

The YAML is read strictly (``helpers.core.safe_yaml``): no anchors or
aliases, no key given twice, at most ``MAX_PARAMS_BYTES``. Then:

- numbers must be finite (``.nan`` and ``.inf`` are refused everywhere), and a
  yes/no (``true``, ``false``, ``yes``, ``no``, ``on``, ``off``) is never read as
  a number: ``budget: true`` is refused, not taken as a budget of 1;
- dates (``approved_on``, each change's ``date``) are calendar dates
  ``YYYY-MM-DD`` from 1990 to 2100, as in the registers;
- a bad value is echoed back at most ``SHOWN_LIMIT`` (200) characters long.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from helpers.core.errors import InputError, Problem, shown
from helpers.core.safe_yaml import read_yaml
from helpers.load.cells import FIRST_DATE, LAST_DATE

QUARTER_PATTERN = re.compile(r"^(\d{4})Q([1-4])$")
MAX_PARAMS_BYTES = 1_000_000  # a params file is a few kilobytes
MAX_MONEY = 1e12  # currency; a budget or register amount above a trillion is a typo
MAX_CAPACITY = 1e6  # person-weeks in a quarter
SEED_LIMIT = 2**32  # numpy seeds are 0 .. 2**32 - 1
SCORING_METHODS = ("expected_npv", "weighted", "rice", "wsjf", "profitability_index")
MONEY_METHODS = ("expected_npv",)  # the scoring methods whose value is money
WEIGHT_CRITERIA = (
    "expected_npv",
    "prob_loss",
    "profitability_index",
    "rice",
    "wsjf",
    "strategic_fit",
)


DEFAULT_WEIGHTS = {"expected_npv": 0.4, "prob_loss": 0.2, "wsjf": 0.2, "strategic_fit": 0.2}


# what a number key looks like, for the fix a message suggests (else its default)
NUMBER_EXAMPLES = {"budget": 700000, "capacity": 120}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _yes_no_is_not_a_number(cls, value: Any, info: Any) -> Any:
        """YAML reads true/false/yes/no/on/off as a yes-or-no, which pydantic would take as
        1 or 0: a budget of 1, a seed of 1. A number key refuses them."""
        name = info.field_name
        annotation = cls.model_fields[name].annotation
        if not _is_number(annotation):
            return value
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, bool):
                    raise ValueError(_yes_no_message(f"{key} ", item, f"{key}: 0.2"))
            return value
        if isinstance(value, bool):
            default = cls.model_fields[name].default
            example = NUMBER_EXAMPLES.get(name, default if _is_plain_number(default) else 0.5)
            raise ValueError(_yes_no_message("", value, f"{name}: {example}"))
        return value


def _is_plain_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _yes_no_message(subject: str, value: bool, example: str) -> str:
    return (
        f"{subject}must be a number, got {str(value).lower()}: YAML reads true, false, yes, "
        f"no, on and off as a yes-or-no, never a number; write the number, e.g. {example}"
    )


def _is_number(annotation: Any) -> bool:
    """Whether a field holds numbers: int or float, optional, or a dict of them."""
    if annotation in (int, float):
        return True
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is dict:
        return _is_number(args[1])
    return bool(args) and any(a in (int, float) for a in args)


def check_date(value: Any) -> str:
    """``value`` as a YYYY-MM-DD calendar date from 1990 to 2100 (as in the registers);
    raise ValueError saying what was expected."""
    text = str(value).strip()
    found = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if not isinstance(value, str) or not found:
        raise ValueError(f'must be a date YYYY-MM-DD, got {shown(value)}: write e.g. "2026-07-01"')
    try:
        day = dt.date(*(int(g) for g in found.groups()))
    except ValueError:
        raise ValueError(
            f"{shown(value)} is not a calendar date: check the month and day (YYYY-MM-DD)"
        ) from None
    if not FIRST_DATE <= day <= LAST_DATE:
        raise ValueError(
            f"{shown(value)} is outside {FIRST_DATE.year}–{LAST_DATE.year}: check the year"
        )
    return text


class RegisterSource(_Strict):
    """Where a register lives: a CSV or Excel file, or a table in a database.

    ``path`` is relative to the project root. For Excel, ``sheet`` picks the
    sheet (default: the first). For a database, ``table`` names the table and
    either ``path`` is a SQLite file or ``url`` is an SQLAlchemy URL.
    """

    path: str | None = None
    url: str | None = None
    table: str | None = None
    sheet: str | None = None

    @property
    def label(self) -> str:
        """How messages name this register (the file, with the table or sheet)."""
        base = self.path or self.url or "?"
        if self.table:
            return f"{base} (table {self.table})"
        if self.sheet:
            return f"{base} (sheet {self.sheet})"
        return base


class Scoring(_Strict):
    """How initiatives are scored and which score drives selection."""

    method: Literal[SCORING_METHODS] = "expected_npv"  # type: ignore[valid-type]
    weights: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    top_k: int = Field(5, ge=1)

    @field_validator("weights")
    @classmethod
    def _known_criteria(cls, weights: dict[str, float]) -> dict[str, float]:
        for name, weight in weights.items():
            if name not in WEIGHT_CRITERIA:
                raise ValueError(
                    f"unknown criterion {shown(name)}{_suggest(name, WEIGHT_CRITERIA)}; "
                    f"valid: {', '.join(WEIGHT_CRITERIA)}"
                )
            if weight < 0:
                raise ValueError(f"weight of {name} must be 0 or more, got {weight}")
        if weights and sum(weights.values()) <= 0:
            raise ValueError("at least one weight must be above 0")
        return weights


class CalibrationSettings(_Strict):
    """How past actuals adjust new estimates."""

    enabled: bool = True
    by: str = "category"  # the column that names each project's reference class
    n0: float = Field(10.0, gt=0)  # credibility: a class of n gets weight n / (n + n0)
    min_class_size: int = Field(3, ge=1)  # smaller classes use the pooled record alone

    @field_validator("by")
    @classmethod
    def _header_name(cls, value: str) -> str:
        """As registers name their headers: trimmed, lower case, spaces as _ (``Team`` → team)."""
        return re.sub(r"[\s\-]+", "_", value.strip()).lower()


class Correlation(_Strict):
    """How risks move together. Each value left out (None) comes from the calibration's
    estimate (shrunk by its credibility), else 0; 0 everywhere gives independent draws."""

    # share of each initiative's cost-overrun variance (in normal scores, Gaussian copula)
    # common to all of the quarter's initiatives: 0 independent, towards 1 all overrun together
    common_overrun_share: float | None = Field(None, ge=0, lt=1)
    # rank (Spearman) correlations between one initiative's metrics, -1 to 1
    benefit_cost: float | None = Field(None, ge=-1, le=1)
    benefit_duration: float | None = Field(None, ge=-1, le=1)
    benefit_effort: float | None = Field(None, ge=-1, le=1)
    cost_duration: float | None = Field(None, ge=-1, le=1)
    cost_effort: float | None = Field(None, ge=-1, le=1)
    duration_effort: float | None = Field(None, ge=-1, le=1)


class Change(_Strict):
    """One entry of an approved quarter's change-control log."""

    date: str  # YYYY-MM-DD
    what: str  # what changed: an initiative added, dropped, re-scoped, budget moved
    why: str
    approved_by: str

    @field_validator("date", mode="before")
    @classmethod
    def _calendar_date(cls, value: Any) -> str:
        return check_date(value)


class Params(_Strict):
    """One quarter's params. Money in ``currency``, durations in weeks, rates as fractions."""

    quarter: str
    title: str
    currency: str = "USD"
    initiatives: RegisterSource
    actuals: RegisterSource
    benefits: RegisterSource | None = None  # drivers of templated initiatives (optional)
    outcomes: RegisterSource | None = None  # what happened to earlier quarters' initiatives
    budget: float = Field(
        gt=0, le=MAX_MONEY
    )  # delivery budget for the quarter's new work, in currency
    capacity: float = Field(gt=0, le=MAX_CAPACITY)  # IT person-weeks available
    discount_rate: float = 0.10  # annual, a fraction
    horizon_years: float = Field(3.0, gt=0, le=30)
    simulations: int = Field(5000, ge=100, le=1_000_000)
    seed: int = 2026  # random seed, a whole number from 0 to 2**32 - 1
    estimate_confidence: float = 0.90  # the level at which ranges are stated
    budget_confidence: float = 0.80  # the chance the whole plan's cost stays within budget
    # whole_plan: the chosen plan's total cost (joint simulation) stays within budget with at
    # least budget_confidence; per_initiative: the older rule, the sum of each initiative's
    # cost at that quantile within budget (stricter: hidden contingency)
    budget_rule: Literal["whole_plan", "per_initiative"] = "whole_plan"
    # a lean/POC variant run first: months from its delivery until its measurement is in
    # and the full initiative is decided (3: one quarter, decided at the next planning round)
    lean_measurement_months: float = Field(3.0, ge=0, le=36)
    # its measurement error with all of the data, in standard deviations of what we believe
    # now about what it measures; with a share f of the data the error is this ÷ √f (the
    # lean row's benefit_share; 0.5 on half the data gives 0.71). 0: measured perfectly
    lean_measurement_error: float = Field(0.5, ge=0, le=10)
    # all: the budget covers committed work (approved, in progress) too, charged what
    # remains of it; new: the budget is for new work only, and committed work's remaining
    # cost is shown beside it but not charged against it
    budget_covers: Literal["all", "new"] = "all"
    correlation: Correlation = Field(default_factory=Correlation)
    scoring: Scoring = Field(default_factory=Scoring)
    calibration: CalibrationSettings = Field(default_factory=CalibrationSettings)
    executor: Literal["local", "dask"] = "local"  # where `playbook run` executes notebooks
    scheduler: str | None = None  # a Dask scheduler address (tcp://host:8786); None: LocalCluster
    status: Literal["draft", "approved"] = "draft"  # an approved quarter is the plan
    approved_on: str | None = None  # YYYY-MM-DD, written by `playbook approve`
    approved_by: str | None = None  # who approved it
    fingerprint: dict[str, str] | None = None  # sha256 per part of what was approved
    changes: list[Change] = Field(default_factory=list)  # change-control log since approval

    @field_validator("quarter")
    @classmethod
    def _quarter_format(cls, value: str) -> str:
        if not QUARTER_PATTERN.match(str(value)):
            raise ValueError(f"must look like 2026Q4 (year, Q, 1-4), got {shown(value)}")
        return value

    @field_validator("approved_on", mode="before")
    @classmethod
    def _approval_date(cls, value: Any) -> Any:
        return None if value is None else check_date(value)

    @field_validator("seed")
    @classmethod
    def _seed_range(cls, value: int) -> int:
        if not 0 <= value < SEED_LIMIT:
            raise ValueError(
                f"must be a whole number from 0 to {SEED_LIMIT - 1}, got {value} "
                "(any such number gives repeatable results; e.g. 2026)"
            )
        return value

    @field_validator("discount_rate")
    @classmethod
    def _rate_fraction(cls, value: float) -> float:
        if not 0 <= value < 1:
            hint = f" (did you mean {value / 100:g}?)" if 1 <= value <= 100 else ""
            raise ValueError(f"must be a fraction between 0 and 1, got {value:g}{hint}")
        return value

    @field_validator("estimate_confidence", "budget_confidence")
    @classmethod
    def _confidence_fraction(cls, value: float) -> float:
        if not 0.5 <= value < 1:
            hint = f" (did you mean {value / 100:g}?)" if 50 <= value < 100 else ""
            raise ValueError(f"must be a fraction from 0.5 to below 1, got {value:g}{hint}")
        return value

    @field_validator("initiatives", "actuals", "benefits", "outcomes", mode="before")
    @classmethod
    def _source_from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"path": value}
        return value


def params_path(quarter: str, root: Path) -> Path:
    """The params file of ``quarter`` under project ``root``."""
    return Path(root) / "params" / f"{quarter}.yaml"


def list_quarters(root: Path) -> list[str]:
    """Quarters that have a params file, oldest first."""
    found = [p.stem for p in (Path(root) / "params").glob("*.yaml")]
    return sorted(q for q in found if QUARTER_PATTERN.match(q))


def load_params(quarter: str, root: Path) -> Params:
    """Read and check the params of ``quarter``; raise InputError listing every problem."""
    root = Path(root)
    path = params_path(quarter, root)
    label = _relative(path, root)
    if not QUARTER_PATTERN.match(quarter):
        raise InputError(Problem("command line", f"quarter must look like 2026Q4, got {quarter!r}"))
    if not path.exists():
        known = list_quarters(root)
        hint = f"; quarters with params: {', '.join(known)}" if known else ""
        raise InputError(
            Problem(
                label,
                f"no such params file: create it with `playbook new-quarter {quarter}`{hint}",
            )
        )
    data: dict[str, Any] = {}
    defaults = root / "params" / "defaults.yaml"
    if defaults.exists():
        data = _merge(data, _read_yaml(defaults, root))
    data = _merge(data, _read_yaml(path, root))
    if str(data.get("quarter", quarter)) != quarter:
        raise InputError(
            Problem(
                label,
                f"quarter says {shown(data['quarter'])} but the file is for {quarter}: "
                "make them agree",
                column="quarter",
                value=data["quarter"],
                column_word="key",
            )
        )
    data.setdefault("quarter", quarter)
    try:
        return Params.model_validate(data)
    except ValidationError as exc:
        raise InputError([_problem_from_pydantic(label, err) for err in exc.errors()]) from None


def _read_yaml(path: Path, root: Path) -> dict[str, Any]:
    label = _relative(path, root)
    data = read_yaml(path, label, what="params", max_bytes=MAX_PARAMS_BYTES)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(Problem(label, "must be a mapping of key: value lines"))
    return data


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _problem_from_pydantic(label: str, err: dict[str, Any]) -> Problem:
    loc = [str(part) for part in err["loc"]]
    key = ".".join(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        valid = _valid_keys(loc[:-1])
        message = (
            f"unknown key {shown(loc[-1])}{_suggest(loc[-1], valid)}; "
            f"valid keys: {', '.join(valid)}"
        )
    elif kind == "missing":
        message = f"required key {key!r} is missing: add it"
    elif kind == "literal_error":
        message = f"{err['msg'].lower()}, got {shown(err.get('input'))}"
    else:
        # pydantic says "Input should be greater than 0": say it as the rule
        message = err["msg"].removeprefix("Value error, ").replace("Input should be", "must be")
        if "input" in err and kind not in ("value_error",):
            message += f", got {shown(err['input'])}"
    return Problem(label, message, column=key, value=err.get("input"), column_word="key")


def _valid_keys(loc: list[str]) -> list[str]:
    model: type[BaseModel] = Params
    for part in loc:
        field = model.model_fields.get(part)
        annotation = getattr(field, "annotation", None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            break
    return list(model.model_fields)


def _suggest(name: str, valid: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return str(path)
