"""A quarter's validated inputs: params plus both registers, checked together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.errors import InputError, Problem, shown
from helpers.params import Params, load_params
from helpers.registers import IN_SCOPE, load_actuals, load_initiatives, register_warnings


@dataclass(frozen=True)
class QuarterInputs:
    """Validated params, initiatives and actuals of one quarter."""

    params: Params
    root: Path
    initiatives: pd.DataFrame
    actuals: pd.DataFrame
    # assumptions that change results (ignored columns, effort counted as 0, ...):
    # `playbook validate` lists them and the quarter's build page shows them
    warnings: tuple[Problem, ...] = ()

    def in_scope(self) -> pd.DataFrame:
        """Initiatives still to decide or deliver: proposed, approved or in progress."""
        mask = self.initiatives["status"].isin(IN_SCOPE)
        return self.initiatives[mask].reset_index(drop=True)

    def register_paths(self) -> list[Path]:
        """The register files this quarter reads (for audit copies and cache keys)."""
        paths = []
        for source in (self.params.initiatives, self.params.actuals):
            if source.path:
                path = Path(source.path)
                paths.append(path if path.is_absolute() else self.root / path)
            elif source.url and source.url.startswith("sqlite:///"):
                paths.append(Path(source.url.removeprefix("sqlite:///")))
        return paths


def project_root(root: Path | str = ".") -> Path:
    """The project folder (the one holding ``params/``) that ``root`` means.

    ``root`` is used as given when it holds ``params/`` or is absolute. A
    relative ``root`` that does not, such as a notebook's default ``..`` when
    papermill runs from the repository root, is searched for upward from the
    current folder: the first folder holding ``params/`` wins. Raises
    InputError naming every folder searched when none does.
    """
    root = Path(root)
    if (root / "params").is_dir() or root.is_absolute():
        return root
    here = Path.cwd()
    searched = [root.resolve(), here, *here.parents]
    for folder in searched[1:]:
        if (folder / "params").is_dir():
            return folder
    shown_folders = ", ".join(str(f) for f in dict.fromkeys(searched))
    raise InputError(
        Problem(
            str(root),
            f"no params/ folder in {shown_folders}: run from the project folder, "
            "or pass its path (--root, or papermill -p root /path/to/project)",
        )
    )


def load_quarter(quarter: str, root: Path | str = ".") -> QuarterInputs:
    """Load and check everything quarter ``quarter`` needs.

    ``root`` is resolved by ``project_root``. Raises InputError listing every
    problem in the params and both registers; warnings (assumptions that
    change results) are returned in ``QuarterInputs.warnings``.
    """
    root = project_root(root)
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
    if problems:
        raise InputError(problems)
    warnings = [w for frame in frames.values() for w in register_warnings(frame)]
    warnings += _classes_without_history(params, frames["initiatives"], frames["actuals"])
    return QuarterInputs(
        params, root, frames["initiatives"], frames["actuals"], warnings=tuple(warnings)
    )


def _classes_without_history(
    params: Params, initiatives: pd.DataFrame, actuals: pd.DataFrame
) -> list[Problem]:
    """Initiatives still to decide whose reference class has no past project."""
    by = params.calibration.by
    if not params.calibration.enabled or by not in initiatives or by not in actuals:
        return []
    known = set(actuals[by].astype(str).str.lower())
    scope = initiatives[initiatives["status"].isin(IN_SCOPE)]
    warnings = []
    for value, group in scope.groupby(scope[by].astype(str), sort=False):
        if value.lower() in known:
            continue
        warnings.append(
            Problem(
                params.initiatives.label,
                f"{by} {value!r} has no past projects in the actuals register "
                f"({params.actuals.label}): {', '.join(group['id'])} calibrated with all "
                "projects; add actuals of this class, or use a class that has some",
                row=int(group["row"].iloc[0]),
                id=str(group["id"].iloc[0]),
                column=by,
            )
        )
    return warnings


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
