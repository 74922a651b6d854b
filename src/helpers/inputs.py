"""A quarter's validated inputs: params plus both registers, checked together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.errors import InputError, Problem, shown
from helpers.params import Params, load_params
from helpers.registers import IN_SCOPE, load_actuals, load_initiatives


@dataclass(frozen=True)
class QuarterInputs:
    """Validated params, initiatives and actuals of one quarter."""

    params: Params
    root: Path
    initiatives: pd.DataFrame
    actuals: pd.DataFrame
    outcomes: pd.DataFrame | None = None  # params ``outcomes:``, checked (helpers.outcomes)

    def in_scope(self) -> pd.DataFrame:
        """Initiatives still to decide or deliver: proposed, approved or in progress."""
        mask = self.initiatives["status"].isin(IN_SCOPE)
        return self.initiatives[mask].reset_index(drop=True)

    def register_paths(self) -> list[Path]:
        """The register files this quarter reads (for audit copies and cache keys)."""
        paths = []
        for source in (self.params.initiatives, self.params.actuals, self.params.outcomes):
            if source is None:
                continue
            if source.path:
                path = Path(source.path)
                paths.append(path if path.is_absolute() else self.root / path)
            elif source.url and source.url.startswith("sqlite:///"):
                paths.append(Path(source.url.removeprefix("sqlite:///")))
        return paths


def load_quarter(quarter: str, root: Path | str = ".", *, approval: bool = True) -> QuarterInputs:
    """Load and check everything quarter ``quarter`` needs.

    ``approval``: also refuse an approved quarter changed without a ``changes:``
    entry (``helpers.approval``); False only to fingerprint the inputs as they are.

    Raises InputError listing every problem in the params and both registers.
    """
    root = Path(root)
    params = load_params(quarter, root)
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    for key, loader in (("initiatives", load_initiatives), ("actuals", load_actuals)):
        try:
            frames[key] = loader(getattr(params, key), root)
        except InputError as exc:
            problems.extend(exc.problems)
    if "actuals" in frames:
        problems.extend(_cross_check(params, frames["actuals"]))
    if params.outcomes is not None:
        from helpers.outcomes import duplicates_with_actuals, load_outcomes

        try:
            frames["outcomes"] = load_outcomes(params.outcomes, root)
        except InputError as exc:
            problems.extend(exc.problems)
        if "outcomes" in frames and "actuals" in frames:
            problems.extend(duplicates_with_actuals(frames["outcomes"], frames["actuals"]))
    if problems:
        raise InputError(problems)
    from helpers.approval import check_approval

    loaded = QuarterInputs(
        params, root, frames["initiatives"], frames["actuals"], frames.get("outcomes")
    )
    if approval:
        problems.extend(check_approval(loaded))
    if problems:
        raise InputError(problems)
    return QuarterInputs(
        params, root, frames["initiatives"], frames["actuals"], frames.get("outcomes")
    )


def _cross_check(params: Params, actuals: pd.DataFrame) -> list[Problem]:
    """Settings that name register columns: refused here, so `validate` catches them first."""
    settings = params.calibration
    if not settings.enabled or settings.by in actuals.columns:
        return []
    usable = [c for c in ("category", "name", "id") if c in actuals.columns]
    return [
        Problem(
            f"params/{params.quarter}.yaml",
            f"calibration.by names column {shown(settings.by)}, which the actuals register "
            f"({params.actuals.label}) lacks: use {' or '.join(usable)}, "
            "or turn calibration off (calibration.enabled: false)",
            column="calibration.by",
            value=settings.by,
            column_word="key",
        )
    ]


def initiative_row(inputs: QuarterInputs, initiative_id: str) -> dict[str, Any]:
    """One initiative as a plain dict of the values validation already typed.

    ``registers.validate_initiatives`` parsed and checked the register once:
    ranges and scores are floats (NaN when an optional one is blank), ``must_do``
    a bool, ``depends_on`` a list of ids, ``variant_of`` an id or None, ``row``
    the spreadsheet row. Nothing is parsed again here; numpy scalars only
    become their Python equivalents. Raises InputError naming the register and
    listing the ids when ``initiative_id`` is not in it.
    """
    frame = inputs.initiatives
    match = frame[frame["id"] == initiative_id]
    if match.empty:
        ids = ", ".join(frame["id"])
        raise InputError(
            Problem(
                inputs.params.initiatives.label,
                f"no initiative with id {initiative_id!r}; ids: {ids}",
                id=initiative_id,
            )
        )
    row = match.iloc[0]
    return {column: _python(row[column]) for column in frame.columns}


def _python(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (``np.float64(2.0)`` -> ``2.0``)."""
    return value.item() if isinstance(value, np.generic) else value
