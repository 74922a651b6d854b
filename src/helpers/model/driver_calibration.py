"""Calibration of benefit drivers against the driver values outcomes record.

An outcome of a templated initiative may record realised driver values (the
outcomes register's ``;``-separated ``driver`` and ``value`` lists, one row per
initiative, read into ``drivers`` = {name: value} by ``outcomes.validate_outcomes``).
Each is joined to the estimate made at decision time: the driver's rows in the
benefits register of the quarter that funded it, as kept in its **ledger entry**
(``params/approved/<Q>/``, ``helpers.load.ledger``), never the register as it is today
and never anything under ``reports/``. A row's
estimate is its ``likely``, else √(low·high), as for the other metrics
(``outcomes.estimate_of``). A driver stated by several beneficiaries is compared
with their combined estimate, combined as the review combines them
(``review.combine_beneficiaries``: added for a volume driver, averaged for any
other). A lean variant that inherited its full initiative's rows compares with
those rows, its volume drivers times its ``benefit_share``.

Per **template and driver** (a ratio learnt on one template's driver is never
applied to another template's driver of the same name: an email's conversion uplift
per email is not a web page's per session), with n usable ratios r = realised ÷
estimate, μ their mean log ratio and w = n ÷ (n + n0) the credibility weight
(n0 = :data:`DRIVER_N0`), new ranges of that driver are multiplied by the **factor**
exp(w·μ): the track record's geometric-mean ratio, shrunk toward 1 (no correction)
while outcomes are few (one outcome: a quarter of the way; ten: three quarters).

Combined with the class calibration, not switched for it
(``benefits.calibrate_total``): the class's benefit calibration of the total (the
empirical rule, as for a benefit stated as one range) is kept on the part of the
benefit's stated uncertainty that the calibrated drivers do not carry, weighted by
their credibility. With s_d the share of the stated total's (rank) variance that
driver d carries and c = Σ_d w_d·s_d, the calibrated benefit per simulation is
S_f·(X_class ÷ S)^(1 − c): S the total from the stated drivers, S_f the same with the
calibrated drivers' draws times their factors, X_class the class calibration of S.
No calibrated driver (c = 0, S_f = S) gives the class calibration alone; a driver
carrying all of the uncertainty with a long record (c → 1) replaces it.

A value that already is a measurement (its ``source`` cites a POC or test,
``load.benefits.cites_measurement``) is not calibrated again: its rows keep the
stated range and do not count towards c.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.errors import InputError
from helpers.core.fmt import quantile_key
from helpers.core.levels import DRIVER_QUANTILES as QUANTILES
from helpers.load import ledger
from helpers.model.review import combine_beneficiaries, place_realised_driver

DRIVER_N0 = 3.0  # credibility of a driver's record: n outcomes get weight n / (n + 3)
RATIO_COLUMNS = (
    "driver",
    "id",
    "funded_in",
    "template",
    "beneficiaries",
    "estimate",
    "actual",
    "low",
    "high",
    "ratio",
    "stated",
    "volume",
    "share",
)


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


# --- realised ÷ estimated -----------------------------------------------------------


def driver_ratios(
    outcomes: pd.DataFrame,
    quarter: str,
    root: str | Path,
    *,
    volume_drivers: Mapping[str, tuple[str, ...]] | None = None,
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """Each recorded driver value beside the estimate of the quarter that funded it.

    ``outcomes``: the canonical outcomes register (``outcomes.validate_outcomes``);
    each row's ``drivers`` ({name: realised value}) gives one ratio per driver; rows
    without drivers are skipped. ``volume_drivers``: template name to its volume
    drivers (added across beneficiaries, scaled by a lean variant's
    ``benefit_share``). Returns (ratios, pending): ratios has :data:`RATIO_COLUMNS`
    (``estimate``, ``low`` and ``high`` combined over the beneficiaries stating the
    driver, whose rows are in ``stated``; ``ratio`` NaN when the estimate or the
    value is not positive); pending lists the others as ``{id, row, driver, reason}``.
    """

    rows: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    copies: dict[str, Any] = {}
    recorded = outcomes.iloc[:0]
    if "drivers" in outcomes:
        recorded = outcomes[[bool(found) for found in outcomes["drivers"]]]
    for outcome in recorded.to_dict("records"):
        ident = outcome["id"]

        def skip(reason: str, ident: str = ident, outcome: dict = outcome) -> None:
            pending.extend(
                {"id": ident, "row": int(outcome["row"]), "driver": driver, "reason": reason}
                for driver in sorted(outcome["drivers"])
            )

        funded_in = outcome.get("funded_in") or ledger.funding_quarter(ident, quarter, root)
        if not funded_in:
            skip(f"no approved quarter before {quarter} funded it: name it in funded_in")
            continue
        if funded_in not in copies:
            copies[funded_in] = ledger.approved_registers(root, funded_in)
        if copies[funded_in] is None or copies[funded_in]["benefits"] is None:
            skip(
                f"{funded_in} has no ledger entry with a benefits register: approve it "
                f"(`playbook approve {funded_in} --by NAME`) to record what it decided on"
            )
            continue
        initiatives, benefits = copies[funded_in]["initiatives"], copies[funded_in]["benefits"]
        match = initiatives[initiatives["id"] == ident]
        if match.empty:
            skip(f"the {funded_in} ledger entry has no initiative {ident!r}")
            continue
        for driver, value in sorted(outcome["drivers"].items()):
            found = _estimate(
                match.iloc[0].to_dict(), driver, initiatives, benefits, volume_drivers or {}
            )
            if isinstance(found, str):
                pending.append(
                    {"id": ident, "row": int(outcome["row"]), "driver": driver, "reason": found}
                )
                continue
            actual = float(value)
            estimate = found["estimate"]
            ratio = actual / estimate if estimate > 0 and actual > 0 else math.nan
            rows.append(
                {"driver": driver, "id": ident, "funded_in": funded_in, **found}
                | {"actual": actual, "ratio": ratio}
            )
    return pd.DataFrame(rows, columns=list(RATIO_COLUMNS)), pending


def _estimate(
    funded: dict[str, Any],
    driver: str,
    initiatives: pd.DataFrame,
    benefits: pd.DataFrame,
    volume_drivers: Mapping[str, tuple[str, ...]],
) -> dict[str, Any] | str:
    """One driver as stated at decision time, or why it cannot be found.

    Keys: ``estimate``, ``low``, ``high`` (combined over the beneficiaries stating it,
    ``review.combine_beneficiaries``), ``template``, ``beneficiaries`` (their names,
    ``; ``-separated), ``stated`` (their rows: low, likely or None, high), ``volume``
    and ``share`` (the lean variant's ``benefit_share`` applied to a volume driver).
    """

    ident = str(funded["id"])
    ids = benefits["initiative_id"].astype(str).str.strip()
    own = benefits[ids == ident]
    share, template = 1.0, str(funded.get("template") or "").strip().lower()
    if own.empty:
        parent = str(funded.get("variant_of") or "").strip()
        share = _number(funded.get("benefit_share"))
        if not parent or math.isnan(share):
            return f"the ledger's benefits register has no rows for {ident!r}"
        own = benefits[ids == parent]
        parents = initiatives[initiatives["id"] == parent]
        if not template and not parents.empty:
            template = str(parents.iloc[0].get("template") or "").strip().lower()
    rows = own[own["driver"].astype(str).str.strip().str.lower() == driver]
    if rows.empty:
        return f"the ledger entry states no driver {driver!r} for {ident!r}"
    stated = []
    for row in rows.to_dict("records"):
        low, high, likely = (_number(row.get(key)) for key in ("low", "high", "likely"))
        estimate = likely
        if math.isnan(estimate):
            estimate = math.sqrt(low * high) if low > 0 and high > 0 else math.nan
        stated.append(
            {
                "low": low,
                "likely": None if math.isnan(likely) else likely,
                "high": high,
                "estimate": estimate,
            }
        )
    volume = driver in volume_drivers.get(template, ())
    scale = share if volume else 1.0
    combined = {
        key: float(combine_beneficiaries([r[key] for r in stated], volume=volume, share=scale))
        for key in ("estimate", "low", "high")
    }
    return {
        **combined,
        "template": template,
        "beneficiaries": "; ".join(str(r).strip() for r in rows["beneficiary"]),
        "stated": [{k: r[k] for k in ("low", "likely", "high")} for r in stated],
        "volume": volume,
        "share": scale,
    }


def place_driver_values(ratios: pd.DataFrame, confidence: float) -> list[dict[str, Any]]:
    """Each realised driver value placed in the range stated at decision time.

    ``ratios`` from :func:`driver_ratios`; ``confidence`` the level the ranges were
    stated at (a fraction). The placement is the review's
    (``review.place_realised_driver``: the beneficiaries' rows combined, the value's
    percentile in that distribution). Per row: ``id``, ``driver``, ``estimate``,
    ``actual``, ``low``, ``high`` (the combined stated range, the driver's unit),
    ``ratio``, ``percentile`` (a fraction, 0.01..0.99; None when the range is not
    positive) and ``placement`` (``below``, ``within`` or ``above`` the range; None
    without one).
    """

    placed = []
    for row in ratios.to_dict("records"):
        actual = _number(row.get("actual"))
        low, high, percentile, placement = math.nan, math.nan, None, None
        stated = row.get("stated") or []
        where = None  # without a usable stated range the value cannot be placed
        if (
            stated
            and all(math.isfinite(r["low"]) and math.isfinite(r["high"]) for r in stated)
            and math.isfinite(actual)
        ):
            try:
                where = place_realised_driver(
                    actual,
                    stated,
                    volume=bool(row.get("volume")),
                    confidence=confidence,
                    share=_number(row.get("share")),
                )
            except InputError:
                where = None
        if where is not None:
            low, high = where["stated"]["low"], where["stated"]["high"]
            percentile = where["percentile"]
            placement = "below" if actual < low else "above" if actual > high else "within"
        placed.append(
            {
                "id": row["id"],
                "driver": row["driver"],
                "estimate": _number(row.get("estimate")),
                "actual": actual,
                "low": low,
                "high": high,
                "ratio": None if math.isnan(_number(row.get("ratio"))) else float(row["ratio"]),
                "percentile": percentile,
                "placement": placement,
            }
        )
    return placed


# --- the calibration block --------------------------------------------------------------


def calibrate_drivers(
    ratios: pd.DataFrame,
    *,
    n0: float = DRIVER_N0,
    pending: list[dict[str, Any]] | None = None,
    confidence: float = 0.9,
) -> dict[str, Any]:
    """The ``drivers`` block of ``calibration.json`` from :func:`driver_ratios`.

    ``by_template.<template>.<driver>``: ``n`` (usable ratios of that template's
    driver), ``ids``, ``quantiles`` of the ratio (keys like "0.5"),
    ``geometric_mean``, ``bias`` (mean log ratio), ``weight`` = n ÷ (n + n0) and
    ``factor`` = exp(weight·bias), what new ranges of the same template's driver are
    multiplied by. ``excluded``: rows whose estimate or value is not positive, or
    whose template is unknown; ``pending``: outcomes that could not be joined;
    ``values``: each realised value in its stated range (:func:`place_driver_values`,
    ranges stated at ``confidence``); ``rule``: how it combines with the class's
    benefit calibration (the module docstring).
    """
    finite = np.isfinite(ratios["ratio"].to_numpy(dtype=float)) if len(ratios) else None
    templated = (
        ratios["template"].astype(str).str.strip().ne("").to_numpy() if len(ratios) else None
    )
    usable = ratios[finite & templated] if len(ratios) else ratios
    by_template: dict[str, dict[str, Any]] = {}
    for (template, driver), group in usable.groupby(["template", "driver"], sort=True):
        values = group["ratio"].to_numpy(dtype=float)
        n = int(values.size)
        weight = n / (n + n0)
        bias = float(np.mean(np.log(values)))
        by_template.setdefault(str(template), {})[str(driver)] = {
            "n": n,
            "ids": sorted(group["id"].astype(str)),
            "quantiles": {
                quantile_key(q): float(v)
                for q, v in zip(QUANTILES, np.quantile(values, QUANTILES), strict=True)
            },
            "geometric_mean": float(math.exp(bias)),
            "bias": bias,
            "weight": float(weight),
            "factor": float(math.exp(weight * bias)),
        }
    excluded = []
    for row in ratios.to_dict("records") if len(ratios) else []:
        if not math.isfinite(_number(row["ratio"])):
            excluded.append((row, "estimate or value not positive"))
        elif not str(row["template"]).strip():
            excluded.append((row, "no template to calibrate"))
    return {
        "n0": float(n0),
        "by_template": by_template,
        "excluded": [
            {"id": str(r["id"]), "driver": str(r["driver"]), "reason": reason}
            for r, reason in excluded
        ],
        "pending": list(pending or []),
        "values": place_driver_values(ratios, confidence),
        "rule": (
            "per template and driver, weight n/(n+n0); the class's benefit calibration of "
            "the total is kept on the share of the stated uncertainty the calibrated drivers "
            "do not carry; a measured value is not calibrated again"
        ),
    }


def calibrate_quarter_drivers(inputs: Any) -> dict[str, Any]:
    """The ``drivers`` block for a quarter (``calibration.calibrate_quarter`` adds it):
    its outcomes' driver values against the ledger entries (``params/approved/<Q>/``),
    with :data:`DRIVER_N0`."""
    params = inputs.params
    outcomes = getattr(inputs, "outcomes", None)
    if outcomes is None or outcomes.empty or "drivers" not in outcomes:
        return calibrate_drivers(pd.DataFrame(columns=list(RATIO_COLUMNS)))
    volumes = {name: t.volume_drivers for name, t in (inputs.templates or {}).items()}
    root = Path(inputs.root)
    ratios, pending = driver_ratios(outcomes, params.quarter, root, volume_drivers=volumes)
    return calibrate_drivers(ratios, pending=pending, confidence=params.estimate_confidence)


# --- applying it to a new case ------------------------------------------------------------


def driver_factors(
    calibration: Mapping[str, Any] | None, template: str, drivers: tuple[str, ...]
) -> dict[str, dict]:
    """The calibrated drivers of ``template`` among ``drivers``: name to ``{factor, n, weight}``.

    Only ratios learnt on the same template count: a driver of the same name in
    another template is a different quantity. Empty without a calibration, without a
    ``drivers`` block (older artifacts, whose ``by_driver`` pooled templates, are
    ignored) or when none of them has a usable outcome.
    """
    block = ((calibration or {}).get("drivers") or {}).get("by_template") or {}
    own = block.get(str(template).strip().lower()) or {}
    return {
        name: {key: own[name][key] for key in ("factor", "n", "weight")}
        for name in drivers
        if name in own and own[name].get("n", 0) > 0
    }
