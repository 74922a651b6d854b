"""Outcomes: what happened to initiatives funded in earlier quarters, recorded once.

An outcomes register (params ``outcomes:``; CSV, Excel or SQL table like the
others) has one row per initiative: ``id`` (an initiative of an earlier
quarter), ``status`` (delivered | stopped | cancelled), ``completed``
(YYYY-MM-DD), the actual one-off ``cost`` (currency), ``duration`` (weeks),
``effort`` (IT person-weeks), the realised annual ``benefit`` (currency a
year) with ``measured_on``, a ``lessons`` text, optionally the realised
drivers of a templated case (``driver`` and ``value``, ``;``-separated lists
in the same order, each value in its driver's unit) or the realised KPI of an
untemplated one (``kpi_value``, in the unit of the row's ``kpi``) and ``funded_in``
(the quarter that funded it, e.g. 2026Q3; found from the published roadmaps
when blank).

Every cell is held to the initiatives' standard (``helpers.load.cells``): numbers
as ``cells.parse_number`` reads them (``0,00022`` is refused, not read as 22),
finite and at most their bound, dates from 1990 to 2100, unknown columns and
duplicate ids refused. Given the initiatives' templates (``load_quarter`` does),
a realised driver must be a driver of the initiative's template; a fraction
driver (its unit says ``fraction``) may be written ``22%`` (read 0.22, with a
warning) and must lie from 0 to 1; every driver is 0 or more.

Nobody types an estimate twice and nobody can rewrite one later: each outcome
is joined to the estimate in the **ledger entry** of the quarter that funded it,
``params/approved/<Q>/`` (the params and registers it was approved on, kept in
git: ``helpers.load.ledger``), never to the register as it is today, and never to
anything under ``reports/``. The estimate
of a metric is the row's ``<metric>_likely``, else the geometric midpoint
√(low·high) (the centre ``calibration.calibrate_range`` uses), and its stated
range is (``<metric>_low``, ``<metric>_high``).

:func:`outcome_actuals` turns the delivered outcomes into rows shaped like the
actuals register (``<metric>_estimate``, ``_actual``, ``_low``, ``_high``), so
calibration reads actuals plus outcomes with one method. Stopped and cancelled
initiatives are reviewed but not calibrated on: their partial cost is no
completed estimate. An outcome whose funding quarter was never approved (no
ledger entry) is listed as ``pending`` with the reason, never joined to the
current register.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.errors import Problem, row_word, shown
from helpers.core.paths import project_relative
from helpers.load import ledger
from helpers.load.benefit_templates import Template
from helpers.load.cells import (
    MAX_MAGNITUDE,
    Collector,
    NumberFormatError,
    cell_text,
    check_columns,
    check_ids,
    check_magnitudes,
    fill_missing,
    is_fraction_unit,
    parse_number,
    suggest,
)
from helpers.load.params import QUARTER_PATTERN, RegisterSource
from helpers.load.sources import read_register

STATUSES = ("delivered", "stopped", "cancelled")
METRICS = ("cost", "duration", "effort", "benefit")  # currency, weeks, person-weeks, a year
REQUIRED_COLUMNS = ("id", "status")
OPTIONAL_COLUMNS = (
    "funded_in",
    "completed",
    *METRICS,
    "measured_on",
    "lessons",
    "name",
    "driver",  # realised drivers of a templated case, ;-separated (list_size; conversion_uplift)
    "value",  # their realised values, in the same order and the drivers' units
    "kpi_value",  # the realised KPI of an initiative without a template, in the KPI's unit
)
BOUNDS = {
    "cost": (1e12, "currency"),
    "benefit": (1e12, "currency a year"),
    "duration": (520.0, "weeks"),
    "effort": (10_000.0, "person-weeks"),
    "kpi_value": (MAX_MAGNITUDE, "in the KPI's unit"),
}
SOURCE = "outcome"  # the ``source`` of an actuals-shaped row made from an outcome


# --- the register ---------------------------------------------------------------


def validate_outcomes(
    frame: pd.DataFrame, templates_of: Mapping[str, Template | None] | None = None
) -> pd.DataFrame:
    """Check an outcomes register and return it in canonical form.

    Columns: id, row (spreadsheet row), funded_in (a quarter or ""), status,
    completed and measured_on (datetime, NaT when blank), cost, duration,
    effort, benefit, kpi_value (floats, NaN when blank), drivers ({name:
    realised value}), lessons, name. ``templates_of``: each initiative's
    template by id (None: it names none); an id it lacks, or no mapping at all,
    leaves the drivers' names unchecked (and a percent refused). Raises
    InputError listing every problem with its row, id and column, in row order;
    warnings are in ``attrs["warnings"]``.
    """
    bad = Collector(frame)
    check_columns(frame, REQUIRED_COLUMNS, OPTIONAL_COLUMNS, bad)
    frame = fill_missing(frame, REQUIRED_COLUMNS, bad)
    n = len(frame)
    ids = [cell_text(v) for v in frame["id"].tolist()]
    check_ids(ids, bad, names_files=True)
    out = pd.DataFrame(
        {"id": ids, "row": np.array([bad.row_number(i) for i in range(n)], dtype=int)}
    )
    for column in ("lessons", "name", "funded_in"):
        out[column] = [cell_text(v) for v in frame[column]] if column in frame else [""] * n
    for i, quarter in enumerate(out["funded_in"]):
        if quarter and not QUARTER_PATTERN.match(quarter):
            bad.add(
                f"funded_in {quarter!r} is not a quarter: write it like 2026Q3, "
                "or leave it blank to find it from the published roadmaps",
                index=i,
                id=ids[i],
                column="funded_in",
                value=quarter,
            )
    statuses = bad.statuses(frame, ids, STATUSES)
    out["status"] = statuses
    for column in ("completed", "measured_on"):
        out[column] = bad.dates(frame, column, ids)
    for metric in METRICS:
        out[metric] = bad.number(frame, metric, ids)
        for i in np.flatnonzero(out[metric].to_numpy() < 0):
            bad.add(
                f"{metric} is {out.at[i, metric]:g}: an actual cannot be negative; write 0 or more",
                index=int(i),
                id=ids[i],
                column=metric,
                value=out.at[i, metric],
            )
    out["kpi_value"] = bad.number(frame, "kpi_value", ids)
    check_magnitudes(out, BOUNDS, bad)
    out["drivers"] = _realised_drivers(frame, ids, bad, templates_of)
    for i, status in enumerate(statuses):
        if status == "delivered" and pd.isna(out.at[i, "completed"]):
            bad.add(
                "a delivered initiative needs its completed date (YYYY-MM-DD)",
                index=i,
                id=ids[i],
                column="completed",
            )
        if not pd.isna(out.at[i, "benefit"]) and pd.isna(out.at[i, "measured_on"]):
            bad.add(
                "a realised benefit needs measured_on (the date it was measured, YYYY-MM-DD)",
                index=i,
                id=ids[i],
                column="measured_on",
            )
    bad.raise_if_any()
    out.attrs["warnings"] = bad.warnings
    return out


def _realised_drivers(
    frame: pd.DataFrame,
    ids: list[str],
    bad: Collector,
    templates_of: Mapping[str, Template | None] | None,
) -> list[dict]:
    """Each row's realised drivers, {name: value}, from its ``;``-separated driver and value."""
    found: list[dict[str, float]] = []
    names_of = frame["driver"].tolist() if "driver" in frame else [""] * len(frame)
    values_of = frame["value"].tolist() if "value" in frame else [""] * len(frame)
    for i, (names, values) in enumerate(zip(names_of, values_of, strict=True)):
        names = [n.strip().lower() for n in cell_text(names).split(";") if n.strip()]
        parts = [v.strip() for v in cell_text(values).split(";") if v.strip()]
        row: dict[str, float] = {}
        found.append(row)
        if len(names) != len(parts):
            bad.add(
                f"{len(names)} driver(s) but {len(parts)} value(s): give one value per driver, "
                "in the same order, both ;-separated (driver: list_size; conversion_uplift, "
                "value: 205000; 0.0002)",
                index=i,
                id=ids[i],
                column="value" if names else "driver",
                value=values if names else None,
            )
            continue
        units = _driver_units(i, ids[i], names, templates_of, bad)
        for name, text in zip(names, parts, strict=True):
            number = _driver_value(i, ids[i], name, text, units.get(name), bad)
            if name in row:
                bad.add(
                    f"driver {name} is given twice: keep one",
                    index=i,
                    id=ids[i],
                    column="driver",
                    value=name,
                )
            if number is not None:
                row[name] = number
    return found


def _driver_units(
    i: int,
    initiative_id: str,
    names: list[str],
    templates_of: Mapping[str, Template | None] | None,
    bad: Collector,
) -> dict[str, str]:
    """The unit of each named driver of the initiative's template; a problem for a name
    that is not one of its drivers, or for drivers on an initiative without a template.
    Empty when the template is not known here (no mapping, or an id it lacks)."""
    if not names or templates_of is None or initiative_id not in templates_of:
        return {}
    template = templates_of[initiative_id]
    where = {"index": i, "id": initiative_id, "column": "driver"}
    if template is None:
        bad.add(
            f"initiative {initiative_id} names no template in the initiatives register, so it "
            "has no drivers to record: record its KPI in kpi_value (or its benefit), or name "
            "its template there",
            value="; ".join(names),
            **where,
        )
        return {}
    drivers = template.driver_names
    for name in names:
        if name not in drivers:
            bad.add(
                f"driver {name!r} is not a driver of template {template.name}"
                f"{suggest(name, drivers)}; its drivers: {', '.join(drivers)}",
                value=name,
                **where,
            )
    return {name: template.driver(name).unit for name in names if name in drivers}


def _driver_value(
    i: int, initiative_id: str, name: str, text: str, unit: str | None, bad: Collector
) -> float | None:
    """One realised driver value, checked as a benefits-register cell; None when refused."""
    fraction = unit is not None and is_fraction_unit(unit)
    where = {"index": i, "id": initiative_id, "column": "value", "value": text}
    in_unit = f" ({unit})" if unit else ""
    try:
        number = parse_number(text, percent=fraction)
    except NumberFormatError as exc:
        bad.add(f"the value of driver {name}: {exc}", **where)
        return None
    if text.endswith("%"):
        bad.warn(
            f"the value of driver {name}, {shown(text)}, was read as the fraction {number:g}: "
            f"write {number:g} so nobody has to guess",
            **where,
        )
    if number < 0:
        problem = f"is {number:g}: a driver is 0 or more{in_unit}"
    elif fraction and number > 1:
        hint = f" (did you mean {number / 100:g}?)" if number <= 100 else ""
        problem = f"is {number:g}, but its unit is {unit}: write a fraction from 0 to 1{hint}"
    elif number > MAX_MAGNITUDE:
        problem = (
            f"is {number:g}, beyond the plausible {MAX_MAGNITUDE:g}{in_unit}: check the units "
            "and the number of zeros"
        )
    else:
        return number
    bad.add(f"the value of driver {name} {problem}", **where)
    return None


def load_outcomes(
    source: RegisterSource | str | Path,
    root: Path | str = ".",
    templates_of: Mapping[str, Template | None] | None = None,
) -> pd.DataFrame:
    """Read and check an outcomes register (CSV, Excel or SQL table); ``templates_of``
    as ``validate_outcomes``."""
    frame = read_register(source, root)
    out = validate_outcomes(frame, templates_of)
    out.attrs["label"] = frame.attrs.get("label", "outcomes")
    return out


def duplicates_with_actuals(outcomes: pd.DataFrame, actuals: pd.DataFrame) -> list[Problem]:
    """An initiative recorded both in the actuals register and as an outcome: one per id.

    Calibration would count it twice; the outcome carries the estimate from
    the ledger, so the actuals row is the one to delete.
    """
    label = outcomes.attrs.get("label", "outcomes")
    actual_label = actuals.attrs.get("label", "actuals")
    rows = dict(zip(actuals["id"], actuals["row"], strict=False))
    return [
        Problem(
            label,
            f"{initiative_id!r} is also in the actuals register ({actual_label}, "
            f"{row_word(actual_label)} {rows[initiative_id]}): record it once; delete it from "
            "the actuals, since the outcome takes its estimate from the ledger entry of the "
            "quarter that funded it",
            row=int(row),
            id=initiative_id,
            column="id",
        )
        for initiative_id, row in zip(outcomes["id"], outcomes["row"], strict=True)
        if initiative_id in rows
    ]


# --- the ledger -------------------------------------------------------------------


def approved_initiatives(root: str | Path, quarter: str) -> tuple[pd.DataFrame, Path] | None:
    """The initiatives register as ``quarter`` was approved on (its ledger entry), and its
    file; None when the quarter was never approved (``helpers.load.ledger``)."""
    found = ledger.approved_registers(root, quarter)
    return None if found is None else (found["initiatives"], found["path"])


def estimate_of(row: dict[str, Any], metric: str) -> tuple[float, float, float]:
    """(estimate, low, high) of ``metric`` on an initiative row; NaN where not stated.

    The estimate is ``<metric>_likely``, else √(low·high) (NaN unless both positive).
    """
    low = float(row.get(f"{metric}_low", math.nan))
    high = float(row.get(f"{metric}_high", math.nan))
    likely = float(row.get(f"{metric}_likely", math.nan))
    if math.isnan(likely):
        likely = math.sqrt(low * high) if low > 0 and high > 0 else math.nan
    return likely, low, high


def join_outcomes(
    outcomes: pd.DataFrame,
    quarter: str,
    root: str | Path,
    *,
    by: str = "category",
) -> tuple[pd.DataFrame, list[dict[str, Any]], list[Path]]:
    """Each outcome beside the estimate of the quarter that funded it.

    Returns (joined, pending, files read). ``joined`` has one row per outcome
    whose ledger entry holds the id: the outcome's columns plus ``funded_in``,
    ``category`` (the ``by`` column of the funded row), ``name`` and, per
    metric, ``<metric>_estimate``, ``_actual``, ``_low``, ``_high``.
    ``pending`` lists the others as ``{id, row, reason}``.
    """
    rows: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    read: list[Path] = []
    copies: dict[str, tuple[pd.DataFrame, Path] | None] = {}
    for outcome in outcomes.to_dict("records"):
        initiative_id = outcome["id"]
        funded_in = outcome.get("funded_in") or ledger.funding_quarter(initiative_id, quarter, root)
        if not funded_in:
            pending.append(
                {
                    "id": initiative_id,
                    "row": int(outcome["row"]),
                    "reason": f"no approved quarter before {quarter} funded it: approve the "
                    "quarter that funded it (playbook approve), or name it in funded_in",
                }
            )
            continue
        if funded_in not in copies:
            copies[funded_in] = approved_initiatives(root, funded_in)
            if copies[funded_in] is not None:
                read.append(copies[funded_in][1])
        copy = copies[funded_in]
        if copy is None:
            pending.append(
                {
                    "id": initiative_id,
                    "row": int(outcome["row"]),
                    "reason": f"{funded_in} has no ledger entry (it was never approved): "
                    f"`playbook approve {funded_in} --by NAME` records what it decided",
                }
            )
            continue
        frame = copy[0]
        match = frame[frame["id"] == initiative_id]
        if match.empty:
            pending.append(
                {
                    "id": initiative_id,
                    "row": int(outcome["row"]),
                    "reason": f"the {funded_in} ledger entry has no initiative {initiative_id!r}",
                }
            )
            continue
        funded = match.iloc[0].to_dict()
        joined = dict(outcome)
        joined["funded_in"] = funded_in
        joined["name"] = outcome.get("name") or funded.get("name", initiative_id)
        joined[by] = str(funded.get(by, "")) if by != "id" else initiative_id
        joined.setdefault("category", funded.get("category", ""))
        for metric in METRICS:
            estimate, low, high = estimate_of(funded, metric)
            joined[f"{metric}_estimate"] = estimate
            joined[f"{metric}_actual"] = outcome[metric]
            joined[f"{metric}_low"] = low
            joined[f"{metric}_high"] = high
        rows.append(joined)
    return pd.DataFrame(rows), pending, read


def outcome_actuals(joined: pd.DataFrame, by: str = "category") -> pd.DataFrame:
    """Delivered outcomes as actuals-register rows (``source`` = "outcome <quarter>").

    Only metrics with an actual recorded are filled; the others stay NaN and
    calibration counts them as missing, as it does for the actuals register.
    """
    columns = ["id", "name", by, "completed", "source"] + [
        f"{m}_{part}" for m in METRICS for part in ("estimate", "actual", "low", "high")
    ]
    if joined.empty:
        return pd.DataFrame(columns=list(dict.fromkeys(columns)))
    delivered = joined[joined["status"] == "delivered"].copy()
    delivered["source"] = [f"{SOURCE} {q}" for q in delivered["funded_in"]]
    for metric in METRICS:
        missing = delivered[f"{metric}_actual"].isna()
        delivered.loc[missing, f"{metric}_estimate"] = np.nan
    return delivered[list(dict.fromkeys(columns))].reset_index(drop=True)


def with_outcomes(
    actuals: pd.DataFrame, outcomes: pd.DataFrame | None, quarter: str, root: str | Path, by: str
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The actuals register plus the delivered outcomes, and a note of what was added.

    The note: ``{"added": [ids], "pending": [{id, row, reason}], "files": [files read]}``:
    the ledger registers the estimates came from, relative to ``root``.
    Outcome metrics the actuals register lacks are added as columns.
    """
    note: dict[str, Any] = {"added": [], "pending": [], "files": []}
    if outcomes is None or outcomes.empty:
        return actuals, note
    root = Path(root)
    joined, pending, read = join_outcomes(outcomes, quarter, root, by=by)
    rows = outcome_actuals(joined, by=by)
    # a metric the actuals register lacks is added only when some outcome records it
    keep = [
        c
        for c in rows.columns
        if c in actuals.columns or (c.split("_")[0] in METRICS and rows[c].notna().any())
    ]
    combined = pd.concat(
        [actuals.assign(source=actuals.get("source", "actuals")), rows[keep]], ignore_index=True
    )
    combined.attrs = dict(actuals.attrs)
    note["added"] = list(rows["id"])
    note["pending"] = pending
    # named within the project: the quarter model says the same wherever the project lives
    note["files"] = [project_relative(path, root) for path in read]
    return combined, note
