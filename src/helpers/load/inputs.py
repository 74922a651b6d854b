"""A quarter's validated inputs: params plus both registers, checked together."""

from __future__ import annotations

import functools
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from helpers.core.digests import digest_of, row_digest
from helpers.core.errors import InputError, Problem, shown
from helpers.load.approval import check_approval
from helpers.load.benefit_templates import PLAYBOOK_TEMPLATES, load_templates, templates_folder
from helpers.load.benefits import (
    BenefitInputs,
    check_initiative_templates,
    initiative_templates,
    load_benefits,
    uses_templates,
)
from helpers.load.cells import in_file_order, register_warnings
from helpers.load.outcomes import duplicates_with_actuals, load_outcomes
from helpers.load.params import Params, load_params
from helpers.load.registers import IN_SCOPE, load_actuals, load_initiatives


@dataclass(frozen=True)
class QuarterInputs:
    """Validated params, initiatives and actuals of one quarter, and, when the quarter
    uses benefit templates, its benefits register (canonical, ``benefits.validate_benefits``)
    and the templates by name."""

    params: Params
    root: Path
    initiatives: pd.DataFrame
    actuals: pd.DataFrame
    # assumptions that change results (ignored columns, effort counted as 0, ...):
    # `playbook validate` lists them and the quarter's build page shows them
    warnings: tuple[Problem, ...] = ()
    benefits: pd.DataFrame | None = None
    templates: dict[str, Any] = field(default_factory=dict)

    def benefit_inputs(self) -> Any:
        """The ``benefits.BenefitInputs`` for ``simulate_case`` (None: no templates)."""
        if self.benefits is None or not self.templates:
            return None

        return BenefitInputs(self.benefits, self.initiatives, self.templates)

    outcomes: pd.DataFrame | None = None  # params ``outcomes:``, checked (helpers.load.outcomes)

    @functools.cached_property
    def memo(self) -> dict[str, Any]:
        """What the model has computed from these inputs, by name, so that one build
        computes it once (the must-do check and the quarter model both calibrate)."""
        return {}

    def in_scope(self) -> pd.DataFrame:
        """Initiatives still to decide or deliver: proposed, approved or in progress."""
        mask = self.initiatives["status"].isin(IN_SCOPE)
        return self.initiatives[mask].reset_index(drop=True)

    def register_paths(self) -> list[Path]:
        """The register files this quarter reads, and the benefit templates it uses
        (for audit copies and cache keys)."""
        paths = []
        for source in (
            self.params.initiatives,
            self.params.actuals,
            self.params.benefits,
            self.params.outcomes,
        ):
            if source is None:
                continue
            if source.path:
                path = Path(source.path)
                paths.append(path if path.is_absolute() else self.root / path)
            elif source.url and source.url.startswith("sqlite:///"):
                paths.append(Path(source.url.removeprefix("sqlite:///")))
        # a changed formula or driver changes the cases, as a changed register does
        paths += [Path(template.path).resolve() for template in self.templates.values()]
        return paths


@dataclass
class RegisterIndex:
    """The initiatives register as plain records, indexed once for per-case work (a
    build's case specs, the model's case keys).

    ``records``: one dict per row, in register order, the values as
    ``inputs.initiative_row`` gives them (Python scalars); ``position``: id ->
    index in ``records``; ``variants``: id -> indexes of its lean variants. Made
    in one pass, so planning n cases costs O(n), not n scans of the register.
    """

    records: list[dict[str, Any]]
    position: dict[str, int]
    variants: dict[str, list[int]]

    @classmethod
    def of(cls, frame: Any) -> RegisterIndex:
        columns = list(frame.columns)
        records = [
            {c: python_value(v) for c, v in zip(columns, values, strict=True)}
            for values in frame.itertuples(index=False, name=None)
        ]
        position: dict[str, int] = {}
        variants: dict[str, list[int]] = {}
        for i, record in enumerate(records):
            position.setdefault(record["id"], i)
            if record.get("variant_of"):
                variants.setdefault(record["variant_of"], []).append(i)
        for record in records:
            record.pop("row", None)  # the spreadsheet row moves when rows are added above
        return cls(records, position, variants)

    def family(self, initiative_id: str) -> list[str] | None:
        """The digests of the rows a case is computed from: its own, and its full
        version's and its lean variants' (in register order); None when it has no row."""
        index = self.position.get(initiative_id)
        if index is None:
            return None
        row = self.records[index]
        family = sorted(
            self.variants.get(initiative_id, [])
            + [self.position[p] for p in [row.get("variant_of")] if p in self.position]
        )
        return [row_digest(row), digest_of([self.records[i] for i in family])]


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


def load_quarter(quarter: str, root: Path | str = ".", *, approval: bool = True) -> QuarterInputs:
    """Load and check everything quarter ``quarter`` needs.

    ``root`` is resolved by ``project_root``. ``approval``: also refuse an
    approved quarter changed without a ``changes:`` entry (``helpers.load.approval``);
    False only to fingerprint the inputs as they are. Raises InputError listing every
    problem in the params, the registers and, when the quarter uses benefit
    templates, the templates folder; warnings (assumptions that change results)
    are returned in ``QuarterInputs.warnings``.
    """
    root = project_root(root)
    if approval and (checked := _snapshot(quarter, root)) is not None:
        return checked
    params = load_params(quarter, root)
    problems: list[Problem] = []
    frames: dict[str, pd.DataFrame] = {}
    keep = (params.calibration.by,)  # the reference-class column, whatever its name
    for key, loader in (("initiatives", load_initiatives), ("actuals", load_actuals)):
        try:
            frames[key] = loader(getattr(params, key), root, keep=keep)
        except InputError as exc:
            problems.extend(exc.problems)
    problems.extend(_cross_check(params, frames))
    benefits, templates, templates_of = None, {}, None
    if "initiatives" in frames:
        try:
            benefits, templates = _load_benefits(params, frames["initiatives"], root)
            templates_of = _templates_by_id(frames["initiatives"], templates)
        except InputError as exc:
            problems.extend(exc.problems)
    if params.outcomes is not None:
        try:
            frames["outcomes"] = load_outcomes(params.outcomes, root, templates_of)
        except InputError as exc:
            problems.extend(exc.problems)
        if "outcomes" in frames and "actuals" in frames:
            problems.extend(duplicates_with_actuals(frames["outcomes"], frames["actuals"]))
    if problems:
        raise InputError(in_file_order(problems, _files(params)))

    warnings = [w for frame in frames.values() for w in register_warnings(frame)]
    if benefits is not None:
        warnings += register_warnings(benefits)
    warnings += _classes_without_history(params, frames["initiatives"], frames["actuals"])
    loaded = QuarterInputs(
        params,
        root,
        frames["initiatives"],
        frames["actuals"],
        warnings=tuple(warnings),
        benefits=benefits,
        templates=templates,
        outcomes=frames.get("outcomes"),
    )
    if approval and (problems := check_approval(loaded)):
        raise InputError(problems)
    return loaded


SNAPSHOT_ENV = "PLAYBOOK_INPUTS_SNAPSHOT"


def write_snapshot(inputs: QuarterInputs, quarter: str, path: Path) -> dict[str, str]:
    """Save ``inputs`` (as ``load_quarter(quarter, inputs.root)`` returned them) to ``path``.

    ``playbook run`` checks a quarter's inputs once, saves them here and hands
    the path to every notebook it runs (the environment variable
    :data:`SNAPSHOT_ENV`), so a notebook loads them in milliseconds instead of
    checking every register again: at 2,000 initiatives that check costs a
    second in each of 2,000 notebooks. Every notebook of one build also sees the
    same inputs, even if a register is edited while the build runs. Returns the
    environment to give the notebooks' kernels.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = {"quarter": quarter, "root": str(inputs.root), "inputs": inputs}
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(pickle.dumps(saved, protocol=pickle.HIGHEST_PROTOCOL))
    partial.replace(path)
    return {SNAPSHOT_ENV: str(path)}


def _snapshot(quarter: str, root: Path) -> QuarterInputs | None:
    """The inputs ``playbook run`` saved for this notebook (``write_snapshot``), or None.

    Only a snapshot of the same quarter and project folder counts; a missing or
    unreadable one (a worker on another machine, a build cleaned up) means the
    registers are read and checked as usual.
    """
    path = os.environ.get(SNAPSHOT_ENV)
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            saved = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return None
    if not isinstance(saved, dict) or (saved.get("quarter"), saved.get("root")) != (
        quarter,
        str(root),
    ):
        return None
    return saved["inputs"]


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


def _load_benefits(
    params: Params, initiatives: pd.DataFrame, root: Path
) -> tuple[pd.DataFrame | None, dict[str, Any]]:
    """The benefits register and templates, when the quarter uses templates (else None, {})."""

    used = uses_templates(initiatives)
    if not used and params.benefits is None:
        return None, {}
    folder = templates_folder(root)
    if not folder.is_dir() and PLAYBOOK_TEMPLATES.is_dir():
        folder = PLAYBOOK_TEMPLATES  # a project without templates of its own uses the playbook's
    if not used and not folder.is_dir():
        return None, {}
    templates = load_templates(root, folder)
    problems = check_initiative_templates(initiatives, templates, params.initiatives.label)
    if params.benefits is None:
        if problems:
            raise InputError(problems)
        raise InputError(
            Problem(
                f"params/{params.quarter}.yaml",
                "initiatives name benefit templates but there is no benefits register: "
                "add benefits: with the register of their drivers (e.g. "
                "benefits: data/benefits.csv), or clear the template column",
                column="benefits",
                column_word="key",
            )
        )
    try:
        benefits = load_benefits(params.benefits, initiatives, templates, root)
    except InputError as exc:
        # an unknown template is reported once, on the initiatives register's row
        unknown = {p.id for p in problems if p.column == "template"}
        problems += [
            p for p in exc.problems if not (p.id in unknown and p.column == "initiative_id")
        ]
    if problems:
        raise InputError(problems)
    return benefits, templates


def _files(params: Params) -> list[str]:
    """How problems name the params file and the registers, in the order params list them."""
    keys = ("initiatives", "actuals", "benefits", "outcomes")
    sources = [getattr(params, key) for key in keys]
    return [f"params/{params.quarter}.yaml", *(s.label for s in sources if s is not None)]


def _templates_by_id(initiatives: pd.DataFrame, templates: dict[str, Any]) -> dict[str, Any]:
    """Each initiative's template (None: it names none), for checking the drivers its
    outcome records. An initiative naming a template that does not exist is left out:
    that is reported on its row of the initiatives register."""
    return {
        id_: templates[name] if name else None
        for id_, name in initiative_templates(initiatives).items()
        if not name or name in templates
    }


def _cross_check(params: Params, frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """Settings that name register columns: refused here, so `validate` catches them first.

    ``calibration.by`` must be a column of both registers: the actuals are
    grouped by it and each initiative finds its class in it.
    """
    settings = params.calibration
    if not settings.enabled:
        return []
    problems = []
    for key in ("actuals", "initiatives"):
        frame = frames.get(key)
        if frame is None or settings.by in frame.columns:
            continue
        label = getattr(params, key).label
        problems.append(
            Problem(
                f"params/{params.quarter}.yaml",
                f"calibration.by names column {shown(settings.by)}, which the {key} register "
                f"({label}) lacks: add a {shown(settings.by)} column to {label}, use a column "
                "both registers have (e.g. category), or turn calibration off "
                "(calibration.enabled: false)",
                column="calibration.by",
                value=settings.by,
                column_word="key",
            )
        )
    return problems


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
    return {column: python_value(row[column]) for column in frame.columns}


def python_value(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (``np.float64(2.0)`` -> ``2.0``)."""
    return value.item() if isinstance(value, np.generic) else value
