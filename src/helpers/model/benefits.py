"""The benefits register: an initiative's benefit built from its template's drivers.

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

Drawing: a driver's range is the same kind of range as any other
(``helpers.model.ranges``: low and high at the estimate confidence). What we do not
know about a driver (the true conversion uplift, say) is shared by every
beneficiary, so each driver gets one standard-normal score per simulation,
used for every beneficiary's range of that driver (comonotone). That is also
what makes "the value of knowing this driver" (EVPPI per driver) one number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.errors import InputError, Problem
from helpers.core.fmt import quantile_key
from helpers.load.benefit_templates import Template
from helpers.load.cells import Collector, cell_text, check_columns, suggest
from helpers.load.params import RegisterSource
from helpers.load.sources import read_register
from helpers.model.ranges import fit_range, transform_normals

REQUIRED_BENEFIT_COLUMNS = ("initiative_id", "beneficiary", "driver", "low", "high")
OPTIONAL_BENEFIT_COLUMNS = ("likely", "source")


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
    ``template``, ``unit`` (the driver's, from the template), ``row`` (the
    spreadsheet row). Raises InputError listing every problem with its row,
    id and column.
    """
    bad = Collector(frame)
    if not check_columns(frame, REQUIRED_BENEFIT_COLUMNS, OPTIONAL_BENEFIT_COLUMNS, bad):
        raise InputError(bad.problems)
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
    for column in ("low", "likely", "high"):
        out[column] = bad.number(frame, column, ids)
    out["source"] = [cell_text(v) for v in frame["source"]] if "source" in frame else [""] * n
    out["row"] = np.array([bad.row_number(i) for i in range(n)], dtype=int)
    template_of = initiative_templates(initiatives)
    known_ids = [str(i) for i in initiatives["id"]]
    out["template"] = [template_of.get(id_) or "" for id_ in ids]
    seen: dict[tuple[str, str, str], int] = {}
    out["unit"] = [
        _check_row(i, values, template_of, known_ids, templates, seen, bad)
        for i, values in enumerate(zip(ids, out["beneficiary"], out["driver"], strict=True))
    ]
    _check_ranges(out, bad)
    _check_complete(out, templates, bad)
    _check_templated_have_rows(out, initiatives, template_of, templates, bad)
    if bad.problems:
        raise InputError(bad.problems)
    return out


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
                f"{column} is negative ({value:g}): a driver is 0 or more; "
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
    from helpers.load.registers import INFORMS_INPUTS

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


@dataclass
class BenefitSimulation:
    """One initiative's annual benefit, per beneficiary and in total, per simulation.

    Arrays have one value per simulation, in the params' currency per year
    (driver draws in their own units). ``total`` is the sum of
    ``by_beneficiary`` draw by draw. ``driver_scores`` holds each driver's
    standard-normal score (shared by every beneficiary; zeros when the driver
    is a point value for all of them): bin on it for the value of knowing the
    driver. ``evidence`` lists each row used: beneficiary, driver, unit, low,
    likely, high, source.
    """

    initiative_id: str
    template: str
    benefit_share: float
    total: np.ndarray
    by_beneficiary: dict[str, np.ndarray]
    drivers: dict[str, dict[str, np.ndarray]]  # beneficiary -> driver -> draws
    driver_scores: dict[str, np.ndarray]
    evidence: list[dict[str, Any]]
    # the total from the stated driver ranges (``total`` itself when no driver is calibrated)
    stated_total: np.ndarray | None = None
    # the calibrated drivers: name -> {factor, n, weight} (``driver_calibration``)
    calibrated_drivers: dict[str, dict[str, float]] = field(default_factory=dict)


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


def simulate_benefit(
    rows: pd.DataFrame,
    template: Template,
    *,
    rng: np.random.Generator,
    simulations: int,
    confidence: float,
    benefit_share: float = 1.0,
    initiative_id: str | None = None,
    calibrated_drivers: Mapping[str, Mapping[str, float]] | None = None,
) -> BenefitSimulation:
    """Simulate the annual benefit of one initiative from its benefits ``rows``.

    ``rows`` are canonical benefits rows (``validate_benefits``) of one
    initiative, all for ``template``. Draws one standard-normal score per
    driver (template order, ``simulations`` each, from ``rng``), maps it through
    each beneficiary's range of that driver (stated at ``confidence``),
    multiplies the volume drivers by ``benefit_share`` (a fraction) and
    evaluates the formula per beneficiary. Currency per year.

    ``calibrated_drivers`` (``driver_calibration.driver_factors``): each named
    driver's draws are multiplied by its ``factor`` (its track record); then
    ``total`` is the calibrated benefit and ``stated_total`` the one from the
    stated ranges, from the same draws.
    """
    n = int(simulations)
    ident = initiative_id or (str(rows["initiative_id"].iloc[0]) if len(rows) else "")
    if not 0 < benefit_share <= 1:
        raise InputError(
            f"initiative {ident}: benefit_share must be above 0 and at most 1, "
            f"got {benefit_share:g}"
        )
    scores = {name: rng.standard_normal(n) for name in template.driver_names}
    varies = dict.fromkeys(template.driver_names, False)
    factors = {name: float(entry["factor"]) for name, entry in (calibrated_drivers or {}).items()}
    by_beneficiary: dict[str, np.ndarray] = {}
    stated_parts: list[np.ndarray] = []
    drivers: dict[str, dict[str, np.ndarray]] = {}
    evidence: list[dict[str, Any]] = []
    for beneficiary, group in rows.groupby("beneficiary", sort=False):
        values: dict[str, np.ndarray] = {}
        for row in group.to_dict("records"):
            driver = row["driver"]
            likely = None if pd.isna(row.get("likely")) else float(row["likely"])
            fitted = fit_range(
                row["low"],
                likely,
                row["high"],
                confidence=confidence,
                name=f"initiative {ident}, beneficiary {beneficiary}, driver {driver}",
            )
            varies[driver] |= fitted.constant is None
            draws = transform_normals(fitted, scores[driver])
            if template.driver(driver).volume:
                draws = draws * benefit_share
            values[driver] = draws
            evidence.append(
                {
                    "beneficiary": beneficiary,
                    "driver": driver,
                    "unit": template.driver(driver).unit,
                    "low": float(row["low"]),
                    "likely": likely,
                    "high": float(row["high"]),
                    "source": row.get("source") or "",
                }
            )
        missing = [d for d in template.driver_names if d not in values]
        if missing:
            raise InputError(
                f"initiative {ident}, beneficiary {beneficiary}: no rows for driver(s) "
                f"{', '.join(missing)} of template {template.name}"
            )
        if factors:
            stated_parts.append(np.broadcast_to(template.evaluate(values), (n,)))
            values = {name: draws * factors.get(name, 1.0) for name, draws in values.items()}
        drivers[beneficiary] = values
        by_beneficiary[beneficiary] = np.broadcast_to(template.evaluate(values), (n,)).copy()
    if not by_beneficiary:
        raise InputError(f"initiative {ident}: no benefits rows for template {template.name}")
    total = np.sum(np.stack(list(by_beneficiary.values())), axis=0)
    return BenefitSimulation(
        initiative_id=ident,
        template=template.name,
        benefit_share=float(benefit_share),
        total=total,
        by_beneficiary=by_beneficiary,
        drivers=drivers,
        driver_scores={name: (z if varies[name] else np.zeros(n)) for name, z in scores.items()},
        evidence=evidence,
        stated_total=np.sum(np.stack(stated_parts), axis=0) if factors else total,
        calibrated_drivers={
            name: dict(entry) for name, entry in (calibrated_drivers or {}).items()
        },
    )


def summarise_benefit(
    sim: BenefitSimulation, quantiles: Sequence[float] | None = None
) -> dict[str, Any]:
    """The benefit document: ``mean`` and quantiles of the total, and per beneficiary
    (``by_beneficiary.<name>``) the same plus ``share`` (its mean ÷ the total's mean).

    Quantile keys are strings such as ``"0.5"``; currency per year.
    """
    if quantiles is None:
        from helpers.model.business_case import (
            QUANTILES,  # here: business_case may import this module
        )

        quantiles = QUANTILES
    total_mean = float(np.mean(sim.total))
    document = _stats(sim.total, quantiles)
    document["by_beneficiary"] = {
        name: {
            **_stats(draws, quantiles),
            "share": float(np.mean(draws)) / total_mean if total_mean else None,
        }
        for name, draws in sim.by_beneficiary.items()
    }
    return document


def _stats(values: np.ndarray, quantiles: Sequence[float]) -> dict[str, Any]:
    levels = sorted(float(q) for q in quantiles)
    return {
        "mean": float(np.mean(values)),
        **{
            quantile_key(q): float(v)
            for q, v in zip(levels, np.quantile(values, levels), strict=True)
        },
    }


# --- which assumption to test first ----------------------------------------------


def evppi_by_driver(
    npv: np.ndarray, driver_draws: Mapping[str, np.ndarray], *, bins: int | None = None
) -> dict[str, float]:
    """EVPPI of each driver (currency): the value of knowing it before fund-or-not.

    ``npv`` is the initiative's NPV per simulation and ``driver_draws`` each
    driver's draws (or its scores, ``BenefitSimulation.driver_scores``) in the
    same simulation order. Binning as ``business_case.partial_value_of_information``.
    Largest first.
    """
    from helpers.model.business_case import (  # here: business_case may import this module
        EVPPI_BINS,
        partial_value_of_information,
    )

    values = {
        name: partial_value_of_information(npv, draws, bins=bins or EVPPI_BINS)
        for name, draws in driver_draws.items()
    }
    return dict(sorted(values.items(), key=lambda item: -item[1]))


def driver_to_test(evppi: Mapping[str, float]) -> str | None:
    """The driver worth measuring first: the highest EVPPI (None when none is worth anything)."""
    best = max(evppi.items(), key=lambda item: item[1], default=None)
    return best[0] if best is not None and best[1] > 0 else None


# --- what a lean variant measures ------------------------------------------------

INFORMS_STATED = "stated"  # the lean row's ``informs`` column named the inputs
INFORMS_TOP_DRIVER = "top_evppi_driver"  # the full case's driver with the highest EVPPI
INFORMS_BENEFIT = "benefit"  # the default without drivers: the full initiative's benefit


def resolve_informs(
    stated: Sequence[str], full_npv: np.ndarray, full_detail: BenefitSimulation | None
) -> tuple[tuple[str, ...], str]:
    """What a lean variant's POC measures of its full initiative, and why: (names, basis).

    ``stated``: the lean row's ``informs`` (inputs such as ``benefit``); when given
    it wins (basis :data:`INFORMS_STATED`). Otherwise, when the full initiative
    draws its benefit from template drivers (``full_detail``, with ``full_npv`` its
    NPV per simulation), the driver with the highest EVPPI of the full case
    (:func:`evppi_by_driver`, the figure its case reports; basis
    :data:`INFORMS_TOP_DRIVER`). Else, or when no driver could change the
    decision, the full initiative's benefit (basis :data:`INFORMS_BENEFIT`).
    Deterministic: the full case's simulation fixes it, so the lean case, the
    full case and selection (which reads the lean case) name the same driver.
    """
    if stated:
        return tuple(stated), INFORMS_STATED
    if full_detail is not None:
        top = driver_to_test(evppi_by_driver(full_npv, full_detail.driver_scores))
        if top is not None:
            return (top,), INFORMS_TOP_DRIVER
    return ("benefit",), INFORMS_BENEFIT
