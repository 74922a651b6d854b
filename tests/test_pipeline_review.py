"""The quarter review in ``playbook run``: from the second quarter on, keyed on what it reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_pipeline import HEADER, build, make_project, write_notebook

from helpers.load.ledger import write_decisions

REVIEW_CODE = """import json, os
os.makedirs(artifacts_dir, exist_ok=True)
with open(os.path.join(artifacts_dir, "review.json"), "w") as f:
    json.dump({"quarter": quarter}, f)
"""


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project")
    write_notebook(root / "notebooks" / "review.ipynb", HEADER, REVIEW_CODE)
    return root


def test_review_runs_from_the_second_quarter_on(project: Path) -> None:
    first, executor = build(project, quarter="2026Q3")
    assert "review" not in executor.ran
    second, executor = build(project, quarter="2026Q4")
    assert executor.ran[:2] == ["calibration", "review"] and second.exit_code == 0
    published = project / "reports" / "2026Q4" / "build" / "artifacts" / "review.json"
    assert json.loads(published.read_text()) == {"quarter": "2026Q4"}
    assert "review ok" in (project / "reports" / "2026Q4" / "index.html").read_text()


def test_review_reruns_when_the_ledger_changes_not_when_a_quarter_is_rebuilt(
    project: Path,
) -> None:
    build(project, quarter="2026Q4")
    _, executor = build(project, quarter="2026Q4")
    assert "review" not in executor.ran  # nothing changed: reused
    params = project / "params" / "2026Q3.yaml"
    params.write_text(params.read_text().replace("budget: 100000", "budget: 120000"))
    build(project, quarter="2026Q3")  # a build is output, never input of another quarter
    _, executor = build(project, quarter="2026Q4")
    assert "review" not in executor.ran
    write_decisions(project, "2026Q3", {"approved": {"plan": {"selected": []}}, "changes": []})
    _, executor = build(project, quarter="2026Q4")
    assert "review" in executor.ran


def test_no_review_without_the_notebook(project: Path) -> None:
    (project / "notebooks" / "review.ipynb").unlink()
    _, executor = build(project, quarter="2026Q4")
    assert "review" not in executor.ran
