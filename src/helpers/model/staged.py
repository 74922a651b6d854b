"""Staged decisions, preposterior: a lean/POC version run first, the full initiative decided
on what it measured.

Timeline, in months from the decision (the horizon stays fixed):

- the lean version L is delivered after D_L months and earns its own share of
  the benefit from then on;
- its measurement is in at τ = median(D_L) + the measurement window (params
  ``lean_measurement_months``); then the full initiative F is decided and, if
  funded, starts at τ and goes live at τ + D_F;
- when F goes live, L's own benefit and run cost stop: F's benefit includes
  L's share, so it is counted once.

Measurement: L sees a share f of the data (its ``benefit_share``; without one,
its expected benefit ÷ F's), so it measures what it informs (a template
driver or an input of F, as its standard-normal score z, N(0, 1) before the
test) with error: it observes s = z + σ·ε, ε ~ N(0, 1), σ = σ₁ ÷ √f, where σ₁
is the error with all of the data (params ``lean_measurement_error``). σ₁ = 0,
perfect measurement, is the limit, not the default.

Preposterior, over F's simulations: each draw gets its signal s; the gain of
funding F at τ, Δ = NPV_F delayed by τ − the present value of L's operating
flows after F goes live (L's benefit paired with F's by rank), is regressed on
the signals (``information.conditional_mean``); F is funded where E[Δ | s] > 0;
the value realised is the true Δ. So

    value = E[NPV_L] + E[1{E[Δ | s] > 0} · Δ]    (currency)

and with perfect, immediate measurement it is the old rule E[NPV_L] +
E[max(E[NPV_F | z], 0)] less the double count.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from helpers.core.errors import InputError
from helpers.model.benefits import resolve_informs
from helpers.model.cashflow import weeks_to_months
from helpers.model.information import conditional_mean
from helpers.model.simulation import CaseSimulation


def staged_value(full: CaseSimulation, lean: CaseSimulation) -> dict:
    """The value of funding ``lean`` now and deciding ``full`` on what it measures (currency).

    Keys: ``value`` (``lean_npv`` + ``follow_up_value``); ``lean_npv`` (E[NPV_L], L
    run to the horizon); ``follow_up_value`` (E[1{fund F} · Δ]: F's delayed NPV
    where it is funded, less L's own value after F goes live there);
    ``lean_value_replaced`` (that last part, E[1{fund F} · L after F is live]);
    ``full_funded_share`` (the chance F is funded after the test); ``full_npv``,
    ``full_npv_delayed``; ``delay_months`` (τ), ``lean_duration_months``
    (median D_L), ``measurement_months``; ``measurement_share`` (f),
    ``measurement_error`` (σ, in standard deviations of what it measures),
    ``measurement_error_full_data`` (σ₁), ``information_share`` (1 ÷ (1 + σ²): the
    share of the uncertainty about what it measures that the test removes);
    ``informs``, ``informs_basis`` (``benefits.resolve_informs``), ``full_id``,
    ``lean_id``.
    """
    informs, basis = resolve_informs(lean.informs, full.npv, full.benefit_detail)
    lean_months = float(np.median(weeks_to_months(lean.draws["duration"])))
    delay = decision_delay_months(lean)
    delayed = np.asarray(
        full.model(
            benefit=full.draws["benefit"], cost=full.draws["cost"], duration=full.draws["duration"]
        ).npv_delayed(delay),
        dtype=float,
    )
    delayed = np.broadcast_to(delayed, full.npv.shape)
    live = delay + weeks_to_months(full.draws["duration"])
    replaced = lean_value_after(full, lean, live)
    gain = delayed - replaced
    share = measurement_share(full, lean)
    error = lean.lean_measurement_error / math.sqrt(share)
    rng = np.random.default_rng(
        [lean.seed, zlib.crc32(full.id.encode()), zlib.crc32(lean.id.encode())]
    )
    signals = []
    for name in informs:
        noise = rng.standard_normal(gain.size)  # drawn for every name: streams stay aligned
        scores = informs_scores(full, name)
        if scores is not None:  # a constant input or driver tells nothing
            signals.append(scores + error * noise)
    funded = conditional_mean(gain, signals) > 0
    lean_npv = float(np.mean(lean.npv))
    follow_up = float(np.mean(np.where(funded, gain, 0.0)))
    return {
        "lean_id": lean.id,
        "full_id": full.id,
        "informs": list(informs),
        "informs_basis": basis,
        "delay_months": delay,
        "lean_duration_months": lean_months,
        "measurement_months": float(lean.lean_measurement_months),
        "measurement_share": share,
        "measurement_error": error,
        "measurement_error_full_data": float(lean.lean_measurement_error),
        "information_share": 1.0 / (1.0 + error * error),
        "lean_npv": lean_npv,
        "follow_up_value": follow_up,
        "lean_value_replaced": float(np.mean(np.where(funded, replaced, 0.0))),
        "full_funded_share": float(np.mean(funded)),
        "full_npv": float(np.mean(full.npv)),
        "full_npv_delayed": float(np.mean(delayed)),
        "value": lean_npv + follow_up,
    }


def decision_delay_months(lean: CaseSimulation) -> float:
    """Months from now until the full initiative is decided after ``lean``: its median
    delivery time plus the measurement window (params ``lean_measurement_months``)."""
    return float(np.median(weeks_to_months(lean.draws["duration"]))) + float(
        lean.lean_measurement_months
    )


def measurement_share(full: CaseSimulation, lean: CaseSimulation) -> float:
    """The share of the data ``lean`` measures on (a fraction in (0, 1]): its
    ``benefit_share`` when it inherits ``full``'s drivers at one, else its expected
    benefit ÷ the full initiative's, else 1 (a test that earns nothing of its own)."""
    detail = lean.benefit_detail
    if detail is not None and 0 < detail.benefit_share < 1:
        return float(detail.benefit_share)
    full_mean = float(np.mean(full.draws["benefit"]))
    lean_mean = float(np.mean(lean.draws["benefit"]))
    if full_mean > 0 and lean_mean > 0:
        return min(lean_mean / full_mean, 1.0)
    return 1.0


def lean_value_after(full: CaseSimulation, lean: CaseSimulation, live: np.ndarray) -> np.ndarray:
    """Present value (today, currency) of ``lean``'s benefit less run cost from month
    ``live`` (one per simulation of ``full``) to the horizon: what it stops earning when
    the full initiative goes live. Its benefit is paired with the full one's by rank
    (the same world: a full initiative worth more has a pilot worth more); its delivery
    time is its own draw."""
    n = np.size(live)
    benefit = _paired(np.asarray(lean.draws["benefit"], float), full.draws["benefit"])
    duration = np.resize(np.asarray(lean.draws["duration"], float), n)
    operating = lean.model(benefit=benefit, cost=0.0, duration=duration)
    return np.asarray(operating.npv() - operating.cumulative(live), dtype=float)


def informs_scores(full: CaseSimulation, name: str) -> np.ndarray | None:
    """The standard-normal scores of the full initiative's input or template driver ``name``
    (None when it is constant, so measuring it tells nothing)."""
    detail = full.benefit_detail
    if detail is not None and name in detail.driver_scores:
        scores = detail.driver_scores[name]
        return scores if np.any(scores != 0) else None
    if name not in full.sampled:
        raise InputError(
            f"initiative {full.id}: a lean variant's informs names {name!r}, which is neither "
            f"an input ({', '.join(full.sampled)}) nor a driver of {full.id}'s benefit template"
        )
    sampled = full.sampled[name]
    if sampled is None or sampled.low == sampled.high:
        return None
    return full.normals[name]


def _paired(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``values`` reordered to rise with ``reference`` (its sorted draws at the reference's
    ranks), resized to the reference's length."""
    reference = np.asarray(reference, dtype=float)
    ranks = np.empty(reference.size, dtype=np.intp)
    ranks[np.argsort(reference, kind="stable")] = np.arange(reference.size)
    ordered = np.sort(np.broadcast_to(values, values.shape).ravel())
    if ordered.size == 0:
        return np.zeros(reference.size)
    return ordered[(ranks * ordered.size) // max(reference.size, 1)]
