"""The quarter model: every figure of a quarter, computed once, before any page.

``build_quarter_model`` is a plain function over the loaded inputs (and,
through them, the ledger). It runs, in order:

1. the calibration (``backtest.calibrate_with_backtest``: the calibration
   document and its out-of-sample check);
2. every in-scope business case, each simulated once with its own seed (the
   quarter's seed and the initiative's id), so a case never depends on the
   order or on which other initiatives exist (``business_case.simulate_views``
   then ``summarise_case``);
3. the selection at the budget confidence, the plan's joint risk, the
   frontier and each initiative's decision and its reason
   (``selection.select_portfolio``);
4. the review of the latest approved quarter before this one, from the ledger
   (``review.load_review``), from the second quarter on.

``playbook run`` computes it once and writes it into the build's artifacts
folder (:func:`model_documents`, written by ``helpers.load.artifacts``); every
page then reads it (``helpers.report.model``) and never recomputes a figure it holds. A
notebook opened alone computes it through this same function, so it shows the
numbers the published page shows. Nothing here reads ``reports/``.

Words are not made here: the report layer's sentence makers are passed in
(``explain_case``, ``describe_decision``), so this module stays below it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.core.digests import digest_of, frame_digest
from helpers.core.errors import PlaybookError
from helpers.load.artifacts import CALIBRATION, CASES, REVIEW, ROADMAP
from helpers.load.inputs import RegisterIndex
from helpers.load.ledger import PLAN_KEYS
from helpers.load.params import list_quarters
from helpers.model import backtest, business_case
from helpers.model.review import load_review
from helpers.model.selection import select_portfolio

BACKTEST = "backtest.json"  # the calibration's out-of-sample check, beside calibration.json
MODEL = "quarter.json"  # the quarter's document: the plan and one row per initiative
ROWS = "initiatives.csv"  # the same rows as a table
ROW_KEYS = (
    "name",
    "status",
    "decision",
    "decision_reason",
    "selected",
    "value",
    "expected_npv",
    "prob_loss",
    "cost_p50",
    "effort_p50",
    "duration_weeks",
    "reason_code",
    "charge_basis",  # committed work: cost_to_date, elapsed or full (model.committed)
    "cost_remaining_p50",
    "in_budget",
)


@dataclass
class QuarterModel:
    """One quarter's figures: the documents every page of the quarter says."""

    quarter: str
    calibration: dict[str, Any] | None
    backtest: dict[str, Any] | None
    cases: dict[str, dict[str, Any]]
    missing: list[str]
    roadmap: dict[str, Any] | None
    review: dict[str, Any] | None = None
    failures: dict[str, str] = field(default_factory=dict)  # id -> why its case failed

    def case(self, initiative_id: str) -> dict[str, Any] | None:
        """The case document of ``initiative_id`` (None when it has none)."""
        return self.cases.get(initiative_id)

    def decision(self, initiative_id: str) -> dict[str, Any] | None:
        """The roadmap's entry for ``initiative_id`` (decision, reason, value...), or None."""
        return ((self.roadmap or {}).get("initiatives") or {}).get(initiative_id)


def has_review(inputs: Any) -> bool:
    """Whether the quarter reviews an earlier one: from the second quarter with params on."""
    return any(q < inputs.params.quarter for q in list_quarters(Path(inputs.root)))


def compute_calibration(inputs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The calibration document and its backtest (the calibration page shows them even
    when params turn calibration off; the cases then do not use it)."""
    return backtest.calibrate_with_backtest(inputs)


def case_calibration(inputs: Any, calibration: Mapping[str, Any] | None) -> dict | None:
    """The calibration the cases use: None when params turn calibration off. Without the
    backtest's results (``calibration.json`` holds them; no case reads them), so a case
    is keyed alike whether its calibration came with its backtest or not."""
    if not calibration or not inputs.params.calibration.enabled:
        return None
    return {k: v for k, v in calibration.items() if k not in ("backtest", "backtest_overall")}


MEMO_SIZE = 4096  # case documents (~10 kB each) one process keeps
# params no case reads: where notebooks run, the title and the approval record (approving
# a quarter, or recording a change, leaves every case as it was)
NOT_IN_CASES = {"executor", "scheduler", "title", "status", "approved_on", "approved_by"}
NOT_IN_CASES |= {"fingerprint", "changes"}
_memo: OrderedDict[str, dict[str, Any]] = OrderedDict()  # case key -> document without text


def case_keys(
    inputs: Any,
    ids: Sequence[str],
    calibration: Mapping[str, Any] | None,
    rows: RegisterIndex | None = None,
) -> dict[str, str]:
    """One digest per case of everything it is computed from: the params (but
    ``NOT_IN_CASES``), the calibration it uses (``case_calibration``), the benefits
    register and templates, and its family's rows (``RegisterIndex.family``). Each
    case is simulated with its own seed, so equal keys mean equal documents: the
    memo of :func:`compute_case` and the build's cache both key on them. ``rows``: the
    register indexed once by the caller."""
    rows = rows if rows is not None else RegisterIndex.of(inputs.initiatives)
    benefits = inputs.benefits
    common = digest_of(
        inputs.params.model_dump(mode="json", exclude=NOT_IN_CASES),
        calibration,
        None if benefits is None else frame_digest(benefits),
        # what a template says, not where its file is (a project moved keeps its cases)
        sorted(
            (name, repr(dataclasses.replace(t, path="")))
            for name, t in (inputs.templates or {}).items()
        ),
    )
    return {i: digest_of(common, rows.family(i)) for i in ids}


def remember_cases(
    inputs: Any, cases: Mapping[str, Mapping[str, Any]], calibration: Mapping[str, Any] | None
) -> None:
    """Put ``cases``, computed before from these same inputs with ``calibration`` (a
    previous build's, its keys checked by the caller), in the memo of :func:`compute_case`."""
    keys = case_keys(inputs, list(cases), calibration) if cases else {}
    for initiative_id, case in cases.items():
        document = copy.deepcopy(dict(case))
        (document.get("recommendation") or {}).pop("text", None)  # made on each use
        _remember(keys[initiative_id], document)


def _remember(key: str, document: dict[str, Any]) -> None:
    """Keep ``document`` (the memo's own copy) under ``key``, the oldest out past MEMO_SIZE."""
    _memo[key] = document
    while len(_memo) > MEMO_SIZE:
        _memo.popitem(last=False)


def clear_memo() -> None:
    """Forget the cases this process computed (:func:`compute_case` computes them again)."""
    _memo.clear()


def compute_case(
    inputs: Any,
    initiative_id: str,
    calibration: Mapping[str, Any] | None,
    *,
    explain_case: Callable[[Any], str] | None = None,
    rows: Mapping[str, Mapping[str, Any]] | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    """The case document of one initiative, as its page and the roadmap use it.

    Simulated with the quarter's seed and the initiative's id (``business_case``),
    the stated view beside the calibrated one. ``rows``: the register's rows by id
    (read once by the caller when computing many cases). ``key``: the case's
    :func:`case_keys` digest, computed by the caller; a case computed before in this
    process with the same key is not simulated again (the must-do check and the
    quarter model of one build, the commands of one session); None computes it.
    """
    document = copy.deepcopy(_memo.get(key)) if key is not None and key in _memo else None
    if document is None:
        if rows is None:
            rows = {str(r["id"]): r for r in inputs.initiatives.to_dict("records")}
        stated, simulation = business_case.simulate_views(
            rows[initiative_id],
            inputs.params,
            dict(calibration) if calibration is not None else None,
            related=business_case.find_related(inputs.initiatives, initiative_id),
            benefits=inputs.benefit_inputs(),
        )
        document = business_case.summarise_case(simulation, stated)
        if key is not None:
            _remember(key, copy.deepcopy(document))
    else:
        _memo.move_to_end(key)
    if explain_case is not None:  # summarise_case's explain, on the finished document
        document["recommendation"]["text"] = explain_case(document)
    return document


def compute_cases(
    inputs: Any,
    ids: Sequence[str],
    calibration: Mapping[str, Any] | None,
    *,
    explain_case: Callable[[Any], str] | None = None,
    known: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The case documents of ``ids`` and, for those whose simulation failed, why.

    ``known``: cases already computed with the same inputs (a previous build's,
    checked by the caller), used as they are."""
    rows = {str(r["id"]): r for r in inputs.initiatives.to_dict("records")}
    todo = [i for i in ids if not (known and i in known) and i in rows]
    keys = case_keys(inputs, todo, calibration) if todo else {}
    cases: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    for initiative_id in ids:
        if known and initiative_id in known:
            cases[initiative_id] = dict(known[initiative_id])
            continue
        if initiative_id not in rows:
            failures[initiative_id] = "not in the initiatives register"
            continue
        try:
            cases[initiative_id] = compute_case(
                inputs,
                initiative_id,
                calibration,
                explain_case=explain_case,
                rows=rows,
                key=keys[initiative_id],
            )
        except PlaybookError as exc:
            failures[initiative_id] = str(exc)
    return cases, failures


def build_quarter_model(
    inputs: Any,
    *,
    explain_case: Callable[[Any], str] | None = None,
    describe_decision: Callable[[Mapping[str, Any], Mapping[str, Any]], str] | None = None,
    describe_reason: Callable[[Mapping[str, Any], Mapping[str, Any]], str] | None = None,
    known_cases: Mapping[str, Mapping[str, Any]] | None = None,
    calibration: tuple[dict[str, Any] | None, dict[str, Any] | None] | None = None,
) -> QuarterModel:
    """Every figure of the quarter of ``inputs`` (a ``QuarterInputs``), computed once.

    ``explain_case``, ``describe_decision`` and ``describe_reason``: the report
    layer's sentence makers for a case's recommendation, an initiative's roadmap
    decision and why it was left out.
    ``known_cases`` and ``calibration``: parts a previous build computed from the
    same inputs, reused as they are. A selection that cannot be made (must-dos
    that do not fit) raises, as ``playbook select`` does.
    """
    calibration_doc, check = calibration if calibration is not None else compute_calibration(inputs)
    ids = sorted(str(i) for i in inputs.in_scope()["id"])
    cases, failures = compute_cases(
        inputs,
        ids,
        case_calibration(inputs, calibration_doc),
        explain_case=explain_case,
        known=known_cases,
    )
    missing = sorted(failures)
    roadmap = select_portfolio(
        inputs.initiatives,
        cases,
        inputs.params,
        missing=missing,
        describe_decision=describe_decision,
        describe_reason=describe_reason,
    )
    review = load_review(inputs) if has_review(inputs) else None
    return QuarterModel(
        inputs.params.quarter, calibration_doc, check, cases, missing, roadmap, review, failures
    )


def quarter_document(model: QuarterModel) -> dict[str, Any]:
    """The quarter's one document: the plan's figures and one row per initiative.

    Every figure is the roadmap's or a case's, copied, not recomputed."""
    roadmap = model.roadmap or {}
    rows = {}
    for initiative_id, entry in sorted((roadmap.get("initiatives") or {}).items()):
        case = model.cases.get(initiative_id) or {}
        row = {key: entry.get(key) for key in ROW_KEYS}
        row["npv_mean"] = (case.get("npv") or {}).get("mean")
        rows[initiative_id] = row
    return {
        "quarter": model.quarter,
        "plan": {
            key: roadmap.get(key) for key in (*PLAN_KEYS, "selected", "budget_covers", "committed")
        },
        "initiatives": rows,
        "missing": list(model.missing),
        "failures": dict(model.failures),
        "reviewed": sorted((model.review or {}).get("reviewed_quarters") or []),
    }


def model_documents(model: QuarterModel) -> dict[str, Any]:
    """The model as the files ``playbook run`` writes: artifact name -> document.

    ``calibration.json`` and ``backtest.json``, ``cases/<id>.json``,
    ``roadmap.json``, ``review.json`` (from the second quarter on),
    ``quarter.json``, and ``initiatives.csv`` (the quarter document's rows, as
    a list of row dicts with their ``id``)."""
    documents: dict[str, Any] = {}
    if model.calibration is not None:
        documents[CALIBRATION] = model.calibration
        documents[BACKTEST] = model.backtest
    for initiative_id, case in sorted(model.cases.items()):
        documents[f"{CASES}/{initiative_id}.json"] = case
    if model.roadmap is not None:
        documents[ROADMAP] = model.roadmap
    if model.review is not None:
        documents[REVIEW] = model.review
    document = quarter_document(model)
    documents[MODEL] = document
    documents[ROWS] = [{"id": i, **row} for i, row in document["initiatives"].items()]
    return documents


def model_from_documents(documents: Mapping[str, Any]) -> QuarterModel | None:
    """The model back from :func:`model_documents`' files (None without ``quarter.json``)."""
    document = documents.get(MODEL)
    if document is None:
        return None
    prefix = f"{CASES}/"
    cases = {
        name[len(prefix) : -len(".json")]: case
        for name, case in documents.items()
        if name.startswith(prefix)
    }
    return QuarterModel(
        document["quarter"],
        documents.get(CALIBRATION),
        documents.get(BACKTEST),
        dict(sorted(cases.items())),
        list(document.get("missing") or []),
        documents.get(ROADMAP),
        documents.get(REVIEW),
        dict(document.get("failures") or {}),
    )


__all__ = [
    "BACKTEST",
    "MODEL",
    "QuarterModel",
    "build_quarter_model",
    "MEMO_SIZE",
    "case_calibration",
    "case_keys",
    "clear_memo",
    "compute_calibration",
    "compute_case",
    "compute_cases",
    "has_review",
    "remember_cases",
    "quarter_document",
    "model_documents",
    "model_from_documents",
]
