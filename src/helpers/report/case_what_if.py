"""The what-if panel of a business case (JupyterLab): sliders that start at the case's own
ranges and, for a benefit drawn from template drivers, a low / likely / high box per driver
of each beneficiary; the case re-simulated when one changes and shown beside the case's own
figures. Unchanged, the what-if is the case."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from html import escape
from typing import Any

import pandas as pd

from helpers.core.errors import InputError
from helpers.core.fmt import fmt_money, fmt_pct, fmt_weeks, quantile_key
from helpers.load.benefits import BenefitInputs
from helpers.load.params import Params
from helpers.model import business_case
from helpers.report.case import Case, headline
from helpers.report.labels import driver_label, input_label, level_label
from helpers.report.tables import styled_table

DriverKey = tuple[str, str]  # (beneficiary, driver) as the case's benefit_drivers name them
DriverRange = tuple[float, float | None, float]  # low, likely (None: not stated), high
DRIVER_SIDES = ("low", "likely", "high")


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
    for name, stated in _stated_ranges(initiative, case).items():
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


def _stated_ranges(
    initiative: Mapping[str, Any], case: Case | None
) -> dict[str, business_case.Range | None]:
    """Each NPV input's stated range: the register row's, else (a templated benefit)
    the one the ``case`` document's drivers give; None when neither states one."""
    ranges = {}
    for name in business_case.NPV_INPUTS:
        stated = business_case.stated_range(initiative, name)
        if stated is None and case is not None and case["inputs"]["stated"].get(name):
            stated = business_case.Range(**case["inputs"]["stated"][name])
        ranges[name] = stated
    return ranges


def _round_step(raw: float) -> float:
    """The round number (1, 2 or 5 times a power of ten) nearest above ``raw`` (> 0)."""
    if not raw > 0 or not math.isfinite(raw):
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))


def _what_if_value_text(name: str, value: float, currency: str) -> str:
    """A slider's value as the report says it: money in full, duration in weeks."""
    return fmt_weeks(value) if name == "duration" else fmt_money(value, currency, compact=False)


def driver_boxes(case: Case) -> dict[DriverKey, dict[str, Any]]:
    """The driver boxes of a templated case: per (beneficiary, driver), its stated ``low``,
    ``likely`` (None when not stated) and ``high`` and its ``label`` (name and unit).

    From the case document's ``benefit_drivers`` (the evidence table the page shows; a
    lean variant's are its full initiative's, before its benefit share). Empty for a
    benefit stated as one range.
    """
    boxes = {}
    for row in case.get("benefit_drivers") or ():
        likely = row.get("likely")
        boxes[row["beneficiary"], row["driver"]] = {
            "low": float(row["low"]),
            "likely": None if likely is None or math.isnan(float(likely)) else float(likely),
            "high": float(row["high"]),
            "label": f"{driver_label(row['driver'])} ({row['unit']})",
        }
    return boxes


def driver_text(value: float | None) -> str:
    """A driver value as its box shows it: ``200,000``, ``0.00022``; blank for none."""
    return "" if value is None or math.isnan(value) else f"{value:,.12g}"


def parse_driver(text: str) -> float | None:
    """A driver box's text as a number (``200,000`` and ``2.2e-4`` read); None when blank.

    Raises ValueError saying what was not a number.
    """
    cleaned = re.sub(r"[,\s_]", "", text)
    if cleaned in ("", "-", "–"):
        return None
    try:
        return float(cleaned)
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number") from None


def driver_problems(drivers: Mapping[DriverKey, DriverRange]) -> list[str]:
    """What is wrong with what-if driver ranges, one phrase each (empty: none)."""
    problems = []
    for (beneficiary, driver), (low, likely, high) in drivers.items():
        name = f"{beneficiary}, {driver_label(driver)}"
        if min(low, high, likely if likely is not None else low) < 0:
            problems.append(f"{name}: a driver is 0 or more")
        elif low > high:
            problems.append(f"{name}: low {driver_text(low)} is above high {driver_text(high)}")
        elif likely is not None and not low <= likely <= high:
            problems.append(f"{name}: likely {driver_text(likely)} is outside low–high")
    return problems


def with_drivers(
    benefits: BenefitInputs, initiative_id: str, drivers: Mapping[DriverKey, DriverRange]
) -> BenefitInputs:
    """``benefits`` with the driver rows an initiative draws from set to new ranges.

    ``drivers``: (beneficiary, driver) to (low, likely or None, high), in the driver's
    unit. A lean variant's rows are its full initiative's, so both move alike (its
    benefit share still applies). Raises InputError naming an unknown driver or an
    initiative without template drivers.
    """
    plan = benefits.plan(initiative_id)
    if plan is None:
        raise InputError(f"initiative {initiative_id} draws no benefit from template drivers")
    rows = plan[0]
    register = benefits.register.copy()
    owner = register["initiative_id"] == rows["initiative_id"].iloc[0]
    for (beneficiary, driver), (low, likely, high) in drivers.items():
        at = owner & (register["beneficiary"] == beneficiary) & (register["driver"] == driver)
        if not at.any():
            pairs = zip(rows["beneficiary"], rows["driver"], strict=True)
            known = ", ".join(f"{b}: {d}" for b, d in pairs)
            raise InputError(
                f"initiative {initiative_id} has no driver {driver!r} for {beneficiary!r}; "
                f"its drivers: {known}"
            )
        register.loc[at, "low"] = float(low)
        register.loc[at, "likely"] = math.nan if likely is None else float(likely)
        register.loc[at, "high"] = float(high)
    return replace(benefits, register=register)


def what_if_comparison(case: Case, what_if: Case) -> Any:
    """The case's figures beside the what-if's (a Styler): expected NPV, chance of a loss,
    expected annual benefit and cost at P50 and at the budget's level, money in full."""
    level = case["budget_confidence"]
    key = quantile_key(level)

    def money(value: float) -> str:
        return fmt_money(value, case["currency"], compact=False)

    def figures(document: Case) -> list[str]:
        return [
            money(document["npv"]["mean"]),
            fmt_pct(document["prob_loss"]),
            money(document["benefit"]["mean"]),
            f"{money(document['cost']['0.5'])} / {money(document['cost'][key])}",
        ]

    labels = [
        "Expected NPV",
        "Chance of a loss",
        f"{input_label('benefit')}, expected",
        f"Cost, P50 / {level_label(level)}",
    ]
    frame = pd.DataFrame({"figure": labels, "case": figures(case), "what-if": figures(what_if)})
    return styled_table(frame, name=f"what-if {case['id']}")


def what_if_panel(
    initiative: Mapping[str, Any],
    params: Params,
    calibration: dict | None = None,
    *,
    related: Sequence[Mapping[str, Any]] = (),
    benefits: Any = None,
    case: Case | None = None,
) -> Any:
    """The what-if panel for JupyterLab (an ipywidgets ``VBox``).

    ``benefits`` and ``case`` as for :func:`what_if_case` and :func:`what_if_bounds`
    (a templated benefit's drivers; the case document the controls start from and
    the table compares with).

    Cost (in the quarter's currency) and duration (weeks) have a low and a high
    slider each, so moving one bound never moves the other; each shows its value
    formatted beside it and its full label above. A benefit stated as one range
    has its two sliders too; a benefit drawn from template drivers has instead one
    row per driver of each beneficiary (:func:`driver_boxes`) with a low, likely and
    high box (``panel.drivers[beneficiary, driver, side]``, text read by
    :func:`parse_driver`). The table below (``panel.result``, an HTML widget) puts
    the case's figures beside the what-if's (:func:`what_if_comparison`),
    re-simulated by :func:`what_if_case` when a slider is released or a box is
    left. A slider within half a step of where it started, or a box with its
    starting text, counts as unchanged (a front end may round a start to its
    step), so the panel opens with the what-if equal to the case. A low above
    its high, or a box that is not a number, is said in words instead of a table.
    """
    import ipywidgets as widgets

    currency = params.currency
    bounds = what_if_bounds(initiative, case)
    boxes = driver_boxes(case) if case is not None and benefits is not None else {}
    if boxes:
        del bounds["benefit"]  # the drivers say the benefit
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
    driver_rows, drivers = _driver_rows(widgets, boxes)
    rows += driver_rows
    result = widgets.HTML()
    before = case

    def update(_change=None) -> None:
        nonlocal before
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
        moved, problems = _read_drivers(boxes, drivers)
        if crossed or problems:
            advice = " Move the low slider below the high one." if crossed else ""
            result.value = f"<p>{escape('; '.join(crossed + problems))}.{advice}</p>"
            return
        try:
            what_if = what_if_case(
                initiative,
                params,
                calibration,
                related=related,
                benefits=benefits,
                drivers=moved or None,
                **ranges,
            )
        except InputError as exc:
            result.value = f"<p>{escape(str(exc))}</p>"
            return
        if before is None:
            before = what_if
        result.value = what_if_comparison(before, what_if).to_html()

    for control in (*sliders.values(), *drivers.values()):
        control.observe(update, names="value")
    update()
    panel = widgets.VBox([*rows, result])
    panel.result = result
    panel.sliders = sliders
    panel.drivers = drivers
    return panel


def _driver_rows(widgets: Any, boxes: Mapping[DriverKey, Mapping[str, Any]]) -> tuple[list, dict]:
    """The panel's rows for template drivers: a heading, then per beneficiary its name over
    one row per driver (its label and unit, then a low, likely and high text box); and
    the boxes by (beneficiary, driver, side). No rows when there are no drivers."""
    if not boxes:
        return [], {}
    rows: list[Any] = [
        widgets.HTML(
            f"<b>{escape(input_label('benefit'))}: its drivers</b> "
            "(low, likely and high, in each driver's unit)"
        )
    ]
    drivers: dict[tuple[str, str, str], Any] = {}
    box_layout, name_layout = widgets.Layout(width="9rem"), widgets.Layout(width="24rem")
    for beneficiary in dict.fromkeys(b for b, _ in boxes):
        heading = [widgets.HTML(f"<i>{escape(beneficiary)}</i>", layout=name_layout)]
        rows.append(
            widgets.HBox(heading + [widgets.Label(s, layout=box_layout) for s in DRIVER_SIDES])
        )
        for (owner, driver), spec in boxes.items():
            if owner != beneficiary:
                continue
            texts = []
            for side in DRIVER_SIDES:
                text = widgets.Text(
                    value=driver_text(spec[side]),
                    placeholder="none" if side == "likely" else "",
                    continuous_update=False,
                    layout=box_layout,
                    tooltip=f"{beneficiary}, {driver_label(driver)}: {side}",
                )
                text.add_class(f"what-if-driver-{side}")
                drivers[beneficiary, driver, side] = text
                texts.append(text)
            rows.append(widgets.HBox([widgets.Label(spec["label"], layout=name_layout), *texts]))
    return rows, drivers


def _read_drivers(
    boxes: Mapping[DriverKey, Mapping[str, Any]], drivers: Mapping[tuple[str, str, str], Any]
) -> tuple[dict[DriverKey, DriverRange], list[str]]:
    """The driver ranges changed in the boxes, and what is wrong with them (in words).

    A box showing its starting text is unchanged (its exact stated value)."""
    ranges: dict[DriverKey, DriverRange] = {}
    unread = []
    for (beneficiary, driver), spec in boxes.items():
        values = []
        for side in DRIVER_SIDES:
            text = drivers[beneficiary, driver, side].value
            if text.strip() == driver_text(spec[side]):
                values.append(spec[side])
                continue
            try:
                values.append(parse_driver(text))
            except ValueError as exc:
                unread.append(f"{beneficiary}, {driver_label(driver)}, {side}: {exc}")
                values.append(spec[side])
        low, likely, high = values
        if low is None or high is None:
            unread.append(f"{beneficiary}, {driver_label(driver)}: give a low and a high")
        elif (low, likely, high) != (spec["low"], spec["likely"], spec["high"]):
            ranges[beneficiary, driver] = (low, likely, high)
    return ranges, unread + driver_problems(ranges)


def _unless_moved(value: float, start: float, step: float) -> float:
    """A slider's start when ``value`` is within half a step of it, else ``value``."""
    return start if abs(value - start) < step / 2.0 else value


def what_if_case(
    initiative: Mapping[str, Any],
    params: Params,
    calibration: dict | None = None,
    *,
    benefit: tuple[float, float] | None = None,
    cost: tuple[float, float] | None = None,
    duration: tuple[float, float] | None = None,
    drivers: Mapping[DriverKey, DriverRange] | None = None,
    related: Sequence[Mapping[str, Any]] = (),
    benefits: BenefitInputs | None = None,
) -> dict[str, Any]:
    """Re-simulate with new (low, high) ranges or driver ranges and return the case document.

    Ranges are as stated (benefit and cost in currency, duration in weeks); None
    keeps the row's own. The case is simulated as the notebook's headline is, with
    the same seed, number of simulations, calibration (applied on top of the
    ranges), related variants and benefit drivers, so ranges equal to the case's
    stated ones (``what_if_bounds``), or none given, give exactly the case. A
    stated likely value is kept when it still lies inside the new range.

    A benefit drawn from template drivers (``benefits``,
    ``QuarterInputs.benefit_inputs()``; a lean variant's share of its full
    initiative's drivers too) keeps them. ``drivers`` sets some of them to new
    (low, likely or None, high) ranges in their own units (:func:`with_drivers`;
    the related variants draw from the same drivers); the draws keep their random
    numbers, so only the moved drivers move the case. A new ``benefit`` range
    instead stretches the drivers' draws on the log scale so their low and high land
    on it (``business_case.simulate_case``'s ``benefit_range``), keeping the shape of
    their distribution and the calibration of their total; give one or the other.
    """
    if drivers and benefit is not None:
        raise InputError("give a templated benefit's drivers or its range, not both")
    changed = dict(initiative)
    given = (("benefit", benefit), ("cost", cost), ("duration", duration))
    for name, (low, high) in ((name, bounds) for name, bounds in given if bounds is not None):
        likely = float(changed.get(f"{name}_likely", math.nan))
        changed[f"{name}_low"], changed[f"{name}_high"] = float(low), float(high)
        if not (low <= likely <= high):  # NaN (no likely value) stays NaN
            changed[f"{name}_likely"] = math.nan
    if drivers:
        if benefits is None:
            raise InputError("driver ranges need the benefits register (benefits=)")
        benefits = with_drivers(benefits, str(initiative.get("id", "")), drivers)
    sim = business_case.simulate_case(
        changed,
        params,
        calibration,
        related=related,
        benefits=benefits,
        benefit_range=None if benefit is None else (float(benefit[0]), float(benefit[1])),
    )
    return business_case.summarise_case(sim)


def _all_as_stated(
    initiative: Mapping[str, Any], case: Case, given: Mapping[str, tuple[float, float] | None]
) -> bool:
    stated = _stated_ranges(initiative, case)
    return all(
        bounds is None
        or (
            stated[name] is not None
            and (float(bounds[0]), float(bounds[1])) == (stated[name].low, stated[name].high)
        )
        for name, bounds in given.items()
    )


def what_if_table(
    initiative: Mapping[str, Any],
    params: Params,
    calibration: dict | None = None,
    *,
    benefit: tuple[float, float] | None = None,
    cost: tuple[float, float] | None = None,
    duration: tuple[float, float] | None = None,
    drivers: Mapping[DriverKey, DriverRange] | None = None,
    related: Sequence[Mapping[str, Any]] = (),
    benefits: BenefitInputs | None = None,
    case: Case | None = None,
) -> Any:
    """The headline table (a Styler) of :func:`what_if_case` with these ranges: with the
    case's stated ranges, the case's own headline.

    ``case``: the page's case document. With it, ranges that are all as stated (or not
    given) and no driver ranges show its headline as it is, instead of simulating the
    same case again (the figure the quarter model computed, said once more)."""
    given = {"benefit": benefit, "cost": cost, "duration": duration}
    if case is not None and not drivers and _all_as_stated(initiative, case, given):
        return headline(case, tag=False)
    case = what_if_case(
        initiative,
        params,
        calibration,
        benefit=benefit,
        cost=cost,
        duration=duration,
        drivers=drivers,
        related=related,
        benefits=benefits,
    )
    return headline(case, tag=False)
