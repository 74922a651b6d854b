"""The quarter model as the pages read it: the build's document, or the same computed now.

``playbook run`` computes the quarter model once (``helpers.model.quarter_model``) and
hands every notebook the folder it wrote. A notebook opened alone (JupyterLab,
nbval) has no such folder: it computes the model through the same function, with
the same words, so it shows the numbers the published page shows. Nothing is
read from ``reports/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.load import artifacts
from helpers.load.inputs import initiative_row
from helpers.model import business_case
from helpers.model.quarter_model import (
    BACKTEST,
    MODEL,
    QuarterModel,
    build_quarter_model,
    case_calibration,
    compute_calibration,
    model_from_documents,
)
from helpers.model.review import load_review
from helpers.model.selection import select_portfolio
from helpers.report.case import recommendation_text
from helpers.report.reasons import reason_text
from helpers.report.roadmap import decision_reason


def quarter_model(inputs: Any, artifacts_dir: str | Path = "") -> QuarterModel:
    """The quarter's model: read from ``artifacts_dir`` when ``playbook run`` wrote it
    there, else computed now (``quarter_model.build_quarter_model``)."""
    if artifacts_dir and (found := read_quarter_model(inputs, artifacts_dir)) is not None:
        return found
    return build_quarter_model(
        inputs,
        explain_case=recommendation_text,
        describe_decision=decision_reason,
        describe_reason=reason_text,
    )


def read_quarter_model(inputs: Any, folder: str | Path) -> QuarterModel | None:
    """The model ``playbook run`` wrote into ``folder``, or None when it wrote none there."""
    names = [MODEL, artifacts.CALIBRATION, BACKTEST, artifacts.ROADMAP, artifacts.REVIEW]
    names += [
        f"{artifacts.CASES}/{i}.json" for i in sorted(str(i) for i in inputs.in_scope()["id"])
    ]
    return model_from_documents(artifacts.read_documents(folder, names))


def calibration_of(inputs: Any, artifacts_dir: str | Path = "") -> tuple[dict, dict]:
    """The calibration document and its backtest: the build's, else computed now."""
    names = [artifacts.CALIBRATION, BACKTEST]
    found = artifacts.read_documents(artifacts_dir, names) if artifacts_dir else {}
    if len(found) == len(names):
        return found[artifacts.CALIBRATION], found[BACKTEST]
    return compute_calibration(inputs)


def review_of(inputs: Any, artifacts_dir: str | Path = "") -> dict[str, Any]:
    """The quarter review: the build's, else computed now from the ledger."""
    found = artifacts.read_documents(artifacts_dir, [artifacts.REVIEW]) if artifacts_dir else {}
    return found.get(artifacts.REVIEW) or load_review(inputs)


@dataclass
class CaseView:
    """One case as its page shows it: the model's document and the draws behind its charts,
    with the inputs the what-if panel starts from."""

    summary: dict[str, Any]  # the case document (the model's when calibrated)
    simulation: Any  # the reported view's draws (business_case.CaseSimulation)
    stated: Any  # the stated (inside) view's draws
    calibration: dict | None  # what the case was calibrated with (None: not calibrated)
    related: list  # its full version and lean variants (register rows)
    benefits: Any  # the quarter's benefit drivers (QuarterInputs.benefit_inputs())


def case_view(
    model: QuarterModel, inputs: Any, initiative_id: str, *, use_calibration: bool = True
) -> CaseView:
    """One case's document and its simulation (the draws its charts are drawn from).

    The document is the model's; the simulation is redrawn with the same seed and
    inputs, so the charts show the draws the document summarises. With
    ``use_calibration`` false both are the stated (inside) view, computed now."""
    calibration = case_calibration(inputs, model.calibration) if use_calibration else None
    related = business_case.find_related(inputs.initiatives, initiative_id)
    benefits = inputs.benefit_inputs()
    stated, simulation = business_case.simulate_views(
        initiative_row(inputs, initiative_id),
        inputs.params,
        calibration,
        related=related,
        benefits=benefits,
    )
    document = model.case(initiative_id) if use_calibration else None
    if document is None:
        document = business_case.summarise_case(simulation, stated, explain=recommendation_text)
    return CaseView(document, simulation, stated, calibration, list(related), benefits)


def roadmap_at(model: QuarterModel, inputs: Any, budget: float = 0.0) -> dict[str, Any]:
    """The model's roadmap; at another ``budget`` (currency; 0: the params budget), the
    same selection over the model's cases at that budget."""
    if not budget or budget == inputs.params.budget:
        return model.roadmap
    return select_portfolio(
        inputs.initiatives,
        model.cases,
        inputs.params,
        budget=budget,
        missing=model.missing,
        describe_decision=decision_reason,
        describe_reason=reason_text,
    )


__all__ = [
    "CaseView",
    "calibration_of",
    "case_view",
    "quarter_model",
    "read_quarter_model",
    "review_of",
    "roadmap_at",
]
