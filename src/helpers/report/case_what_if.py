"""The what-if panel of a business case (JupyterLab): sliders that start at the case's own
ranges, and the headline re-simulated when one moves; unchanged, it is the case."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from helpers.core.fmt import fmt_money, fmt_weeks
from helpers.load.params import Params
from helpers.model import business_case
from helpers.report.case import Case, headline
from helpers.report.labels import (
    input_label,
)


def what_if_bounds(
    initiative: Mapping[str, Any], case: Case | None = None
) -> dict[str, dict[str, Any]]:
    """Slider settings (min, max, step, value, description) for benefit, cost and duration.

    ``initiative`` is a canonical register row; the sliders start at its stated
    ranges (money in the register's currency, duration in weeks). A templated
    initiative states no benefit range: with its ``case`` document the benefit
    slider starts at the range its drivers give (``inputs.stated.benefit``). The
    step is a round number (1, 2 or 5 times a power of ten) near a 300th of the
    range, so stated values such as 80,000 sit on a step and are never moved by
    snapping. The sliders start exactly at the stated values, so the unchanged
    what-if is the case (:func:`what_if_table`): ``min`` is one step, or the stated
    low when that is lower.
    """
    bounds = {}
    fallback = float(initiative.get("cost_high", 1.0))
    for name in business_case.NPV_INPUTS:
        stated = business_case.stated_range(initiative, name)
        if stated is None and case is not None and case["inputs"]["stated"].get(name):
            stated = business_case.Range(**case["inputs"]["stated"][name])
        low, high = (stated.low, stated.high) if stated else (0.0, 0.0)
        top = 3.0 * high if high > 0 else 3.0 * fallback
        step = _round_step(top / 300.0)
        top = step * math.ceil(top / step)
        bounds[name] = {
            "min": min(step, low) if stated else step,
            "max": top,
            "step": step,
            "value": (low, high) if stated else (step, step),
            "description": input_label(name),
        }
    return bounds


def _round_step(raw: float) -> float:
    """The round number (1, 2 or 5 times a power of ten) nearest above ``raw`` (> 0)."""
    if not raw > 0 or not math.isfinite(raw):
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))


def _what_if_value_text(name: str, value: float, currency: str) -> str:
    """A slider's value as the report says it: money in full, duration in weeks."""
    return fmt_weeks(value) if name == "duration" else fmt_money(value, currency, compact=False)


def what_if_panel(
    initiative: Mapping[str, Any],
    params: Params,
    calibration: dict | None = None,
    *,
    related: Sequence[Mapping[str, Any]] = (),
    benefits: Any = None,
    case: Case | None = None,
) -> Any:
    """The what-if panel for JupyterLab (an ipywidgets ``VBox``): two sliders per input.

    ``benefits`` and ``case`` as for :func:`what_if_table` and :func:`what_if_bounds`
    (a templated benefit's drivers; the case document its sliders start from).

    Each range (benefit and cost in the quarter's currency, duration in weeks)
    has its own low and high slider, so moving one bound never moves the other;
    each shows its value formatted beside it and its full label above. The
    headline table below (``panel.result``, an HTML widget) re-simulates with
    :func:`what_if_table` when a slider is released; a slider within half a step of
    where it started counts as unmoved (a front end may round a start such as a
    drivers' range to its step), so the panel opens on the case's own figures. A
    low above its high is said in words instead of a table.
    """
    import ipywidgets as widgets

    currency = params.currency
    bounds = what_if_bounds(initiative, case)
    label_style = {"description_width": "0"}
    sliders: dict[tuple[str, str], Any] = {}
    rows = []
    for name, spec in bounds.items():
        rows.append(widgets.HTML(f"<b>{escape(spec['description'])}</b>"))
        for side, value in zip(("low", "high"), spec["value"], strict=True):
            slider = widgets.FloatSlider(
                value=value,
                min=spec["min"],
                max=spec["max"],
                step=spec["step"],
                readout=False,
                continuous_update=False,
                description="",
                style=label_style,
                layout=widgets.Layout(width="22rem"),
            )
            shown = widgets.Label(_what_if_value_text(name, value, currency))

            def show(change, name=name, shown=shown):
                shown.value = _what_if_value_text(name, change["new"], currency)

            slider.observe(show, names="value")
            sliders[name, side] = slider
            rows.append(
                widgets.HBox(
                    [widgets.Label(side, layout=widgets.Layout(width="3rem")), slider, shown]
                )
            )
    result = widgets.HTML()

    def update(_change=None) -> None:
        ranges = {
            name: tuple(
                _unless_moved(sliders[name, side].value, start, bounds[name]["step"])
                for side, start in zip(("low", "high"), bounds[name]["value"], strict=True)
            )
            for name in bounds
        }
        crossed = [
            f"{bounds[name]['description']}: low {_what_if_value_text(name, low, currency)} "
            f"is above high {_what_if_value_text(name, high, currency)}"
            for name, (low, high) in ranges.items()
            if low > high
        ]
        if crossed:
            result.value = (
                f"<p>{escape('; '.join(crossed))}. Move the low slider below the high one.</p>"
            )
            return
        table = what_if_table(
            initiative, params, calibration, related=related, benefits=benefits, **ranges
        )
        result.value = table.to_html()

    for slider in sliders.values():
        slider.observe(update, names="value")
    update()
    panel = widgets.VBox([*rows, result])
    panel.result = result
    panel.sliders = sliders
    return panel


def _unless_moved(value: float, start: float, step: float) -> float:
    """A slider's start when ``value`` is within half a step of it, else ``value``."""
    return start if abs(value - start) < step / 2.0 else value


def what_if_case(
    initiative: Mapping[str, Any],
    params: Params,
    calibration: dict | None = None,
    *,
    benefit: tuple[float, float],
    cost: tuple[float, float],
    duration: tuple[float, float],
    related: Sequence[Mapping[str, Any]] = (),
    benefits: Any = None,
) -> dict[str, Any]:
    """Re-simulate with new (low, high) ranges and return the case document.

    Ranges are as stated (benefit and cost in currency, duration in weeks); the
    case is simulated as the notebook's headline is, with the same seed, number of
    simulations, calibration (applied on top of the ranges), related variants and
    benefit drivers, so ranges equal to the case's stated ones (``what_if_bounds``)
    give exactly the case. A stated likely value is kept when it still lies
    inside the new range. A benefit drawn from template drivers (``benefits``,
    ``QuarterInputs.benefit_inputs()``; a lean variant's share of its full
    initiative's drivers too) keeps them: a new benefit range stretches the
    drivers' draws on the log scale so their low and high land on the new ones
    (``business_case.simulate_case``'s ``benefit_range``), keeping the shape of
    their distribution and the calibration of their total.
    """
    changed = dict(initiative)
    for name, (low, high) in (("benefit", benefit), ("cost", cost), ("duration", duration)):
        likely = float(changed.get(f"{name}_likely", math.nan))
        changed[f"{name}_low"], changed[f"{name}_high"] = float(low), float(high)
        if not (low <= likely <= high):  # NaN (no likely value) stays NaN
            changed[f"{name}_likely"] = math.nan
    sim = business_case.simulate_case(
        changed,
        params,
        calibration,
        related=related,
        benefits=benefits,
        benefit_range=(float(benefit[0]), float(benefit[1])),
    )
    return business_case.summarise_case(sim)


def what_if_table(
    initiative: Mapping[str, Any],
    params: Params,
    calibration: dict | None = None,
    *,
    benefit: tuple[float, float],
    cost: tuple[float, float],
    duration: tuple[float, float],
    related: Sequence[Mapping[str, Any]] = (),
    benefits: Any = None,
) -> Any:
    """The headline table (a Styler) of :func:`what_if_case` with these ranges: with the
    case's stated ranges, the case's own headline."""
    case = what_if_case(
        initiative,
        params,
        calibration,
        benefit=benefit,
        cost=cost,
        duration=duration,
        related=related,
        benefits=benefits,
    )
    return headline(case, tag=False)
