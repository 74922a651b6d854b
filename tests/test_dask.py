"""The Dask executor: the same build as the local executor, and a lost worker loses one notebook.

Builds the fixture quarter of ``test_pipeline`` with real kernels on a cluster
reached by its scheduler address (inputs travel with each task), and on a
``LocalCluster`` started by the executor whose worker is killed. The sample quarter
built on a LocalCluster, compared file by file with the local build:
``test_build_e2e.test_run_sample_quarter_publishes_every_report``; its workers'
configuration: ``test_clusters``.
"""

from __future__ import annotations

import filecmp
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from conftest import built_outputs
from test_pipeline import (
    CASE_CODE,
    HEADER,
    INITIATIVES,
    SITE,
    build,
    make_project,
    statuses,
    write_notebook,
)

from helpers.build.executors import LocalProcessExecutor
from helpers.build.on_dask import DaskExecutor
from helpers.build.pipeline import run_quarter

distributed = pytest.importorskip("distributed", reason="pip install '.[dask]'")

pytestmark = pytest.mark.slow


def build_into(project: Path, reports: Path, executor) -> object:
    return run_quarter(
        "2026Q4", root=project, reports_dir=reports, executor=executor, progress=False, site=SITE
    )


@pytest.fixture(scope="module")
def local_build(tmp_path_factory: pytest.TempPathFactory):
    project = make_project(tmp_path_factory.mktemp("dask") / "project")
    with LocalProcessExecutor(2, preload=[SITE]) as executor:
        result = build_into(project, project / "reports-local", executor)
    return project, result


def assert_same_build(local, dask) -> None:
    assert statuses(dask) == statuses(local) == dict.fromkeys(statuses(local), "ok")
    assert [e["cache_key"] for e in dask.manifest["notebooks"]] == [
        e["cache_key"] for e in local.manifest["notebooks"]
    ]
    ours, theirs = built_outputs(dask.quarter_dir), built_outputs(local.quarter_dir)
    assert sorted(ours) == sorted(theirs)
    assert "build/artifacts/roadmap.json" in ours and "cases/B-1.html" in ours
    different = [name for name in ours if not filecmp.cmp(ours[name], theirs[name], shallow=False)]
    assert different == []  # byte-identical artifacts and pages


def test_dask_executor_scheduler_address_ships_inputs_and_outputs(local_build) -> None:
    project, local = local_build

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=50
        ) as cluster,
        DaskExecutor(scheduler=cluster.scheduler_address) as executor,
    ):
        assert executor.ship
        dask = build_into(project, project / "reports-shipped", executor)

    assert_same_build(local, dask)
    roadmap = json.loads((dask.quarter_dir / "build/artifacts/roadmap.json").read_text())
    assert sorted(roadmap["initiatives"]) == ["A-1", "B-1", "C-1"]


def test_dask_executor_shared_path_refuses_a_project_outside_it(tmp_path: Path) -> None:
    from helpers.core.errors import PlaybookError

    project = make_project(tmp_path / "project")
    executor = DaskExecutor(scheduler="tcp://127.0.0.1:1", shared_path=tmp_path / "elsewhere")

    with pytest.raises(PlaybookError, match="is outside the shared path .*elsewhere"):
        build(project, executor)


# a case that sleeps the first time it runs, so that its worker can be killed meanwhile
SLEEPY_ONCE = (
    "import os, time\n"
    "holding = os.path.join(root, 'holding')\n"
    "if initiative_id == 'B-1':\n"
    "    first = not os.path.exists(holding)\n"
    "    open(holding, 'a').write(os.environ['JPY_PARENT_PID'] + '\\n')\n"
    "    if first:\n"
    "        time.sleep(60)\n"
) + CASE_CODE


def test_dask_executor_killed_worker_retries_or_fails_only_its_notebook(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    extra = "".join(
        f"E-{n},Extra {n},web,Eve,Team,proposed,10000,50000,5000,20000,2,6\n" for n in range(1, 4)
    )
    (project / "data" / "initiatives.csv").write_text(INITIATIVES + extra)
    write_notebook(
        project / "notebooks" / "business_case.ipynb",
        HEADER + 'initiative_id: str = "A-1"  # which initiative\n',
        SLEEPY_ONCE,
    )
    holding = project / "holding"
    killed: list[int] = []

    def kill_the_worker_holding_b1() -> None:
        deadline = time.monotonic() + 300
        while not holding.is_file() or not holding.read_text().strip():
            if time.monotonic() > deadline:
                return
            time.sleep(0.1)
        killed.append(int(holding.read_text().split()[0]))
        os.kill(killed[0], signal.SIGKILL)

    killer = threading.Thread(target=kill_the_worker_holding_b1, daemon=True)
    killer.start()
    started = time.monotonic()
    with DaskExecutor(2) as executor:
        result, _ = build(project, executor)
    killer.join(timeout=1)

    assert killed, "the B-1 notebook never started"
    assert time.monotonic() - started < 300
    states = statuses(result)
    others = {k: v for k, v in states.items() if k != "case:B-1"}
    assert others == dict.fromkeys(others, "ok")  # nothing else was lost
    if states["case:B-1"] == "ok":  # retried on another worker
        assert len(holding.read_text().split()) == 2
    else:
        assert result.failed[0]["error"]["ename"] == "WorkerDied"
    assert result.refused is None
    assert (result.quarter_dir / "cases" / "E-3.html").is_file()
