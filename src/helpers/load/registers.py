"""Registers: the initiatives and actuals tables a marketing team keeps.

They are read from CSV, Excel (``.xlsx``) or a SQL table (SQLite by default)
and checked before anything runs. Every problem is reported at once, naming
the file, the row as a spreadsheet user counts it (header = row 1; in a CSV
file the line as an editor shows it, header = line 1), the header as written, the id,
the column, the bad value and what would be valid. Nothing the user wrote is
ever modified: files are only read, databases opened read-only.

Nothing is read by guessing:

- numbers are read by ``cells.parse_number``: a dot is always the decimal point
  (``9.375``, ``1.000``); ``,`` only separates thousands in groups of three
  (``1,250,000.50``); a comma decimal (``1,5``, ``1.234,5``), ``inf`` and ``nan``
  are refused with the cell and the fix; ``30%`` reads 0.30, with a warning,
  only in a fraction column (``benefit_share``, ``confidence``);
- a templated initiative (``template`` or ``benefit_share``) takes its benefit
  from its drivers, so a benefit range on its row is refused, not ignored;
- a column name given twice is refused (pandas would rename one ``x.1``);
- dates are ISO ``YYYY-MM-DD`` (or date cells in Excel) from 1990 to 2100;
  ``03/04/2023``, ``now`` and the like are refused with the expected format;
- magnitudes must be plausible. Initiatives: money (benefit, cost, run cost)
  at most 1e12 currency units, durations at most 520 weeks (ten years),
  effort at most 10,000 person-weeks, ramp-up at most 120 months, reach at
  most 1e10 people, KPI values at most 1e12. Actuals are compared as ratios, in whatever unit a
  dataset uses (hours, days, currency), so any actuals value above 1e12 is
  refused and nothing tighter;
- initiative ids are file names and links, so they follow
  ``helpers.load.artifacts.ID_RULE`` (letters, digits, ``-``, ``_``, ``.``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from helpers.core.errors import shown
from helpers.core.graphs import find_cycles
from helpers.load.cells import (
    MAX_MAGNITUDE,
    Cells,
    Collector,
    already_reported,
    cell_text,
    check_columns,
    check_ids,
    check_magnitudes,
    fill_missing,
    is_blank,
    metric_words,
    parse_bool,
    suggest,
)
from helpers.load.params import MAX_MONEY, RegisterSource
from helpers.load.sources import normalise_column, read_register

STATUSES = ("proposed", "approved", "in_progress", "done", "rejected")
IN_SCOPE = ("proposed", "approved", "in_progress")
RANGES = ("benefit", "cost", "duration", "effort")
REQUIRED_INITIATIVE_COLUMNS = (
    "id",
    "name",
    "category",
    "status",
    "benefit_low",
    "benefit_high",
    "cost_low",
    "cost_high",
    "duration_low",
    "duration_high",
)
OPTIONAL_INITIATIVE_COLUMNS = (
    "owner",
    "beneficiaries",
    "benefit_likely",
    "cost_likely",
    "duration_likely",
    "effort_low",
    "effort_likely",
    "effort_high",
    "run_cost",
    "ramp_months",
    "variant_of",
    "depends_on",
    "informs",
    "must_do",
    "strategic_fit",
    "reach",
    "impact",
    "confidence",
    "template",  # a benefit template's name (playbook/templates); its drivers then give the benefit
    "benefit_share",  # a lean variant's share of its full initiative's volume drivers (0-1)
    "kpi",  # the KPI of an initiative without a template (a template's KPI is its key driver)
    "kpi_baseline",  # the KPI's value today, in the KPI's own unit
    "kpi_target",  # the KPI's value the initiative promises; the review checks it was met
    "cost_to_date",  # work in progress: delivery cost spent so far (currency)
    "started",  # work in progress: the date delivery started (YYYY-MM-DD)
)
MAX_WEEKS = 520.0  # a duration above ten years is a unit mistake
MAX_EFFORT = 10_000.0  # person-weeks for one initiative
MAX_RAMP_MONTHS = 120.0
MAX_REACH = 1e10  # more people than live on Earth
MAX_IMPACT = 1e3
_METRIC_COLUMN = re.compile(r"^(?P<metric>[a-z][a-z0-9_]*?)_(?P<part>estimate|actual|low|high)$")


# --- reading ---------------------------------------------------------------


def validate_initiatives(frame: pd.DataFrame, *, keep: Iterable[str] = ()) -> pd.DataFrame:
    """Check an initiatives register and return it in canonical form.

    Canonical columns: text (id, name, category, owner, beneficiaries, status,
    variant_of or None), floats (ranges, run_cost and ramp_months default 0,
    others NaN when blank), ``depends_on`` a list of ids, ``must_do`` bool,
    ``row`` the spreadsheet row. ``keep``: further columns to keep as trimmed
    text (``calibration.by``, e.g. ``team``; see ``kept_columns``). Raises
    InputError listing every problem.
    """
    bad = Collector(frame)
    extra = kept_columns(frame, keep, REQUIRED_INITIATIVE_COLUMNS + OPTIONAL_INITIATIVE_COLUMNS)
    check_columns(frame, REQUIRED_INITIATIVE_COLUMNS, (*OPTIONAL_INITIATIVE_COLUMNS, *extra), bad)
    frame = fill_missing(frame, REQUIRED_INITIATIVE_COLUMNS, bad)
    if frame.empty:
        bad.add("has no initiatives: add at least one row")
        bad.raise_if_any()
    n = len(frame)
    ids = [cell_text(v) for v in frame["id"].tolist()]
    out = pd.DataFrame(
        {"id": ids, "row": np.array([bad.row_number(i) for i in range(n)], dtype=int)}
    )
    for column in ("name", "category", "owner", "beneficiaries"):
        out[column] = [cell_text(v) for v in frame[column]] if column in frame else [""] * n
    out["category"] = out["category"].str.lower()
    check_ids(ids, bad, names_files=True)
    for i, (name, category) in enumerate(zip(out["name"], out["category"], strict=True)):
        if not name:
            bad.add("name is empty: give the initiative a name", index=i, id=ids[i], column="name")
        if not category:
            bad.add(
                "category is empty: name its reference class (e.g. email, web, crm)",
                index=i,
                id=ids[i],
                column="category",
            )
    out["status"] = bad.statuses(frame, ids, STATUSES)
    for metric in RANGES:
        for part in ("low", "likely", "high"):
            column = f"{metric}_{part}"
            out[column] = bad.number(frame, column, ids)
    out["run_cost"] = np.nan_to_num(bad.number(frame, "run_cost", ids), nan=0.0)
    out["ramp_months"] = np.nan_to_num(bad.number(frame, "ramp_months", ids), nan=0.0)
    out["template"] = [cell_text(v).lower() for v in frame.get("template", [""] * n)]
    out["benefit_share"] = bad.number(frame, "benefit_share", ids, fraction=True)
    out["cost_to_date"] = bad.number(frame, "cost_to_date", ids)  # NaN: not given
    out["started"] = bad.dates(frame, "started", ids)  # NaT: not given
    for column in ("strategic_fit", "reach", "impact", "confidence"):
        out[column] = bad.number(frame, column, ids, fraction=column == "confidence")
    check_magnitudes(out, INITIATIVE_BOUNDS, bad)
    _warn_no_effort(frame, out, bad)
    _check_ranges(out, bad)
    _check_scores(out, bad)
    out["must_do"] = _parse_flags(frame, "must_do", ids, bad)
    # object dtype keeps None as None (a string column would turn it into NaN)
    out["variant_of"] = pd.Series(
        [
            cell_text(v) or None
            for v in (frame["variant_of"] if "variant_of" in frame else [""] * n)
        ],
        dtype=object,
    )
    out["depends_on"] = [
        [part.strip() for part in re.split(r"[;,]", cell_text(v)) if part.strip()]
        for v in (frame["depends_on"] if "depends_on" in frame else [""] * n)
    ]
    templated = [
        bool(t) or not np.isnan(b)
        for t, b in zip(out["template"], out["benefit_share"], strict=True)
    ]
    out["informs"] = _parse_informs(frame, ids, bad, templated=templated)
    _check_links(out, bad)
    _check_benefit_shares(out, bad)
    _check_kpis(frame, out, bad)
    for column in extra:
        out[column] = [cell_text(v) for v in frame[column]]
    bad.raise_if_any()
    out.attrs["warnings"] = bad.warnings
    return out


def _check_kpis(frame: pd.DataFrame, out: pd.DataFrame, bad: Collector) -> None:
    """``kpi`` (text), ``kpi_baseline`` and ``kpi_target`` (numbers in the KPI's unit).

    An initiative without a template that names a KPI states its target; a
    baseline or target needs a KPI to belong to, the template's key driver or
    ``kpi``; a templated initiative's KPI is its template's key driver.
    """
    ids = list(out["id"])
    out["kpi"] = [cell_text(v) for v in frame.get("kpi", [""] * len(out))]
    out["kpi_baseline"] = bad.number(frame, "kpi_baseline", ids)
    out["kpi_target"] = bad.number(frame, "kpi_target", ids)
    check_magnitudes(out, dict.fromkeys(("kpi_baseline", "kpi_target"), _ANY_UNIT), bad)
    cells = Cells(out)
    for i, (kpi, target) in enumerate(zip(out["kpi"], out["kpi_target"], strict=True)):
        where = {"index": i, "id": ids[i]}
        if _templated(cells, i):
            if kpi:
                bad.add(
                    "kpi is for an initiative without a template: a templated initiative's KPI "
                    "is its template's key driver (kpi: true); leave kpi blank",
                    column="kpi",
                    value=kpi,
                    **where,
                )
        elif kpi and np.isnan(target) and not already_reported(bad, i, "kpi_target"):
            bad.add(
                f"KPI {kpi!r} has no target: give kpi_target, the value it should reach "
                "(in the KPI's unit)",
                column="kpi_target",
                **where,
            )
        elif not kpi:
            for column in ("kpi_baseline", "kpi_target"):
                if not np.isnan(cells(i, column)):
                    bad.add(
                        f"{column} is set but kpi is blank: name the KPI it measures in kpi "
                        "(e.g. consent rate), or clear it",
                        column="kpi",
                        **where,
                    )
                    break


def _warn_no_effort(frame: pd.DataFrame, out: pd.DataFrame, bad: Collector) -> None:
    """Initiatives still to decide with no effort count as 0 IT person-weeks against capacity."""
    if not any(f"effort_{p}" in frame.columns for p in ("low", "high")):
        bad.warn(
            "no effort_low/effort_high columns: every initiative counts as 0 IT person-weeks, "
            "so capacity limits nothing; add the columns to plan IT capacity",
        )
        return
    cells = Cells(out)
    for i in range(len(out)):
        if cells(i, "status") not in IN_SCOPE:
            continue
        if np.isnan(cells(i, "effort_low")) and np.isnan(cells(i, "effort_high")):
            bad.warn(
                "no effort given: counted as 0 IT person-weeks against capacity; "
                "give effort_low and effort_high",
                index=i,
                id=cells(i, "id"),
                column="effort_low",
            )


INFORMS_INPUTS = ("benefit", "cost", "duration", "effort")


def _parse_informs(
    frame: pd.DataFrame, ids: list[str], bad: Collector, *, templated: list[bool] | None = None
) -> list[list[str]]:
    """A lean row's ``informs``: the full initiative's inputs it measures (``;``-separated;
    empty means the default: the full case's top-EVPPI driver, else benefit). On a row
    that draws its benefit from template drivers (``templated``: a template or a
    benefit_share) a name may also be a driver (``benefits.check_initiative_templates``
    checks it against the template)."""
    values = frame["informs"] if "informs" in frame else [""] * len(ids)
    out = []
    for i, value in enumerate(values):
        names = [
            part.strip().lower() for part in re.split(r"[;,]", cell_text(value)) if part.strip()
        ]
        for name in names:
            if templated and templated[i] and re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                continue  # a driver name: checked against the template with the benefits
            if name not in INFORMS_INPUTS:
                bad.add(
                    f"informs names {name!r}: valid are {', '.join(INFORMS_INPUTS)}, "
                    "separated by ';'",
                    index=i,
                    id=ids[i],
                    column="informs",
                    value=name,
                )
        out.append(names)
    return out


def _templated(cells: Cells, i: int) -> bool:
    """A template named, or a benefit share of a full initiative's template."""
    return bool(cells(i, "template")) or not np.isnan(cells(i, "benefit_share"))


def _check_benefit_shares(out: pd.DataFrame, bad: Collector) -> None:
    cells = Cells(out)
    for i, (id_, share) in enumerate(zip(out["id"], out["benefit_share"], strict=True)):
        if np.isnan(share):
            continue
        if not 0 < share <= 1:
            hint = f" (did you mean {share / 100:g}?)" if 1 < share <= 100 else ""
            bad.add(
                f"benefit_share must be a fraction above 0 and at most 1, got {share:g}{hint}",
                index=i,
                id=id_,
                column="benefit_share",
                value=share,
            )
        elif not cells(i, "variant_of"):
            bad.add(
                "benefit_share is for a lean variant: set variant_of to its full initiative, "
                "or leave benefit_share blank",
                index=i,
                id=id_,
                column="benefit_share",
                value=share,
            )


def _may_fail_ranges(out: pd.DataFrame) -> np.ndarray:
    """Rows some check of ``_check_ranges`` could flag; the others pass them all (fast path)."""
    flagged = (out["run_cost"].to_numpy(dtype=float) < 0) | (
        out["ramp_months"].to_numpy(dtype=float) < 0
    )
    flagged |= out["cost_to_date"].to_numpy(dtype=float) < 0
    templated = (out["template"] != "").to_numpy() | out["benefit_share"].notna().to_numpy()
    stated = out[[f"benefit_{p}" for p in PARTS]].notna().any(axis=1).to_numpy()
    flagged |= templated & stated  # a templated benefit is refused: its drivers give it
    for metric in RANGES:
        low, likely, high = (out[f"{metric}_{p}"].to_numpy(dtype=float) for p in PARTS)
        ok = (low > 0) & (low <= high) & (np.isnan(likely) | ((low <= likely) & (likely <= high)))
        if metric == "effort":
            ok |= np.isnan(low) & np.isnan(high) & np.isnan(likely)
        flagged |= ~ok
    return np.flatnonzero(flagged)


PARTS = ("low", "likely", "high")


def _check_ranges(out: pd.DataFrame, bad: Collector) -> None:
    cells = Cells(out)
    ids = out["id"].tolist()
    for i in _may_fail_ranges(out).tolist():
        id_ = ids[i]
        for metric in RANGES:
            low, likely, high = (cells(i, f"{metric}_{p}") for p in ("low", "likely", "high"))
            if metric == "benefit" and _templated(cells, i):  # its drivers give the benefit
                for part, value in (("low", low), ("likely", likely), ("high", high)):
                    if not np.isnan(value):
                        bad.add(
                            f"benefit_{part} is set, but the benefit of a templated initiative "
                            "comes from its drivers (the benefits register): the case would "
                            "ignore this figure, yet its outcome would be calibrated against "
                            "it; clear it, or clear template (and benefit_share)",
                            index=i,
                            id=id_,
                            column=f"benefit_{part}",
                            value=value,
                        )
                continue
            if metric == "effort" and np.isnan(low) and np.isnan(high):
                if not np.isnan(likely):
                    bad.add(
                        "effort_likely is given without effort_low and effort_high: "
                        "give the range too",
                        index=i,
                        id=id_,
                        column="effort_likely",
                    )
                continue
            for part, value in (("low", low), ("high", high)):
                if np.isnan(value) and not already_reported(bad, i, f"{metric}_{part}"):
                    bad.add(
                        f"{metric}_{part} is empty: give the "
                        f"{'lowest' if part == 'low' else 'highest'} plausible value",
                        index=i,
                        id=id_,
                        column=f"{metric}_{part}",
                    )
            if np.isnan(low) or np.isnan(high):
                continue
            for part, value in (("low", low), ("likely", likely), ("high", high)):
                if value < 0:
                    bad.add(
                        f"{metric}_{part} is negative ({value:g}): "
                        f"{metric_words(metric)} cannot be below 0",
                        index=i,
                        id=id_,
                        column=f"{metric}_{part}",
                        value=value,
                    )
            if low > high:
                bad.add(
                    f"{metric}_low ({low:g}) is above {metric}_high ({high:g}): swap them",
                    index=i,
                    id=id_,
                    column=f"{metric}_low",
                    value=low,
                )
            elif not np.isnan(likely) and not low <= likely <= high:
                bad.add(
                    f"{metric}_likely ({likely:g}) is outside {metric}_low–{metric}_high "
                    f"({low:g}–{high:g}): the likely value lies within the range",
                    index=i,
                    id=id_,
                    column=f"{metric}_likely",
                    value=likely,
                )
            elif low == 0 and high > 0 and metric == "benefit":
                bad.add(
                    "benefit_low is 0 but benefit_high is above 0: a range starts above 0 "
                    "(give the smallest plausible benefit), or write 0 in both for none",
                    index=i,
                    id=id_,
                    column="benefit_low",
                    value=low,
                )
            elif low == 0 and metric != "benefit":
                bad.add(
                    f"{metric}_low is 0: {metric_words(metric)} must be above 0 "
                    "(give the smallest plausible value)",
                    index=i,
                    id=id_,
                    column=f"{metric}_low",
                    value=low,
                )
        for column in ("run_cost", "ramp_months", "cost_to_date"):
            if cells(i, column) < 0:
                bad.add(
                    f"{column} is negative ({cells(i, column):g}): use 0 or more",
                    index=i,
                    id=id_,
                    column=column,
                    value=cells(i, column),
                )


_MONEY = (MAX_MONEY, "currency units (whole units, not cents)")
_WEEKS = (MAX_WEEKS, "weeks (ten years)")
_EFFORT = (MAX_EFFORT, "person-weeks")
INITIATIVE_BOUNDS: dict[str, tuple[float, str]] = {
    **{f"{m}_{p}": _MONEY for m in ("benefit", "cost") for p in ("low", "likely", "high")},
    **{f"duration_{p}": _WEEKS for p in ("low", "likely", "high")},
    **{f"effort_{p}": _EFFORT for p in ("low", "likely", "high")},
    "run_cost": _MONEY,
    "cost_to_date": _MONEY,
    "ramp_months": (MAX_RAMP_MONTHS, "months"),
    "reach": (MAX_REACH, "people"),
    "impact": (MAX_IMPACT, "(a RICE impact is about 0.25 to 3)"),
}


_ACTUALS_BOUND = _ANY_UNIT = (MAX_MAGNITUDE, "in any unit")


def _check_scores(out: pd.DataFrame, bad: Collector) -> None:
    cells = Cells(out)
    for i, id_ in enumerate(out["id"]):
        fit = cells(i, "strategic_fit")
        if not np.isnan(fit) and not 1 <= fit <= 5:
            bad.add(
                f"strategic_fit must be from 1 to 5, got {fit:g}",
                index=i,
                id=id_,
                column="strategic_fit",
                value=fit,
            )
        confidence = cells(i, "confidence")
        if not np.isnan(confidence) and not 0 <= confidence <= 1:
            hint = f" (did you mean {confidence / 100:g}?)" if 1 < confidence <= 100 else ""
            bad.add(
                f"confidence must be a fraction from 0 to 1, got {confidence:g}{hint}",
                index=i,
                id=id_,
                column="confidence",
                value=confidence,
            )
        for column in ("reach", "impact"):
            value = cells(i, column)
            if not np.isnan(value) and value < 0:
                bad.add(
                    f"{column} cannot be negative, got {value:g}",
                    index=i,
                    id=id_,
                    column=column,
                    value=value,
                )


def _parse_flags(frame: pd.DataFrame, column: str, ids: list[str], bad: Collector) -> list[bool]:
    if column not in frame:
        return [False] * len(frame)
    flags = []
    for i, value in enumerate(frame[column].tolist()):
        try:
            flag = parse_bool(value)
        except (TypeError, ValueError):
            bad.add(
                f"{value!r} is not yes or no: write true or false (blank means false)",
                index=i,
                id=ids[i],
                column=column,
                value=value,
            )
            flag = False
        else:
            if isinstance(value, str) and value.strip().lower() not in ("true", "false", ""):
                bad.warn(
                    f"{shown(value)} was read as {str(flag).lower()}: write true or false "
                    "(blank means false) so nobody has to guess",
                    index=i,
                    id=ids[i],
                    column=column,
                    value=value,
                )
        flags.append(flag)
    return flags


def _check_links(out: pd.DataFrame, bad: Collector) -> None:
    ids = list(out["id"])
    known = set(ids)
    variant_of = dict(zip(ids, out["variant_of"], strict=True))
    for i, (id_, parent, deps) in enumerate(
        zip(ids, out["variant_of"], out["depends_on"], strict=True)
    ):
        if parent is not None:
            if parent == id_:
                bad.add(
                    "variant_of names the row itself: name the full initiative",
                    index=i,
                    id=id_,
                    column="variant_of",
                    value=parent,
                )
            elif parent not in known:
                bad.add(
                    f"variant_of names unknown id {parent!r}{suggest(parent, ids)}: "
                    "use the id of the full initiative this is a lean version of",
                    index=i,
                    id=id_,
                    column="variant_of",
                    value=parent,
                )
            elif variant_of.get(parent):
                bad.add(
                    f"variant_of names {parent!r}, which is itself a variant of "
                    f"{variant_of[parent]!r}: name the full initiative",
                    index=i,
                    id=id_,
                    column="variant_of",
                    value=parent,
                )
        for dep in deps:
            if dep == id_:
                bad.add(
                    "depends_on names the row itself: remove it",
                    index=i,
                    id=id_,
                    column="depends_on",
                    value=dep,
                )
            elif dep not in known:
                bad.add(
                    f"depends_on names unknown id {dep!r}{suggest(dep, ids)}: "
                    "use ids from the id column, separated by ;",
                    index=i,
                    id=id_,
                    column="depends_on",
                    value=dep,
                )
    for cycle in find_cycles(dict(zip(ids, out["depends_on"], strict=True))):
        i = ids.index(cycle[0])
        bad.add(
            "dependency cycle "
            + " -> ".join(cycle + [cycle[0]])
            + ": nothing in a cycle can ever start; remove one of these dependencies",
            index=i,
            id=cycle[0],
            column="depends_on",
        )


# --- actuals -----------------------------------------------------------------


def metric_names(columns: Iterable[str]) -> list[str]:
    """Metrics with both ``<metric>_estimate`` and ``<metric>_actual`` columns, in order."""
    columns = list(columns)
    return [
        c.removesuffix("_estimate")
        for c in columns
        if c.endswith("_estimate") and c.removesuffix("_estimate") + "_actual" in columns
    ]


def validate_actuals(frame: pd.DataFrame, *, keep: Iterable[str] = ()) -> pd.DataFrame:
    """Check an actuals register and return it in canonical form.

    Canonical columns: id, name, category, completed (datetime, NaT when
    blank), ``row``, and float metric columns ``<metric>_estimate``,
    ``<metric>_actual`` and optional ``<metric>_low``/``_high``. ``keep``:
    further columns to keep as trimmed text (``calibration.by``, e.g. ``owner``;
    see ``kept_columns``). Zero, negative or blank values pass through:
    calibration counts and reports them.
    """
    bad = Collector(frame)
    columns = list(frame.columns)
    metrics = metric_names(columns)
    measured = [c for c in columns if _METRIC_COLUMN.match(c)]
    to_date = [f"{m}_to_date" for m in metrics if f"{m}_to_date" in columns]
    known = ("id", "category", "name", "completed", "started", "status", *measured, *to_date)
    extra = kept_columns(frame, keep, known)
    ok = check_columns(frame, ("id", "category"), (*known[2:], *extra), bad)
    frame = fill_missing(frame, ("id", "category"), bad)
    for column in columns:
        match = _METRIC_COLUMN.match(column)
        if not match or column in ("id", "name", "category", "completed"):
            continue
        metric, part = match["metric"], match["part"]
        if metric not in metrics:
            partner = f"{metric}_actual" if part == "estimate" else f"{metric}_estimate"
            bad.add(
                f"column {column!r} has no {partner!r} partner: add it, "
                "or rename the column if it is a different metric",
                column=column,
            )
    if ok and not metrics and not bad.problems:
        bad.add(
            "no metric pairs: add columns such as cost_estimate and cost_actual "
            "(or duration_, effort_, benefit_)",
        )
    n = len(frame)
    ids = [cell_text(v) for v in frame["id"].tolist()]
    check_ids(ids, bad)
    out = pd.DataFrame(
        {"id": ids, "row": np.array([bad.row_number(i) for i in range(n)], dtype=int)}
    )
    out["name"] = [cell_text(v) for v in frame["name"]] if "name" in frame else ids
    out["category"] = [cell_text(v).lower() for v in frame["category"]]
    for i, category in enumerate(out["category"]):
        if not category:
            bad.add(
                "category is empty: name its reference class (e.g. email, web, crm)",
                index=i,
                id=ids[i],
                column="category",
            )
    out["completed"] = bad.dates(frame, "completed", ids)
    for metric in metrics:
        for part in ("estimate", "actual", "low", "high"):
            column = f"{metric}_{part}"
            if column in frame.columns:
                out[column] = bad.number(frame, column, ids)
                check_magnitudes(out, {column: _ACTUALS_BOUND}, bad)
        if f"{metric}_low" in out and f"{metric}_high" in out:
            for i in np.flatnonzero(out[f"{metric}_low"] > out[f"{metric}_high"]):
                bad.add(
                    f"{metric}_low ({out.at[i, f'{metric}_low']:g}) is above "
                    f"{metric}_high ({out.at[i, f'{metric}_high']:g}): swap them",
                    index=int(i),
                    id=ids[i],
                    column=f"{metric}_low",
                )
    for column in to_date:
        out[column] = bad.number(frame, column, ids)
        check_magnitudes(out, {column: _ACTUALS_BOUND}, bad)
    if "started" in frame.columns or "status" in frame.columns or to_date:
        _in_flight(frame, out, metrics, ids, bad)
    for column in extra:
        out[column] = [cell_text(v) for v in frame[column]]
    bad.raise_if_any()
    out.attrs["warnings"] = bad.warnings
    return out


IN_FLIGHT = "in_flight"  # the status of a project still running (its actuals not yet known)
PROJECT_STATUSES = ("done", IN_FLIGHT)


def _in_flight(
    frame: pd.DataFrame, out: pd.DataFrame, metrics: list[str], ids: list[str], bad: Collector
) -> None:
    """Check the optional ``started`` (date) and ``status`` (done / in_flight) columns.

    Sets ``out["started"]`` (NaT when blank) and ``out["status"]``. A row is
    in flight when its status says so or, without a status, when it has a
    start date but no completed date. An in-flight row needs a start date
    (its elapsed time is what it tells the duration calibration), no
    completed date and no ``<metric>_actual`` yet. ``<metric>_to_date``
    (spent so far) belongs on in-flight rows only.
    """
    n = len(out)
    out["started"] = bad.dates(frame, "started", ids)
    status = []
    cells = Cells(out)
    for i, value in enumerate(frame["status"] if "status" in frame else [""] * n):
        text = "" if is_blank(value) else re.sub(r"[\s-]+", "_", str(value).strip().lower())
        if text and text not in PROJECT_STATUSES:
            bad.add(
                f"status must be done or in_flight (a project still running), got {value!r}",
                index=i,
                id=ids[i],
                column="status",
                value=value,
            )
        if not text:
            running = pd.notna(cells(i, "started")) and pd.isna(cells(i, "completed"))
            text = IN_FLIGHT if running else "done"
        status.append(text)
    out["status"] = status
    for i in range(n):
        begun, done = cells(i, "started"), cells(i, "completed")
        if pd.notna(begun) and pd.notna(done) and begun > done:
            bad.add(
                f"started ({begun.date()}) is after completed ({done.date()}): fix either date",
                index=i,
                id=ids[i],
                column="started",
            )
        if status[i] != IN_FLIGHT:
            for metric in metrics:
                column = f"{metric}_to_date"
                if column in out and not pd.isna(cells(i, column)):
                    bad.add(
                        f"{column} is for projects still running: this one is done, so give "
                        f"{metric}_actual and clear {column} (or set status to in_flight)",
                        index=i,
                        id=ids[i],
                        column=column,
                    )
            continue
        if pd.isna(begun):
            bad.add(
                "an in_flight project needs started (the date work began, YYYY-MM-DD): "
                "its elapsed time is what it tells the calibration",
                index=i,
                id=ids[i],
                column="started",
            )
        if pd.notna(done):
            bad.add(
                "an in_flight project has no completed date yet: clear completed, "
                "or set status to done",
                index=i,
                id=ids[i],
                column="completed",
            )
        for metric in metrics:
            if not pd.isna(cells(i, f"{metric}_actual")):
                bad.add(
                    f"an in_flight project has no {metric}_actual yet: clear it, "
                    "or set status to done",
                    index=i,
                    id=ids[i],
                    column=f"{metric}_actual",
                )


def kept_columns(frame: pd.DataFrame, keep: Iterable[str], known: Iterable[str]) -> list[str]:
    """The register's columns named in ``keep`` that it would not keep anyway.

    Names match as headers do (``read_register`` trims them, lower-cases them
    and turns spaces into ``_``), so ``calibration.by: Team`` keeps a ``team ``
    header. A name the register lacks is left out here: ``inputs`` refuses it
    with the params file and the fix.
    """
    known = set(known)
    wanted = [normalise_column(name) for name in keep]
    return [c for c in dict.fromkeys(wanted) if c in frame.columns and c not in known]


# --- entry points ------------------------------------------------------------


def load_initiatives(
    source: RegisterSource | str | Path, root: Path | str = ".", *, keep: Iterable[str] = ()
) -> pd.DataFrame:
    """Read and check an initiatives register (CSV, Excel or SQL table); ``keep`` as validate."""
    return validate_initiatives(read_register(source, root), keep=keep)


def load_actuals(
    source: RegisterSource | str | Path, root: Path | str = ".", *, keep: Iterable[str] = ()
) -> pd.DataFrame:
    """Read and check an actuals register (CSV, Excel or SQL table); ``keep`` as validate."""
    return validate_actuals(read_register(source, root), keep=keep)
