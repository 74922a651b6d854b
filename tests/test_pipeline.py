"""The quarterly run: staging, caching, failure isolation, atomic publish.

Most tests use tiny fixture notebooks executed in this process by
``InProcessExecutor`` (code cells run with ``exec``) and a fake site (the
``render_*`` / ``publish_site_pages`` functions below), so they check the
pipeline's logic in seconds. Real kernels are exercised by the last tests here
and by ``test_build_e2e.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from collections.abc import Iterable, Iterator
from pathlib import Path
from unittest import mock

import nbformat
import pytest

from helpers.build.executors import (
    Executor,
    LocalProcessExecutor,
    NotebookTask,
    SerialExecutor,
    TaskResult,
    resolve,
)
from helpers.build.pipeline import BuildError, run_quarter
from helpers.build.publish import quarter_lock
from helpers.build.result import describe_failure
from helpers.core.errors import InputError
from helpers.load.artifacts import write_documents
from helpers.load.inputs import SNAPSHOT_ENV, load_quarter
from helpers.load.ledger import write_decisions
from helpers.model.quarter_model import build_quarter_model, model_documents

ROOT = Path(__file__).resolve().parents[1]
SITE = __name__  # this module is the fake site

# -- the fake site: just enough HTML to see what was rendered ---------------------


def render_notebook(nb, *, title: str, failed: bool = False) -> str:
    outputs = [
        out.get("text", "") or out.get("evalue", "")
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    ]
    status = "FAILED" if failed else "ok"
    return f"<html><h1>{title}</h1><p>{status}</p><pre>{''.join(outputs)}</pre></html>"


def render_quarter_page(manifest: dict, artifacts_dir: Path) -> str:
    rows = "".join(f"<li>{e['key']} {e['status']}</li>" for e in manifest["notebooks"])
    return f"<html><h1>{manifest['title']}</h1><ul>{rows}</ul></html>"


def publish_site_pages(reports_dir: Path, root: Path) -> None:
    quarters = sorted(p.name for p in reports_dir.iterdir() if p.name[:1].isdigit())
    (reports_dir / "index.html").write_text(f"<html>{' '.join(quarters)}</html>")


def write_brief(manifest: dict, artifacts_dir: Path, folder: Path) -> None:
    (folder / "brief.html").write_text(f"<html>brief of {manifest['quarter']}</html>")


# -- fixture notebooks and project --------------------------------------------------

HEADER = """quarter: str = "2026Q4"  # the quarter
root: str = ".."  # project folder
artifacts_dir: str = ""  # where artifacts go
"""

# the fixture notebooks read what the quarter model wrote, as the real ones do
CALIBRATION_CODE = """import json, os
doc = json.load(open(os.path.join(artifacts_dir, "calibration.json")))
print("calibrated", quarter, sorted(doc["metrics"]))
"""

CASE_CODE = """import csv, json, os
rows = {r["id"]: r for r in csv.DictReader(open(os.path.join(root, "data", "initiatives.csv")))}
row = rows[initiative_id]
if "FAIL" in row["name"]:
    raise ValueError(f"cannot simulate {initiative_id}")
case = json.load(open(os.path.join(artifacts_dir, "cases", initiative_id + ".json")))
print("case", case["id"])
"""

ROADMAP_CODE = """import json, os
roadmap = json.load(open(os.path.join(artifacts_dir, "roadmap.json")))
print("roadmap", sorted(roadmap["initiatives"]), roadmap["selected"])
"""

INITIATIVES = """id,name,category,owner,beneficiaries,status,\
benefit_low,benefit_high,cost_low,cost_high,duration_low,duration_high
A-1,First thing,email,Ann,Team,proposed,10000,50000,5000,20000,2,6
B-1,Second thing,web,Bob,Team,approved,20000,90000,8000,30000,3,9
C-1,Third thing,crm,Cat,Team,in_progress,5000,25000,2000,9000,1,4
D-1,Done thing,crm,Dan,Team,done,5000,25000,2000,9000,1,4
"""

ACTUALS = """id,name,category,completed,cost_estimate,cost_actual
P1,Old one,email,2024-01-10,10000,12000
P2,Old two,web,2024-02-10,20000,26000
P3,Old three,crm,2024-03-10,30000,29000
"""


def write_notebook(path: Path, parameters: str, code: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    widget = nbformat.v4.new_code_cell('raise RuntimeError("interactive cells are for JupyterLab")')
    widget.metadata["tags"] = ["interactive"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Fixture"), cell, nbformat.v4.new_code_cell(code)]
    nb.cells.append(widget)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def make_project(root: Path) -> Path:
    """A tiny project: two quarters, three in-scope initiatives, three fixture notebooks."""
    (root / "params").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "initiatives.csv").write_text(INITIATIVES)
    (root / "data" / "actuals.csv").write_text(ACTUALS)
    (root / "params" / "defaults.yaml").write_text("simulations: 200\n")
    for quarter in ("2026Q3", "2026Q4"):
        (root / "params" / f"{quarter}.yaml").write_text(
            f"quarter: {quarter}\ntitle: Roadmap {quarter}\n"
            "initiatives: data/initiatives.csv\nactuals: data/actuals.csv\n"
            "budget: 100000\ncapacity: 50\n"
        )
    notebooks = root / "notebooks"
    write_notebook(notebooks / "calibration.ipynb", HEADER, CALIBRATION_CODE)
    write_notebook(
        notebooks / "business_case.ipynb",
        HEADER + 'initiative_id: str = "A-1"  # which initiative\n',
        CASE_CODE,
    )
    write_notebook(
        notebooks / "roadmap.ipynb",
        HEADER + "compute_missing_cases: bool = True  # compute cases without JSON\n",
        ROADMAP_CODE,
    )
    return root


class InProcessExecutor(Executor):
    """Runs fixture notebooks in this process (exec of each code cell): fast, no kernel."""

    def __init__(self) -> None:
        self.ran: list[str] = []

    def map(self, tasks: Iterable[NotebookTask]) -> Iterator[TaskResult]:
        for task in tasks:
            self.ran.append(task.key if task.execute else f"render:{task.key}")
            yield self._run(task)

    def _run(self, task: NotebookTask) -> TaskResult:
        error = None
        if task.execute:
            nb = nbformat.read(task.notebook, as_version=4)
            namespace: dict = {}
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or "interactive" in cell.metadata.get("tags", []):
                    continue
                try:
                    exec(cell.source, namespace)
                    if "parameters" in cell.metadata.get("tags", []):
                        namespace.update(task.parameters)
                except Exception as exc:
                    cell.outputs = [
                        nbformat.v4.new_output(
                            "error",
                            ename=type(exc).__name__,
                            evalue=str(exc),
                            traceback=traceback.format_exception_only(exc),
                        )
                    ]
                    error = {"cell": index, "ename": type(exc).__name__, "evalue": str(exc)}
                    break
            Path(task.output).parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, task.output)
        nb = nbformat.read(task.output, as_version=4)
        html = resolve(task.renderer)(nb, title=task.title, failed=error is not None)
        Path(task.html).parent.mkdir(parents=True, exist_ok=True)
        Path(task.html).write_text(html)
        return TaskResult(task.key, "failed" if error else "ok", 0.01, error, rendered=True)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def build(project: Path, executor: Executor | None = None, **kwargs):
    executor = executor or InProcessExecutor()
    result = run_quarter(
        kwargs.pop("quarter", "2026Q4"),
        root=project,
        executor=executor,
        progress=False,
        site=SITE,
        **kwargs,
    )
    return result, executor


def statuses(result) -> dict[str, str]:
    return {e["key"]: e["status"] for e in result.manifest["notebooks"]}


# -- tests ----------------------------------------------------------------------------


def test_run_quarter_builds_and_publishes_every_notebook(project: Path) -> None:
    result, executor = build(project)

    assert executor.ran == ["calibration", "case:A-1", "case:B-1", "case:C-1", "roadmap"]
    assert statuses(result) == dict.fromkeys(executor.ran, "ok")
    assert result.exit_code == 0 and result.executed == 5 and result.reused == 0
    quarter = project / "reports" / "2026Q4"
    assert quarter.is_symlink()
    assert os.readlink(quarter).startswith(".builds/2026Q4-")
    for name in ("index.html", "calibration.html", "roadmap.html", "cases/B-1.html"):
        assert (quarter / name).is_file(), name
    manifest = json.loads((quarter / "build" / "manifest.json").read_text())
    assert manifest["quarter"] == "2026Q4" and manifest["title"] == "Roadmap 2026Q4"
    assert manifest["missing"] == []
    case = next(e for e in manifest["notebooks"] if e["key"] == "case:A-1")
    assert case["executed"] == "build/notebooks/cases/A-1.ipynb"
    assert case["html"] == "cases/A-1.html"
    assert case["notebook"] == "notebooks/business_case.ipynb"
    assert case["parameters"] == {"quarter": "2026Q4", "initiative_id": "A-1"}
    # the quarter model, computed once before any page: every case, then the roadmap
    artifacts = quarter / "build" / "artifacts"
    roadmap = json.loads((artifacts / "roadmap.json").read_text())
    assert sorted(roadmap["initiatives"]) == ["A-1", "B-1", "C-1"]
    model = json.loads((artifacts / "quarter.json").read_text())
    assert model["plan"]["selected"] == roadmap["selected"]
    assert {i: e["decision"] for i, e in model["initiatives"].items()} == {
        i: e["decision"] for i, e in roadmap["initiatives"].items()
    }
    assert sorted(p.stem for p in (artifacts / "cases").glob("*.json")) == ["A-1", "B-1", "C-1"]
    assert sorted(manifest["model"]["cases"]) == ["A-1", "B-1", "C-1"]
    assert sorted(manifest["inputs"]) == [
        "data/actuals.csv",
        "data/initiatives.csv",
        "params/2026Q4.yaml",
        "params/defaults.yaml",
    ]
    assert (quarter / "build/inputs/data/initiatives.csv").read_text() == INITIATIVES
    assert "2026Q4" in (project / "reports" / "index.html").read_text()


def test_run_quarter_nothing_changed_reuses_the_previous_build(project: Path) -> None:
    first, _ = build(project)
    target = os.readlink(project / "reports" / "2026Q4")

    second, executor = build(project)

    assert executor.ran == []
    assert second.up_to_date and second.reused == 5 and second.executed == 0
    assert os.readlink(project / "reports" / "2026Q4") == target
    assert len(list((project / "reports" / ".builds").glob("2026Q4-*"))) == 1
    assert "5 notebooks (0 executed, 0 kernels warm, 5 reused, 0 failed)" in second.summary_line()


def test_run_quarter_results_out_of_order_keep_plan_order_and_cache(project: Path) -> None:
    class Reversing(InProcessExecutor):
        def map(self, tasks):
            return reversed(list(super().map(tasks)))

    first, _ = build(project, Reversing())
    second, executor = build(project, Reversing())

    keys = [e["key"] for e in first.manifest["notebooks"]]
    assert keys == ["calibration", "case:A-1", "case:B-1", "case:C-1", "roadmap"]
    assert second.up_to_date and executor.ran == []


def test_run_quarter_one_initiative_changed_reexecutes_its_case_and_roadmap(
    project: Path,
) -> None:
    build(project)
    registers = project / "data" / "initiatives.csv"
    registers.write_text(INITIATIVES.replace("20000,90000", "20000,95000"))

    result, executor = build(project)

    assert executor.ran == ["case:B-1", "roadmap"]
    assert result.executed == 2 and result.reused == 3
    reused = {e["key"]: e["reused"] for e in result.manifest["notebooks"]}
    assert reused == {
        "calibration": True,
        "case:A-1": True,
        "case:B-1": False,
        "case:C-1": True,
        "roadmap": False,
    }
    case = json.loads((result.quarter_dir / "build/artifacts/cases/B-1.json").read_text())
    assert case["inputs"]["stated"]["benefit"]["high"] == 95000
    assert (result.quarter_dir / "cases" / "A-1.html").is_file()


def test_run_quarter_rebuild_computes_only_what_changed_must_do_check_included(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The must-do check before the build uses the previous build's calibration and cases
    (read back by prepare, into the model's memos): after one initiative changed, only
    its case is simulated, once, and the calibration is not computed again."""
    from helpers.model import backtest, business_case, quarter_model

    build(project)
    quarter_model.clear_memo()  # a new `playbook run` process remembers nothing
    registers = project / "data" / "initiatives.csv"
    registers.write_text(INITIATIVES.replace("20000,90000", "20000,95000"))
    simulated = []
    simulate = business_case.simulate_views
    monkeypatch.setattr(
        business_case,
        "simulate_views",
        lambda row, *a, **k: simulated.append(row["id"]) or simulate(row, *a, **k),
    )

    def not_again(*args, **kwargs):
        raise AssertionError("the calibration was computed again")

    monkeypatch.setattr(backtest, "calibrate_quarter", not_again)

    result, executor = build(project)

    assert simulated == ["B-1"]
    assert executor.ran == ["case:B-1", "roadmap"]
    assert (
        json.loads((result.quarter_dir / "build/artifacts/cases/B-1.json").read_text())["inputs"][
            "stated"
        ]["benefit"]["high"]
        == 95000
    )


def test_run_quarter_hands_every_notebook_the_inputs_it_checked_then_removes_them(
    project: Path,
) -> None:
    registers = project / "data" / "initiatives.csv"
    expected = list(load_quarter("2026Q4", project).initiatives["id"])
    seen = []

    class EditingMidBuild(InProcessExecutor):
        """Loads the quarter as each notebook would, with the register broken meanwhile."""

        def map(self, tasks):
            for task in tasks:
                registers.write_text("id,name\nbroken")
                try:
                    with mock.patch.dict(os.environ, task.env):  # as the kernel has them
                        loaded = load_quarter("2026Q4", project)
                finally:
                    registers.write_text(INITIATIVES)
                seen.append((task.key, task.env[SNAPSHOT_ENV], list(loaded.initiatives["id"])))
                yield self._run(task)

    result, _ = build(project, EditingMidBuild())

    assert [key for key, _, _ in seen] == [
        "calibration",
        "case:A-1",
        "case:B-1",
        "case:C-1",
        "roadmap",
    ]
    assert all(ids == expected for _, _, ids in seen)
    [snapshot] = {path for _, path, _ in seen}
    assert Path(snapshot).parent == result.quarter_dir.resolve()
    assert not Path(snapshot).exists() and not list(result.quarter_dir.rglob("*.pickle"))
    assert SNAPSHOT_ENV not in os.environ


def test_kernel_manager_passes_the_task_environment_to_the_kernel_only(monkeypatch) -> None:
    import asyncio

    from jupyter_client.manager import AsyncKernelManager

    from helpers.build import kernels

    monkeypatch.setenv("PLAYBOOK_TEST_SET", "before")
    monkeypatch.delenv("PLAYBOOK_TEST_UNSET", raising=False)
    started = []

    async def start_kernel(self, **kw):
        started.append(kw["env"])

    monkeypatch.setattr(AsyncKernelManager, "start_kernel", start_kernel)
    manager = kernels.kernel_manager_class({"PLAYBOOK_TEST_SET": "x", "PLAYBOOK_TEST_UNSET": "y"})

    asyncio.run(manager(kernel_name="python3").start_kernel())

    [env] = started
    assert env["PLAYBOOK_TEST_SET"] == "x" and env["PLAYBOOK_TEST_UNSET"] == "y"
    assert env["PATH"] == os.environ["PATH"]  # on top of this process's environment
    assert os.environ["PLAYBOOK_TEST_SET"] == "before"  # which is never changed
    assert "PLAYBOOK_TEST_UNSET" not in os.environ


def test_run_quarter_previous_quarter_built_changes_nothing(project: Path) -> None:
    build(project)
    build(project, quarter="2026Q3")  # output only: never read by another quarter's build

    result, executor = build(project)

    assert executor.ran == [] and result.up_to_date


def test_run_quarter_project_copied_with_its_reports_checks_the_copys_files(
    project: Path, tmp_path: Path
) -> None:
    """A build names the files it read relative to the project: a copy (or a move) of the
    project with its reports, its register then edited, is not "up to date" because the
    original's register is unchanged."""
    import shutil

    build(project)
    copy = tmp_path / "moved"
    shutil.copytree(project, copy, symlinks=True)
    register = copy / "data" / "initiatives.csv"
    register.write_text(register.read_text().replace("90000", "91000", 1))

    result, executor = build(copy)

    assert not result.up_to_date and executor.ran
    again, executor = build(copy)
    assert again.up_to_date and executor.ran == []


def test_run_quarter_ledger_recorded_reexecutes_the_roadmap(project: Path) -> None:
    build(project)
    write_decisions(project, "2026Q3", {"approved": {"plan": {"selected": []}}})

    result, executor = build(project)

    assert "roadmap" in executor.ran  # it compares with the previous quarter's plan
    assert not result.up_to_date


def test_run_quarter_force_reexecutes_everything(project: Path) -> None:
    build(project)

    result, executor = build(project, force=True)

    assert len(executor.ran) == 5 and result.executed == 5 and not result.up_to_date


def test_run_quarter_site_template_changed_rerenders_without_executing(project: Path) -> None:
    build(project)
    (project / "playbook").mkdir()
    (project / "playbook" / "site.css").write_text("body { color: black }")

    result, executor = build(project)

    assert executor.ran == [f"render:{k}" for k in statuses(result)]
    assert result.executed == 0 and not result.up_to_date


def test_run_quarter_params_comment_changed_republishes_without_executing(
    project: Path,
) -> None:
    build(project)
    params = project / "params" / "2026Q4.yaml"
    params.write_text(params.read_text() + "# reviewed by finance\n")

    result, executor = build(project)

    assert executor.ran == [] and not result.up_to_date
    copy = result.quarter_dir / "build" / "inputs" / "params" / "2026Q4.yaml"
    assert copy.read_text().endswith("# reviewed by finance\n")


def test_run_quarter_keeps_only_the_current_and_previous_builds(project: Path) -> None:
    for _ in range(3):
        build(project, force=True)

    builds = sorted(p.name for p in (project / "reports" / ".builds").glob("2026Q4-*"))
    assert len(builds) == 2
    assert os.readlink(project / "reports" / "2026Q4") == f".builds/{builds[-1]}"


def test_run_quarter_failing_case_is_isolated_and_reported(project: Path) -> None:
    registers = project / "data" / "initiatives.csv"
    registers.write_text(INITIATIVES.replace("Second thing", "Second FAIL thing"))

    result, executor = build(project)

    assert executor.ran == ["calibration", "case:A-1", "case:B-1", "case:C-1", "roadmap"]
    assert statuses(result) == {
        "calibration": "ok",
        "case:A-1": "ok",
        "case:B-1": "failed",
        "case:C-1": "ok",
        "roadmap": "ok",
    }
    assert result.exit_code == 1
    assert result.manifest["missing"] == []  # the model has its case; its page failed
    failed = result.failed[0]
    assert failed["error"] == {"cell": 2, "ename": "ValueError", "evalue": "cannot simulate B-1"}
    assert result.failure_line() == (
        "business_case.ipynb (case B-1) failed in cell 2: ValueError: cannot simulate B-1"
    )
    page = (result.quarter_dir / "cases" / "B-1.html").read_text()
    assert "FAILED" in page and "cannot simulate B-1" in page
    executed = nbformat.read(result.quarter_dir / failed["executed"], as_version=4)
    assert executed.cells[2].outputs[0]["ename"] == "ValueError"
    # the roadmap decides on the model's cases, whatever a page does
    roadmap = json.loads((result.quarter_dir / "build/artifacts/roadmap.json").read_text())
    assert sorted(roadmap["initiatives"]) == ["A-1", "B-1", "C-1"]


def test_run_quarter_failed_case_is_retried_next_build(project: Path) -> None:
    registers = project / "data" / "initiatives.csv"
    registers.write_text(INITIATIVES.replace("Second thing", "Second FAIL thing"))
    build(project)
    registers.write_text(INITIATIVES)

    result, executor = build(project)

    assert executor.ran == ["case:B-1", "roadmap"]
    assert result.exit_code == 0 and result.manifest["missing"] == []


def test_run_quarter_bad_input_runs_nothing(project: Path) -> None:
    params = project / "params" / "2026Q4.yaml"
    params.write_text(params.read_text() + "budgte: 5\n")
    executor = InProcessExecutor()

    with pytest.raises(InputError, match="unknown key 'budgte' \\(did you mean 'budget'\\?\\)"):
        build(project, executor)

    assert executor.ran == []
    assert not (project / "reports" / "2026Q4").exists()


def test_run_quarter_bad_input_stops_the_kernel_template_it_started(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A build on its own local workers starts their kernel template before it reads the
    inputs; bad input stops it at once (no process, no folder left)."""
    from helpers.build import engines

    started = []
    real = engines.LocalProcessExecutor.start_kernel_template

    def start(self):
        real(self)
        started.append(self._template)

    monkeypatch.setattr(engines.LocalProcessExecutor, "start_kernel_template", start)
    params = project / "params" / "2026Q4.yaml"
    params.write_text(params.read_text() + "budgte: 5\n")

    with pytest.raises(InputError, match="budgte"):
        run_quarter("2026Q4", root=project, progress=False, jobs=2)

    [template] = started
    assert template.process.poll() is not None  # stopped, not left to the lifeline
    assert not Path(template.folder).exists()


def test_executor_for_uses_the_early_local_workers_or_closes_them() -> None:
    from types import SimpleNamespace

    from helpers.build.engines import executor_for, start_kernels_early
    from helpers.build.executors import SerialExecutor
    from helpers.build.on_dask import DaskExecutor

    assert start_kernels_early("dask", None, "helpers.site") is None
    assert start_kernels_early(None, 1, "helpers.site") is None
    local = SimpleNamespace(executor="local", scheduler=None)
    on_dask = SimpleNamespace(executor="dask", scheduler=None)
    early = start_kernels_early(None, 2, "helpers.site")
    try:
        assert early._template.alive()
        assert executor_for(local, early, None, 2, None, None, "helpers.site") is early
        chosen = executor_for(on_dask, early, None, 2, None, None, "helpers.site")
        assert isinstance(chosen, DaskExecutor)  # not started until it warms up
        assert early._template is None  # closed: the params chose Dask
    finally:
        early.close()
    assert isinstance(executor_for(local, None, None, 1, None, None, "x"), SerialExecutor)


def test_run_quarter_interrupted_build_leaves_the_previous_site(project: Path) -> None:
    first, _ = build(project)
    target = os.readlink(project / "reports" / "2026Q4")
    index = (first.quarter_dir / "index.html").read_text()

    class Interrupted(InProcessExecutor):
        def map(self, tasks):
            yield from super().map(list(tasks)[:1])
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build(project, Interrupted(), force=True)

    assert os.readlink(project / "reports" / "2026Q4") == target
    assert (first.quarter_dir / "index.html").read_text() == index
    assert len(list((project / "reports" / ".builds").glob("2026Q4-*"))) == 1


@pytest.mark.parametrize(
    "broken, kept, message",
    [
        # the quarter page
        (
            "def render_quarter_page(manifest, artifacts_dir):\n    raise KeyError('npv')\n",
            "write_brief",
            "rendering the quarter page of 2026Q4 failed: KeyError",
        ),
        # the brief, written on a thread while the notebooks run: its error is the quarter
        # page's step's, as when it was written after them
        (
            "def write_brief(manifest, artifacts_dir, folder):\n"
            "    raise ValueError('no roadmap')\n",
            "render_quarter_page",
            "quarter page of 2026Q4 failed: ValueError: no roadmap",
        ),
    ],
    ids=["quarter page", "brief"],
)
def test_run_quarter_page_that_cannot_render_keeps_the_previous_site(
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    broken: str,
    kept: str,
    message: str,
) -> None:
    build(project)
    target = os.readlink(project / "reports" / "2026Q4")
    module = f"broken_but_{kept}"  # a name of its own: a module is imported once
    (tmp_path / f"{module}.py").write_text(
        f"from {SITE} import render_notebook, publish_site_pages, {kept}\n" + broken
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    with pytest.raises(BuildError, match=message):
        run_quarter(
            "2026Q4",
            root=project,
            executor=InProcessExecutor(),
            progress=False,
            site=module,
            force=True,
        )

    assert os.readlink(project / "reports" / "2026Q4") == target
    assert len(list((project / "reports" / ".builds").glob("2026Q4-*"))) == 1


def test_run_quarter_writes_the_brief_while_the_notebooks_run(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The brief reads the quarter model alone, so it is written beside the notebooks, not
    after them: the executor waits for it to start before running any notebook."""
    (tmp_path / "waiting_site.py").write_text(
        f"import threading\nfrom {SITE} import render_notebook, publish_site_pages\n"
        f"from {SITE} import render_quarter_page, write_brief as write\n"
        "started = threading.Event()\n"
        "def write_brief(manifest, artifacts_dir, folder):\n"
        "    started.set()\n"
        "    return write(manifest, artifacts_dir, folder)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import waiting_site

    class WaitsForTheBrief(InProcessExecutor):
        def map(self, tasks: Iterable[NotebookTask]) -> Iterator[TaskResult]:
            assert waiting_site.started.wait(30), "no brief was started before the notebooks"
            yield from super().map(tasks)

    result = run_quarter(
        "2026Q4", root=project, executor=WaitsForTheBrief(), progress=False, site="waiting_site"
    )

    assert (result.quarter_dir / "brief.html").read_text() == "<html>brief of 2026Q4</html>"


def test_run_quarter_writes_the_brief_first_when_notebooks_run_in_this_process(
    project: Path,
) -> None:
    """``playbook run -j 1`` runs notebooks in this process (papermill imports IPython and
    matplotlib as they run): no thread imports beside them, the brief is written first."""

    class InThisProcess(InProcessExecutor):
        in_this_process = True

        def map(self, tasks: Iterable[NotebookTask]) -> Iterator[TaskResult]:
            built = list((project / "reports" / ".builds").glob("2026Q4-*/brief.html"))
            assert built, "the brief was not written before the notebooks ran"
            yield from super().map(tasks)

    result, _ = build(project, InThisProcess())

    assert (result.quarter_dir / "brief.html").read_text() == "<html>brief of 2026Q4</html>"
    assert SerialExecutor().in_this_process  # the executor of `playbook run -j 1`


def test_run_quarter_never_changes_another_quarter(project: Path) -> None:
    other, _ = build(project, quarter="2026Q3")
    target = os.readlink(project / "reports" / "2026Q3")
    files = {p: p.stat().st_mtime_ns for p in other.quarter_dir.resolve().rglob("*")}

    build(project, force=True)
    build(project, force=True)

    assert os.readlink(project / "reports" / "2026Q3") == target
    assert {p: p.stat().st_mtime_ns for p in other.quarter_dir.resolve().rglob("*")} == files


def test_run_quarter_second_build_of_same_quarter_is_refused(project: Path) -> None:
    builds = project / "reports" / ".builds"
    builds.mkdir(parents=True)

    with (
        quarter_lock(builds, "2026Q4"),
        pytest.raises(BuildError, match="another build of 2026Q4 is running"),
    ):
        build(project)


def test_run_quarter_custom_reports_folder(project: Path, tmp_path: Path) -> None:
    result, _ = build(project, reports_dir=tmp_path / "site")

    assert (tmp_path / "site" / "2026Q4" / "index.html").is_file()
    assert (tmp_path / "site" / "index.html").is_file()
    assert not (project / "reports").exists()
    assert result.index == tmp_path / "site" / "2026Q4" / "index.html"


def test_run_quarter_replaces_an_old_style_quarter_folder(project: Path) -> None:
    legacy = project / "reports" / "2026Q4"
    legacy.mkdir(parents=True)
    (legacy / "index.html").write_text("old")

    result, _ = build(project)

    assert legacy.is_symlink() and (legacy / "index.html").read_text() != "old"
    assert result.exit_code == 0


def test_describe_failure_without_cell_and_with_more() -> None:
    entry = {
        "key": "roadmap",
        "notebook": "notebooks/roadmap.ipynb",
        "error": {"cell": None, "ename": "DeadKernelError", "evalue": "Kernel died"},
    }

    line = describe_failure(entry, more=2, index=Path("reports/2026Q4/index.html"))

    assert line == (
        "roadmap.ipynb failed: DeadKernelError: Kernel died "
        "(and 2 more failed notebooks: see reports/2026Q4/index.html)"
    )


def test_first_line_joins_an_input_error_and_truncates() -> None:
    from helpers.build.executors import first_line

    text = "1 problem in the inputs:\n  - input: initiative X, benefit: got nan\n"

    assert first_line(text) == "1 problem in the inputs: - input: initiative X, benefit: got nan"
    assert first_line("x" * 500, limit=10) == "x" * 9 + "…"


# -- real kernels ------------------------------------------------------------------------


def _task(project: Path, tmp_path: Path, key: str, **parameters) -> NotebookTask:
    """A task of a fixture notebook, its quarter model written where it reads it."""
    if not (tmp_path / "art" / "quarter.json").is_file():
        model = build_quarter_model(load_quarter("2026Q4", project))
        write_documents(tmp_path / "art", model_documents(model))
    name = "business_case" if key.startswith("case:") else key
    return NotebookTask(
        key=key,
        notebook=str(project / "notebooks" / f"{name}.ipynb"),
        output=str(tmp_path / "out" / f"{key}.ipynb"),
        parameters={"root": str(project), "artifacts_dir": str(tmp_path / "art"), **parameters},
        cwd=str(project / "notebooks"),
        html=str(tmp_path / "out" / f"{key}.html"),
        title=key,
        renderer=f"{SITE}:render_notebook",
    )


@pytest.mark.slow
def test_serial_executor_runs_papermill_and_reports_the_failing_cell(
    project: Path, tmp_path: Path
) -> None:
    (project / "data" / "initiatives.csv").write_text(
        INITIATIVES.replace("Second thing", "Second FAIL thing")
    )
    tasks = [
        _task(project, tmp_path, "calibration"),
        _task(project, tmp_path, "case:B-1", initiative_id="B-1"),
    ]

    results = {r.key: r for r in SerialExecutor().map(tasks)}

    assert results["calibration"].status == "ok"
    assert results["case:B-1"].status == "failed"
    # papermill counts the injected parameters cell: In [3] is the failing cell
    assert results["case:B-1"].error == {
        "cell": 3,
        "ename": "ValueError",
        "evalue": "cannot simulate B-1",
    }
    executed = nbformat.read(tmp_path / "out" / "case:B-1.ipynb", as_version=4)
    assert executed.metadata["papermill"]["parameters"]["initiative_id"] == "B-1"
    assert "cannot simulate B-1" in (tmp_path / "out" / "case:B-1.html").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("failures, status", [(2, "ok"), (3, "failed")])
def test_a_kernel_that_fails_to_start_is_started_again(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failures: int, status: str
) -> None:
    """A port taken by another process before the kernel bound it ("Address already in
    use") kills the kernel as it starts: the notebook runs on a new kernel, up to
    KERNEL_STARTS kernels; then the start failure is the notebook's error."""
    from helpers.build import executors, kernels

    starts = []
    made = kernels.kernel_manager_class

    def failing_first(env):
        base = made(env)

        class FailsToStart(base):
            async def start_kernel(self, **kw):
                starts.append(len(starts) + 1)
                if len(starts) <= failures:
                    raise kernels.KernelStartError("Kernel died before replying to kernel_info")
                return await super().start_kernel(**kw)

        return FailsToStart

    monkeypatch.setattr(kernels, "kernel_manager_class", failing_first)
    [result] = SerialExecutor().map([_task(project, tmp_path, "calibration")])

    assert result.status == status
    assert len(starts) == min(failures + 1, executors.KERNEL_STARTS)
    if status == "failed":
        assert result.error["ename"] == "KernelStartError"
        assert result.error["evalue"] == "Kernel died before replying to kernel_info"


@pytest.mark.slow
def test_serial_executor_rejects_unknown_parameters(project: Path, tmp_path: Path) -> None:
    task = _task(project, tmp_path, "calibration", initiative_id="A-1")

    [result] = SerialExecutor().map([task])

    assert result.status == "failed"
    assert result.error["ename"] == "UnknownParameterError"
    assert result.error["evalue"].startswith(
        "calibration.ipynb does not declare parameter(s) initiative_id in its parameters cell; "
        "declared: quarter, root, artifacts_dir."
    )
    assert "does not declare" in (tmp_path / "out" / "calibration.html").read_text()


@pytest.mark.slow
def test_local_process_executor_gives_the_kernel_the_task_environment(
    project: Path, tmp_path: Path
) -> None:
    probe = 'import os\nprint("snapshot:", os.environ.get("PLAYBOOK_INPUTS_SNAPSHOT"))'
    write_notebook(project / "notebooks" / "probe.ipynb", HEADER, probe)
    task = NotebookTask(
        **{**_task(project, tmp_path, "probe").__dict__, "env": {SNAPSHOT_ENV: "/b/in.pickle"}}
    )

    with LocalProcessExecutor(1, preload=[SITE]) as executor:
        [result] = list(executor.map([task]))

    assert result.status == "ok"
    executed = nbformat.read(tmp_path / "out" / "probe.ipynb", as_version=4)
    printed = [o.get("text", "") for c in executed.cells for o in c.get("outputs", [])]
    assert "snapshot: /b/in.pickle\n" in printed


@pytest.mark.slow
def test_local_process_executor_builds_the_fixture_quarter(project: Path) -> None:
    with LocalProcessExecutor(2, preload=[SITE]) as executor:
        result, _ = build(project, executor)
        again, _ = build(project, executor)

    assert statuses(result) == dict.fromkeys(statuses(result), "ok")
    assert result.executed == 5
    assert again.up_to_date
    case = nbformat.read(result.quarter_dir / "build/notebooks/cases/C-1.ipynb", as_version=4)
    assert case.cells[-2].outputs[0]["text"] == "case C-1\n"
    assert case.cells[-1].outputs == []  # the interactive cell is kept, not run
    shutil.rmtree(project / "reports")


def test_run_quarter_warms_its_executor_up_after_the_registers_before_the_model(
    project: Path, monkeypatch
) -> None:
    """The workers' start (forkserver imports, kernel template) overlaps the model step,
    after the registers were read and checked."""
    import helpers.load.inputs as inputs_module
    import helpers.model.quarter as quarter_module

    events: list[str] = []
    checked, load = quarter_module.check_must_dos, inputs_module.load_quarter

    def check_must_dos(inputs):
        events.append("model")
        return checked(inputs)

    def load_quarter(*args, **kwargs):
        events.append("registers")
        return load(*args, **kwargs)

    class Warming(InProcessExecutor):
        def warm_up(self) -> None:
            events.append("warm_up")

        def map(self, tasks):
            events.append("map")
            return super().map(tasks)

    monkeypatch.setattr(quarter_module, "check_must_dos", check_must_dos)
    monkeypatch.setattr(inputs_module, "load_quarter", load_quarter)
    result, _ = build(project, Warming())

    assert not result.failed
    # a typo in a register is reported at once, without waiting for workers to start
    assert events[:4] == ["registers", "warm_up", "model", "map"]


@pytest.mark.slow
def test_local_process_executor_warmed_up_builds_and_closes(project: Path) -> None:
    with LocalProcessExecutor(2, preload=[SITE]) as executor:
        executor.warm_up()
        executor.warm_up()  # once is enough: a second call changes nothing
        result, _ = build(project, executor)
    assert result.executed == 5
    assert statuses(result) == dict.fromkeys(statuses(result), "ok")

    idle = LocalProcessExecutor(1, kernel_preload=None)
    idle.warm_up()
    idle.close()  # waits for the warm-up, then stops its worker: returns, nothing left running
    idle.close()


@pytest.mark.slow
def test_serial_executor_missing_notebook_fails_its_task(project: Path, tmp_path: Path) -> None:
    (project / "notebooks" / "roadmap.ipynb").unlink()
    task = _task(project, tmp_path, "roadmap")

    [result] = SerialExecutor().map([task])

    assert result.status == "failed"
    assert result.error["ename"] == "FileNotFoundError"
    assert "roadmap.ipynb" in result.error["evalue"]
    assert (tmp_path / "out" / "roadmap.html").is_file()


@pytest.mark.slow
def test_serial_executor_hung_cell_fails_its_notebook(project: Path, tmp_path: Path) -> None:
    hang = "import time\ntime.sleep(60)"
    write_notebook(project / "notebooks" / "calibration.ipynb", HEADER, hang)
    task = _task(project, tmp_path, "calibration")
    task = NotebookTask(**{**task.__dict__, "cell_timeout": 2})

    [result] = SerialExecutor().map([task])

    assert result.status == "failed"
    assert result.error["ename"] == "CellTimeoutError"
    assert "timed out" in result.error["evalue"]
    assert result.seconds < 30
    assert (tmp_path / "out" / "calibration.html").is_file()


def render_by_dying(nb, *, title: str, failed: bool = False) -> str:
    os._exit(3)  # a worker killed mid-task (out of memory, kill -9)


@pytest.mark.slow
def test_local_process_executor_survives_a_dead_worker(tmp_path: Path) -> None:
    source = tmp_path / "nb.ipynb"
    write_notebook(source, HEADER, "print(1)")

    def task(renderer: str) -> NotebookTask:
        return NotebookTask(
            key=renderer,
            notebook=str(source),
            output=str(source),
            parameters={},
            cwd=str(tmp_path),
            html=str(tmp_path / "nb.html"),
            renderer=f"{SITE}:{renderer}",
            execute=False,
        )

    with LocalProcessExecutor(1, preload=[SITE]) as executor:
        [dead] = executor.map([task("render_by_dying")])
        [alive] = executor.map([task("render_notebook")])

    assert dead.status == "failed" and dead.error["ename"] == "WorkerDied"
    assert alive.status == "ok"


# -- kernels forked from the worker's kernel template --------------------------------

PROBE = """import sys
preloaded = "pandas" in sys.modules
import os
import matplotlib
import pandas as pd
print(sorted(k for k in globals() if not k.startswith("_")))
print(os.getcwd(), pd.get_option("display.max_columns"), matplotlib.get_backend())
print(os.environ.get("JPY_PARENT_PID") == str(os.getppid()) or preloaded)
print(os.getpid())
"""


@pytest.fixture()
def kernel_template(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A kernel template (preloading pandas) this process forks kernels from; stopped after."""
    from helpers.build import executors, kernels

    template = executors.KernelTemplate(["pandas"])
    monkeypatch.setattr(kernels, "_KERNEL_TEMPLATE", None)
    executors.connect_kernel_template(template.address)
    yield template
    template.stop()


def _probe(tmp_path: Path, name: str, code: str = PROBE, **changes) -> tuple[TaskResult, list]:
    source = tmp_path / "probe.ipynb"
    write_notebook(source, HEADER, code)
    task = NotebookTask(
        key=name,
        notebook=str(source),
        output=str(tmp_path / f"{name}.ipynb"),
        parameters={},
        cwd=str(tmp_path),
        **changes,
    )
    [result] = SerialExecutor().map([task])
    executed = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
    return result, executed.cells[2]


@pytest.mark.slow
def test_run_task_forked_kernel_is_like_a_new_kernel_with_imports_done(
    tmp_path: Path, kernel_template, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers.build import kernels

    forked, forked_cell = _probe(tmp_path, "forked")
    monkeypatch.setattr(kernels, "_KERNEL_TEMPLATE", None)
    fresh, fresh_cell = _probe(tmp_path, "fresh")

    assert forked.status == fresh.status == "ok"
    forked_lines = forked_cell.outputs[0]["text"].splitlines()
    fresh_lines = fresh_cell.outputs[0]["text"].splitlines()
    # the same namespace, folder, pandas display defaults and matplotlib backend
    assert forked_lines[:3] == fresh_lines[:3]
    assert forked_lines[1] == f"{tmp_path} 20 module://matplotlib_inline.backend_inline"
    assert forked_lines[2] == fresh_lines[2] == "True"
    assert forked_cell.execution_count == fresh_cell.execution_count == 2
    assert forked_lines[3] != fresh_lines[3]  # two processes
    assert kernel_template.alive()


@pytest.mark.slow
def test_run_task_forked_kernel_preloads_modules(tmp_path: Path, kernel_template) -> None:
    result, cell = _probe(tmp_path, "preloaded", code='import sys\nprint("pandas" in sys.modules)')

    assert result.status == "ok"
    assert cell.outputs[0]["text"] == "True\n"


@pytest.mark.slow
def test_run_task_forked_kernel_hung_cell_fails_and_kernel_is_stopped(
    tmp_path: Path, kernel_template
) -> None:
    # a timed-out cell's output is not kept: the kernel leaves its process id in a file
    code = "import os, time\nopen('pid', 'w').write(str(os.getpid()))\ntime.sleep(60)"

    result, _ = _probe(tmp_path, "hung", code=code, cell_timeout=3)

    assert result.status == "failed"
    assert result.error["ename"] == "CellTimeoutError"
    pid = int((tmp_path / "pid").read_text())
    for _ in range(100):  # the kernel is shut down once its notebook is done
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"kernel {pid} still running")


@pytest.mark.slow
@pytest.mark.parametrize("forked", [True, False], ids=["forked", "fresh"])
def test_run_task_kernel_is_stopped_at_once_after_its_last_cell(
    tmp_path: Path, kernel_template, monkeypatch: pytest.MonkeyPatch, forked: bool
) -> None:
    from helpers.build import kernels

    if not forked:
        monkeypatch.setattr(kernels, "_KERNEL_TEMPLATE", None)
    code = (
        "import atexit, os\n"
        "open('pid', 'w').write(str(os.getpid()))\n"
        "atexit.register(lambda: open('atexit', 'w').write('ran'))\n"
        "with open('written', 'w') as handle:\n"
        "    handle.write('all of it')"
    )

    result, _ = _probe(tmp_path, "stopped", code=code)

    assert result.status == "ok"
    assert (tmp_path / "written").read_text() == "all of it"  # what its cells did is done
    with pytest.raises(ProcessLookupError):  # gone by the time the task returns
        os.kill(int((tmp_path / "pid").read_text()), 0)
    # stopped, not asked to stop: notebooks must not leave work to atexit hooks
    assert not (tmp_path / "atexit").exists()


class _Channel:
    """An async channel replaying ``messages`` (a message, or None: nothing in time)."""

    def __init__(self, *messages):
        self.messages = list(messages)

    async def get_msg(self, timeout=None):
        from queue import Empty

        if not self.messages or self.messages[0] is None:
            if self.messages:
                self.messages.pop(0)
            raise Empty
        return self.messages.pop(0)


def _ready_client(shell: _Channel, iopub: _Channel, alive: bool = True):
    from helpers.build import kernels

    ready = kernels.kernel_manager_class()().client_factory
    # its channels replaced by the replays (they are read-only properties on the client)
    client = type("Replayed", (ready,), {"shell_channel": shell, "iopub_channel": iopub})()
    client.kernel_info = lambda: None

    async def is_alive():
        return alive

    client.is_alive = is_alive
    return client


def test_forked_kernel_client_is_ready_on_the_reply_and_drops_queued_messages() -> None:
    import asyncio

    reply = {"msg_type": "kernel_info_reply", "content": {"protocol_version": "4.1"}}
    status = {"msg_type": "status", "content": {"execution_state": "idle"}}
    # no reply at first (the kernel is starting), then one, then IOPub has spoken
    shell, iopub = _Channel(None, reply), _Channel(status, status, status)
    client = _ready_client(shell, iopub)

    asyncio.run(client.wait_for_ready(timeout=10))

    assert client.session.adapt_version == 4  # it speaks the kernel's protocol, as jupyter_client
    assert iopub.messages == []  # what the start left on IOPub is not read as a cell's output


def test_forked_kernel_client_dead_or_silent_kernel_is_an_error() -> None:
    import asyncio

    with pytest.raises(RuntimeError, match="died before replying"):
        asyncio.run(_ready_client(_Channel(None), _Channel(), alive=False).wait_for_ready(10))
    silent = _ready_client(_Channel(*[None] * 5), _Channel())
    with pytest.raises(RuntimeError, match="didn't respond in 0 seconds"):
        asyncio.run(silent.wait_for_ready(timeout=0))


@pytest.mark.slow
def test_run_task_dead_kernel_template_starts_kernels_the_usual_way(
    tmp_path: Path, kernel_template
) -> None:
    kernel_template.process.kill()
    kernel_template.process.wait(timeout=10)

    result, cell = _probe(tmp_path, "fallback", code='import sys\nprint("pandas" in sys.modules)')

    assert result.status == "ok"
    assert cell.outputs[0]["text"] == "False\n"


@pytest.mark.slow
def test_kernel_template_late_answer_kernels_start_the_usual_way(
    tmp_path: Path, kernel_template
) -> None:
    from helpers.build import kernels

    client = kernels.template_client()
    # still importing pandas: it cannot answer within a millisecond
    with pytest.raises(OSError):
        client.fork(["-f", str(tmp_path / "kernel.json")], str(tmp_path), {}, 0.001)

    assert not client.alive()  # this process asks it no more
    assert kernel_template.alive()  # other workers still may
    result, cell = _probe(tmp_path, "late", code='import sys\nprint("pandas" in sys.modules)')
    assert result.status == "ok"
    assert cell.outputs[0]["text"] == "False\n"


def test_run_quarter_nothing_changed_reads_one_manifest_without_loading_inputs(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(project)
    import helpers.load.inputs

    def no_loading(*args, **kwargs):
        raise AssertionError("an up-to-date check must not load and validate the registers")

    monkeypatch.setattr(helpers.load.inputs, "load_quarter", no_loading)

    second, executor = build(project)

    assert second.up_to_date and executor.ran == []
    (project / "data" / "initiatives.csv").write_text(INITIATIVES.replace("Bob", "Bea"))
    with pytest.raises(AssertionError, match="must not load"):  # a change: the usual path
        build(project)


def test_run_quarter_previous_draft_params_changed_is_up_to_date(project: Path) -> None:
    build(project)
    params = project / "params" / "2026Q3.yaml"  # a draft: the ledger holds no plan of it
    params.write_text(params.read_text().replace("budget: 100000", "budget: 90000"))

    result, executor = build(project)

    assert result.up_to_date and executor.ran == []


# -- planning at scale: one pass over the register ----------------------------------

VARIANTS = """id,name,category,owner,beneficiaries,status,\
benefit_low,benefit_high,cost_low,cost_high,duration_low,duration_high,variant_of
A-1,First thing,email,Ann,Team,proposed,10000,50000,5000,20000,2,6,
A-1L,First thing lean,email,Ann,Team,proposed,5000,30000,2000,9000,1,4,A-1
B-1,Second thing,web,Bob,Team,approved,20000,90000,8000,30000,3,9,
"""


def test_run_quarter_lean_variant_changed_reexecutes_its_family_only(project: Path) -> None:
    registers = project / "data" / "initiatives.csv"
    registers.write_text(VARIANTS)
    build(project)
    changed = VARIANTS.replace("5000,30000,2000", "5000,35000,2000")
    registers.write_text(changed)

    _, executor = build(project)

    # the variant, its full version (it compares itself with its variants), the roadmap
    assert sorted(executor.ran) == ["case:A-1", "case:A-1L", "roadmap"]

    registers.write_text(changed.replace("Second thing", "Second thing renamed"))
    _, executor = build(project)
    assert sorted(executor.ran) == ["case:B-1", "roadmap"]


def test_run_quarter_plans_cases_from_one_pass_over_the_register(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planning n cases must not scan the register once per case (quadratic at 2,000)."""
    import helpers.load.inputs

    def per_case_scan(*args, **kwargs):
        raise AssertionError("initiative_row scans the register: planning must use the index")

    monkeypatch.setattr(helpers.load.inputs, "initiative_row", per_case_scan)
    result, executor = build(project)

    assert result.exit_code == 0
    assert sorted(executor.ran) == ["calibration", "case:A-1", "case:B-1", "case:C-1", "roadmap"]


def test_audit_copy_keeps_what_the_roadmap_compared_with(project: Path) -> None:
    # 2026Q3 never approved: nothing to compare with, nothing kept
    result, _ = build(project)
    assert not any(name.startswith("previous/") for name in result.manifest["inputs"])

    # once 2026Q3 is in the ledger, its decisions are what the comparison reads and keeps
    decisions = write_decisions(project, "2026Q3", {"approved": {"plan": {"selected": ["A-1"]}}})
    result, _ = build(project)
    kept = result.quarter_dir / "build" / "inputs" / "previous" / "2026Q3" / "decisions.json"
    assert kept.read_bytes() == decisions.read_bytes()
    assert "previous/2026Q3/decisions.json" in result.manifest["inputs"]


def test_run_quarter_benefit_driver_changed_recomputes_that_case(tmp_path: Path) -> None:
    """A templated case is computed from the benefits register: a driver edit re-runs it."""
    project = tmp_path / "sample"
    for name in ("params", "data", "playbook"):
        shutil.copytree(ROOT / name, project / name)
    make_project(tmp_path / "fixture")  # the fixture notebooks, on the sample's inputs
    shutil.copytree(tmp_path / "fixture" / "notebooks", project / "notebooks")
    write_notebook(
        project / "notebooks" / "business_case.ipynb",
        HEADER + 'initiative_id: str = "EML-01"  # which initiative\n',
        'import json, os\nprint(json.load(open(os.path.join(artifacts_dir, "cases", '
        'initiative_id + ".json")))["npv"]["mean"])\n',
    )
    first, _ = build(project)
    assert first.exit_code == 0
    before = (first.quarter_dir / "build/artifacts/cases/DATA-01.json").read_text()
    register = project / "data" / "sample" / "benefits_2026Q4.csv"
    lines = register.read_text().splitlines()
    edited = next(i for i, line in enumerate(lines) if line.startswith("DATA-01,"))
    cells = lines[edited].split(",")
    cells[5] = str(float(cells[5]) * 2)  # the first driver's high, doubled
    lines[edited] = ",".join(cells)
    register.write_text("\n".join(lines) + "\n")

    result, executor = build(project)

    assert "case:DATA-01" in executor.ran and "case:WEB-01" not in executor.ran
    after = (result.quarter_dir / "build/artifacts/cases/DATA-01.json").read_text()
    assert after != before


def test_a_build_runs_where_fcntl_does_not_exist(tmp_path: Path) -> None:
    """Windows has no fcntl: the package imports and a build runs without it (filelock)."""
    script = f"""
import sys
sys.modules["fcntl"] = None  # import fcntl now raises ImportError, as on Windows
sys.path.insert(0, {str(Path(__file__).parent)!r})
import importlib, pkgutil, helpers
for info in pkgutil.walk_packages(helpers.__path__, "helpers."):
    importlib.import_module(info.name)
from test_pipeline import build, make_project, statuses
from pathlib import Path
result, _ = build(make_project(Path({str(tmp_path)!r}) / "project"))
print(sorted(set(statuses(result).values())))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "['ok']"


def test_a_worker_renders_an_empty_page_as_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nbconvert's exporter and templates are made as a worker starts (warm_worker), not in
    its first page (0.5-0.7 s of it); a renderer that fails there fails nothing."""
    from helpers.build.executors import warm_worker

    (tmp_path / "counting_site.py").write_text(
        "rendered = []\n"
        "def render_notebook(nb, *, title, **kwargs):\n"
        "    rendered.append((len(nb.cells), title))\n"
        "    return '<html></html>'\n"
    )
    (tmp_path / "broken_renderer.py").write_text(
        "def render_notebook(nb, *, title, **kwargs):\n    raise ValueError('no template')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import counting_site

    warm_worker(["nbformat", "broken_renderer", "counting_site"])

    assert counting_site.rendered == [(0, "warm-up")]
