"""A ledger entry (``params/approved/<Q>/``) written by hand, for tests of what reads it."""

from __future__ import annotations

from pathlib import Path

from helpers.load.ledger import entry_dir, write_entry


def make_ledger_entry(
    root: Path,
    quarter: str,
    initiatives: str,
    *,
    selected: list[str],
    benefits: str | None = None,
    cases: dict | None = None,
) -> Path:
    """An approved ``quarter`` in the ledger of the project at ``root``: its params, its
    initiatives (and benefits) register text, and a plan funding ``selected``, sealed
    as ``playbook approve`` seals an entry (readers check the seal)."""
    folder = entry_dir(root, quarter)
    (folder / "params").mkdir(parents=True, exist_ok=True)
    (folder / "registers").mkdir(exist_ok=True)
    (folder / "registers" / "initiatives.csv").write_text(initiatives)
    (folder / "registers" / "actuals.csv").write_text(
        "id,category,completed,cost_estimate,cost_actual\nH1,email,2025-01-01,100,110\n"
    )
    lines = [
        f"quarter: {quarter}",
        f"title: {quarter} as approved",
        "budget: 1000000",
        "capacity: 100",
        'initiatives: {"path": "registers/initiatives.csv"}',
        'actuals: {"path": "registers/actuals.csv"}',
    ]
    if benefits is not None:
        (folder / "registers" / "benefits.csv").write_text(benefits)
        lines.append('benefits: {"path": "registers/benefits.csv"}')
    (folder / "params" / f"{quarter}.yaml").write_text("\n".join(lines) + "\n")
    plan = {"selected": list(selected), "initiatives": {i: {"selected": True} for i in selected}}
    decisions = {
        "format": 2,
        "quarter": quarter,
        "approved": {"on": "2026-07-01", "by": "test", "plan": plan},
        "changes": [],
        "cases": cases or {},
    }
    write_entry(folder, decisions)
    return folder
