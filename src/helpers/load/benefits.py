"""The benefits register: read, checked, and handed to the model (``BenefitInputs``).

One row per initiative × beneficiary × driver: ``initiative_id``,
``beneficiary``, ``driver``, ``low``, ``likely``?, ``high``, ``source``? (the
evidence). The initiative's row names its ``template``
(``helpers.load.benefit_templates``); each beneficiary's annual benefit is the
template's formula over that beneficiary's drivers, and the initiative's
benefit is their sum, draw by draw.

A lean variant (``variant_of`` set) with a ``benefit_share`` (a fraction, e.g.
0.5 for "half of the data") and no rows of its own inherits its full
initiative's template and drivers, with the template's volume drivers scaled by
the share.

Cells are held to the initiatives' standard (``helpers.load.cells``): numbers as
``cells.parse_number`` reads them, every driver value 0 or more and at most
``cells.MAX_MAGNITUDE`` in its unit; a fraction driver (its unit says
``fraction``) may be written ``30%`` (read 0.30, with a warning) and must be at
most 1. Problems are listed in row order.

Drawing: a driver's range is the same kind of range as any other
(``helpers.model.ranges``: low and high at the estimate confidence). What we do not
know about a driver (the true conversion uplift, say) is shared by every
beneficiary, so each driver gets one standard-normal score per simulation,
used for every beneficiary's range of that driver (comonotone). That is also
what makes "the value of knowing this driver" (EVPPI per driver) one number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.errors import InputError, Problem
from helpers.load.benefit_templates import Template
from helpers.load.cells import (
    MAX_MAGNITUDE,
    Collector,
    cell_text,
    check_columns,
    fill_missing,
    is_fraction_unit,
    suggest,
)
from helpers.load.params import RegisterSource
from helpers.load.registers import INFORMS_INPUTS
from helpers.load.sources import read_register

REQUIRED_BENEFIT_COLUMNS = ("initiative_id", "beneficiary", "driver", "low", "high")
OPTIONAL_BENEFIT_COLUMNS = ("likely", "source")
# words by which a source says its value was measured, not estimated: a POC, a pilot, a
# test that ran ("A/B test", "holdout test"), "measured"
MEASUREMENT_WORDS = re.compile(
    r"\b(?:POC|proof of concept|pilot|measured|(?:A/B|split|holdout)[ -]test(?:ed)?)\b",
    re.IGNORECASE,
)
# a clause (between ; : or a full stop) that speaks of a test still to run ("a pilot ...
# would measure it", "assumption to test") cites no measurement
FUTURE_WORDS = re.compile(r"\b(?:would|will|could|to test|to measure|planned)\b", re.IGNORECASE)


# --- validation ----------------------------------------------------------------


def validate_benefits(
    frame: pd.DataFrame, initiatives: pd.DataFrame, templates: Mapping[str, Template]
) -> pd.DataFrame:
    """Check a benefits register against the initiatives and templates; return it canonical.

    ``frame`` is the register as read (``sources.read_register``);
    ``initiatives`` the canonical initiatives register with a ``template``
    column (blank for an initiative without one) and optionally ``variant_of``
    and ``benefit_share``; ``templates`` from ``load_templates``.

    Canonical columns: ``initiative_id``, ``beneficiary``, ``driver``, ``low``,
    ``likely`` (NaN when blank), ``high`` (units of the driver), ``source``,
    ``template``, ``unit`` (the driver's, from the template), ``measured``
    (:func:`cites_measurement`: the value is a measurement, so driver calibration
    leaves it as it is), ``row`` (the spreadsheet row). Raises InputError listing
    every problem with its row, id and column.
    """
    bad = Collector(frame)
    check_columns(frame, REQUIRED_BENEFIT_COLUMNS, OPTIONAL_BENEFIT_COLUMNS, bad)
    frame = fill_missing(frame, REQUIRED_BENEFIT_COLUMNS, bad)
    n = len(frame)
    ids = [cell_text(v) for v in frame["initiative_id"].tolist()]
    out = pd.DataFrame({"initiative_id": ids})
    # one spelling per beneficiary of an initiative (the first): "Web team" = "web team"
    spelling: dict[tuple[str, str], str] = {}
    out["beneficiary"] = [
        spelling.setdefault((id_, cell_text(v).lower()), cell_text(v))
        for id_, v in zip(ids, frame["beneficiary"], strict=True)
    ]
    out["driver"] = [cell_text(v).lower() for v in frame["driver"]]
    template_of = initiative_templates(initiatives)
    known_ids = [str(i) for i in initiatives["id"]]
    seen: dict[tuple[str, str, str], int] = {}
    units = [
        _check_row(i, values, template_of, known_ids, templates, seen, bad)
        for i, values in enumerate(zip(ids, out["beneficiary"], out["driver"], strict=True))
    ]
    fractions = [is_fraction_unit(unit) for unit in units]  # 30% reads 0.30 only there
    for column in ("low", "likely", "high"):
        out[column] = bad.number(frame, column, ids, fraction=fractions)
    out["source"] = [cell_text(v) for v in frame["source"]] if "source" in frame else [""] * n
    out["row"] = np.array([bad.row_number(i) for i in range(n)], dtype=int)
    out["template"] = [template_of.get(id_) or "" for id_ in ids]
    out["measured"] = [
        cites_measurement(source, own, known_ids)
        for source, own in zip(out["source"], ids, strict=True)
    ]
    out["unit"] = units
    _check_ranges(out, bad)
    _check_complete(out, templates, bad)
    _check_templated_have_rows(out, initiatives, template_of, templates, bad)
    bad.raise_if_any()
    out.attrs["warnings"] = bad.warnings
    return out


def cites_measurement(source: str, own_id: str, ids: Iterable[str]) -> bool:
    """Whether a benefits row's ``source`` cites a measurement rather than an estimate.

    It does when a clause of it (text between ``;``, ``:`` or ``. ``) names another
    initiative of the register (a POC or pilot such as ``EML-01P``, as a whole word)
    or uses one of :data:`MEASUREMENT_WORDS`, unless that clause speaks of a test still
    to run (:data:`FUTURE_WORDS`: "a pilot would measure it", "assumption to test").
    """
    others = [str(other) for other in ids if other and str(other) != own_id]
    for clause in re.split(r"[;:]|\.\s", str(source or "")):
        if FUTURE_WORDS.search(clause):
            continue
        if MEASUREMENT_WORDS.search(clause) or any(
            re.search(rf"(?<![\w-]){re.escape(other)}(?![\w-])", clause) for other in others
        ):
            return True
    return False


def initiative_templates(initiatives: pd.DataFrame) -> dict[str, str | None]:
    """The template each initiative uses, by id (None for none).

    A lean variant with a ``benefit_share`` and no template of its own uses its
    full initiative's template.
    """
    rows = initiatives.to_dict("records")
    own = {str(r["id"]): cell_text(r.get("template")).lower() or None for r in rows}
    result = dict(own)
    for r in rows:
        parent = cell_text(r.get("variant_of"))
        if own[str(r["id"])] is None and parent and _share(r) is not None:
            result[str(r["id"])] = own.get(parent)
    return result


def _share(initiative: Mapping[str, Any]) -> float | None:
    value = initiative.get("benefit_share")
    if value is None or cell_text(value) == "":
        return None
    try:
        share = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(share) else share


def _check_row(
    i: int,
    values: tuple[str, str, str],
    template_of: Mapping[str, str | None],
    known_ids: list[str],
    templates: Mapping[str, Template],
    seen: dict[tuple[str, str, str], int],
    bad: Collector,
) -> str:
    """Check row ``i`` (``values``: its initiative_id, beneficiary and driver); return
    the driver's unit from the template ("" when the row names no known driver)."""
    id_, beneficiary, driver = values
    if not id_:
        bad.add(
            "initiative_id is empty: name the initiative this driver belongs to",
            index=i,
            column="initiative_id",
        )
        return ""
    if id_ not in template_of:
        bad.add(
            f"initiative_id {id_!r} is not in the initiatives register"
            f"{suggest(id_, known_ids)}: use an id from its id column",
            index=i,
            id=id_,
            column="initiative_id",
            value=id_,
        )
        return ""
    name = template_of[id_]
    if name is None:
        bad.add(
            f"initiative {id_} names no template: name one in the template column of the "
            f"initiatives register (templates: {', '.join(templates) or 'none'})",
            index=i,
            id=id_,
            column="initiative_id",
            value=id_,
        )
        return ""
    template = templates.get(name)
    if template is None:
        bad.add(
            f"initiative {id_} names template {name!r}, which does not exist"
            f"{suggest(name, list(templates))}: fix the template column of the initiatives "
            f"register (templates: {', '.join(templates) or 'none'})",
            index=i,
            id=id_,
            column="initiative_id",
            value=name,
        )
        return ""
    if not beneficiary:
        bad.add(
            "beneficiary is empty: name who gains (a team, a segment, a region)",
            index=i,
            id=id_,
            column="beneficiary",
        )
    if driver not in template.driver_names:
        what = f"driver {driver!r} is not" if driver else "driver is empty: it must be"
        bad.add(
            f"{what} a driver of template {template.name}{suggest(driver, template.driver_names)}"
            f"; drivers: {', '.join(template.driver_names)}",
            index=i,
            id=id_,
            column="driver",
            value=driver,
        )
        return ""
    unit = template.driver(driver).unit
    key = (id_, beneficiary.lower(), driver)
    if beneficiary and key in seen:
        bad.add(
            f"driver {driver} of beneficiary {beneficiary!r} is given twice "
            f"(also {bad.row_word} {bad.row_number(seen[key])}): keep one",
            index=i,
            id=id_,
            column="driver",
            value=driver,
        )
    seen.setdefault(key, i)
    return unit


def _check_ranges(out: pd.DataFrame, bad: Collector) -> None:
    reported = {(p.row, p.column) for p in bad.problems}
    columns = [out[c].tolist() for c in ("initiative_id", "low", "likely", "high", "unit")]
    for i, (id_, low, likely, high, unit) in enumerate(zip(*columns, strict=True)):
        row = bad.row_number(i)
        in_unit = f" (in {unit})" if unit else ""
        beyond = _beyond(i, id_, (low, likely, high), unit, bad)
        if beyond:
            reported |= {(row, column) for column in beyond}
            low, likely, high = (
                np.nan if c in beyond else v
                for c, v in (("low", low), ("likely", likely), ("high", high))
            )
        for column, value in (("low", low), ("high", high)):
            if np.isnan(value) and (row, column) not in reported:
                bad.add(
                    f"{column} is empty: give the "
                    f"{'lowest' if column == 'low' else 'highest'} plausible value{in_unit}",
                    index=i,
                    id=id_,
                    column=column,
                )
        if np.isnan(low) or np.isnan(high):
            continue
        negative = [(c, v) for c, v in (("low", low), ("likely", likely), ("high", high)) if v < 0]
        for column, value in negative:
            bad.add(
                f"{column} is negative ({value:g}): a driver is 0 or more{in_unit}; "
                "write a cost or a loss as its own driver and subtract it in the formula",
                index=i,
                id=id_,
                column=column,
                value=value,
            )
        if negative:
            continue
        if low > high:
            bad.add(
                f"low ({low:g}) is above high ({high:g}): swap them",
                index=i,
                id=id_,
                column="low",
                value=low,
            )
        elif not np.isnan(likely) and not low <= likely <= high:
            bad.add(
                f"likely ({likely:g}) is outside low–high ({low:g}–{high:g}): "
                "the likely value lies within the range",
                index=i,
                id=id_,
                column="likely",
                value=likely,
            )
        elif low == 0 and high > 0:
            bad.add(
                "low is 0 but high is above 0: a range starts above 0 (give the smallest "
                "plausible value), or write 0 in both for none",
                index=i,
                id=id_,
                column="low",
                value=low,
            )


def _beyond(
    i: int, id_: str, values: tuple[float, float, float], unit: str, bad: Collector
) -> list[str]:
    """Record a driver value above its plausible bound: 1 for a fraction (its unit
    says so), else ``MAX_MAGNITUDE``; return the columns recorded."""
    fraction = is_fraction_unit(unit)
    limit = 1.0 if fraction else MAX_MAGNITUDE
    found = []
    for column, value in zip(("low", "likely", "high"), values, strict=True):
        if np.isnan(value) or value <= limit:
            continue
        found.append(column)
        if fraction:
            hint = f" (did you mean {value / 100:g}?)" if value <= 100 else ""
            fix = f"its unit is {unit}: write a fraction from 0 to 1{hint}"
        else:
            unit_words = f" {unit}" if unit else ""
            fix = f"beyond the plausible {limit:g}{unit_words}: check the units and the zeros"
        bad.add(f"{column} is {value:g}, {fix}", index=i, id=id_, column=column, value=value)
    return found


def _check_complete(out: pd.DataFrame, templates: Mapping[str, Template], bad: Collector) -> None:
    """Every beneficiary of a templated initiative gives every driver of its template."""
    valid = out[(out["unit"] != "") & (out["beneficiary"] != "")]
    for (id_, _), group in valid.groupby(
        [valid["initiative_id"], valid["beneficiary"].str.lower()], sort=False
    ):
        template = templates[group["template"].iloc[0]]
        missing = [d for d in template.driver_names if d not in set(group["driver"])]
        if missing:
            first = int(group.index[0])
            bad.add(
                f"beneficiary {group['beneficiary'].iloc[0]!r} lacks driver(s) "
                f"{', '.join(missing)} of template {template.name}: add a row for each "
                f"({', '.join(template.driver(d).unit for d in missing)})",
                index=first,
                id=id_,
                column="driver",
            )


def _check_templated_have_rows(
    out: pd.DataFrame,
    initiatives: pd.DataFrame,
    template_of: Mapping[str, str | None],
    templates: Mapping[str, Template],
    bad: Collector,
) -> None:
    with_rows = set(out["initiative_id"])
    for initiative in initiatives.to_dict("records"):
        id_ = str(initiative["id"])
        name = template_of.get(id_)
        if name is None or name not in templates or id_ in with_rows:
            continue
        parent = cell_text(initiative.get("variant_of"))
        if parent and _share(initiative) is not None and parent in with_rows:
            continue  # a lean variant inheriting its full initiative's drivers
        drivers = ", ".join(templates[name].driver_names)
        bad.add(
            f"initiative {id_} names template {name} but has no rows in the benefits "
            f"register: add one row per beneficiary and driver ({drivers})",
            id=id_,
            column="initiative_id",
        )


def check_initiative_templates(
    initiatives: pd.DataFrame, templates: Mapping[str, Template], label: str
) -> list[Problem]:
    """Problems of the initiatives register's ``template`` and ``benefit_share`` columns.

    ``label`` names the register. An unknown template gets a did-you-mean; a
    lean variant with a ``benefit_share`` needs a full initiative with a template
    (or a template and rows of its own).
    """
    problems: list[Problem] = []
    names = ", ".join(templates) or "none"
    rows = initiatives.to_dict("records")
    own = {str(r["id"]): cell_text(r.get("template")).lower() for r in rows}
    for r in rows:
        id_, name = str(r["id"]), own[str(r["id"])]
        row = int(r["row"]) if "row" in r else None
        if name and name not in templates:
            problems.append(
                Problem(
                    label,
                    f"template {name!r} does not exist{suggest(name, list(templates))}: "
                    f"use one of {names} (see `playbook templates`), or leave it blank and "
                    "give benefit_low/benefit_high",
                    row=row,
                    id=id_,
                    column="template",
                    value=name,
                )
            )
        parent = cell_text(r.get("variant_of"))
        problems += _informs_problems(r, own.get(parent) or name, templates, label, row)
        if not name and _share(r) is not None and parent and not own.get(parent):
            problems.append(
                Problem(
                    label,
                    f"benefit_share scales the drivers of {parent}, which names no template: "
                    f"name a template for {parent}, or clear benefit_share and give "
                    "benefit_low/benefit_high",
                    row=row,
                    id=id_,
                    column="benefit_share",
                    value=_share(r),
                )
            )
    return problems


def _informs_problems(
    initiative: Mapping[str, Any],
    template_name: str,
    templates: Mapping[str, Template],
    label: str,
    row: int | None,
) -> list[Problem]:
    """``informs`` names that are neither an input nor a driver of the full initiative's
    template (``template_name``: its template, or the row's own)."""

    raw = initiative.get("informs")
    names = [n for n in (raw if isinstance(raw, (list, tuple)) else []) if n not in INFORMS_INPUTS]
    template = templates.get(template_name) if template_name else None
    drivers = list(template.driver_names) if template is not None else []
    valid = ", ".join([*INFORMS_INPUTS, *drivers])
    return [
        Problem(
            label,
            f"informs names {name!r}, which is neither an input nor a driver of "
            + (f"template {template.name}" if template is not None else "a template")
            + f"{suggest(name, [*INFORMS_INPUTS, *drivers])}: valid are {valid}, "
            "separated by ';'",
            row=row,
            id=str(initiative["id"]),
            column="informs",
            value=name,
        )
        for name in names
        if name not in drivers
    ]


def uses_templates(initiatives: pd.DataFrame) -> bool:
    """Whether any initiative names a template (or a benefit share of one)."""
    return any(name for name in initiative_templates(initiatives).values()) or any(
        _share(r) is not None for r in initiatives.to_dict("records")
    )


@dataclass(frozen=True)
class BenefitInputs:
    """What templated benefits need: the canonical benefits register, the initiatives
    register and the templates (``inputs.QuarterInputs.benefit_inputs``)."""

    register: pd.DataFrame
    initiatives: pd.DataFrame
    templates: Mapping[str, Template]

    def plan(self, initiative_id: str) -> tuple[pd.DataFrame, Template, float] | None:
        """The rows, template and benefit share of a templated initiative; None otherwise."""
        if initiative_id not in set(self.initiatives["id"].astype(str)):
            return None
        rows, name, share = benefit_rows(initiative_id, self.register, self.initiatives)
        if name is None or name not in self.templates:
            return None
        return rows, self.templates[name], share


def load_benefits(
    source: RegisterSource | str | Path,
    initiatives: pd.DataFrame,
    templates: Mapping[str, Template],
    root: Path | str = ".",
) -> pd.DataFrame:
    """Read and check a benefits register (CSV, Excel or SQL table)."""
    return validate_benefits(read_register(source, root), initiatives, templates)


# --- simulation ----------------------------------------------------------------


def benefit_rows(
    initiative_id: str, benefits: pd.DataFrame, initiatives: pd.DataFrame
) -> tuple[pd.DataFrame, str | None, float]:
    """The benefits rows an initiative uses, its template name and its benefit share.

    An initiative with rows of its own uses them at share 1. A lean variant
    with a ``benefit_share`` and no rows inherits its full initiative's rows at
    that share. An initiative without a template gives no rows and None.
    """
    template_of = initiative_templates(initiatives)
    name = template_of.get(initiative_id)
    own = benefits[benefits["initiative_id"] == initiative_id]
    if name is None or not own.empty:
        return own, name, 1.0
    row = initiatives[initiatives["id"].astype(str) == initiative_id].iloc[0].to_dict()
    share = _share(row)
    parent = cell_text(row.get("variant_of"))
    if share is None or not parent:
        return own, name, 1.0
    if not 0 < share <= 1:
        raise InputError(
            Problem(
                "initiatives",
                f"benefit_share must be a fraction above 0 and at most 1, got {share:g}"
                + (f" (did you mean {share / 100:g}?)" if 1 < share <= 100 else ""),
                id=initiative_id,
                column="benefit_share",
                value=share,
            )
        )
    return benefits[benefits["initiative_id"] == parent], name, share
