"""Shared fixtures: the project root, the sample quarter built once, the published datasets.

Scheduling under ``pytest -n 2 --dist loadgroup`` (the Makefile's ``test``): a worker
runs a whole ``xdist_group``; tests in no group are handed out one by one. Here:

- the notebooks run by nbval: one group per notebook (its cells share one kernel);
- every test using ``sample_build``: one group, so the sample quarter is built once
  per run, whichever files those tests are in; likewise ``large_quarter``;
- a test using a module- or class-scoped fixture: one group per file, so the fixture
  is made once;
- a test marked ``xdist_group`` itself: that group;
- every other test: no group.

The work is handed out slowest first (``SLOW_FIRST``, then collection order, kept by
``--no-loadscope-reorder``), so the long tests start at once on both workers and the
many quick ones fill the end.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers.build.executors import KERNEL_STARTS  # the builds' own, for nbval's kernels too

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_DATASETS = SHARED / "datasets"
PLAYBOOK = Path(sys.executable).parent / "playbook"
SAMPLE_QUARTER = "2026Q4"
PROJECT_PARTS = ("params", "data", "notebooks", "playbook")
SAMPLE_GROUP = "sample-build"
LARGE_GROUP = "large-quarter"

# the longest groups and tests (seconds measured with --durations on a loaded 2-core
# machine), started first; a test id or group name, or the start of one
SLOW_FIRST = (
    SAMPLE_GROUP,  # ~155 s: a local and a Dask build, two partial ones, browser checks
    "tests/test_dask.py",  # ~45 s: the module's local build, a Dask build of it shipped
    "tests/test_dask.py::test_dask_executor_killed_worker",  # ~120 s
    "tests/test_faults.py::test_run_quarter_worker_killed_mid_build",  # ~50 s
    "tests/test_faults.py::test_local_process_executor_dead_worker",  # ~47 s
    "tests/test_jupyterlab.py",
    "notebooks/business_case.ipynb",
    "notebooks/roadmap.ipynb",
    "notebooks/calibration.ipynb",
    "notebooks/review.ipynb",
    "notebooks/calibration_history.ipynb",
    LARGE_GROUP,  # ~30 s to build, then browser checks
    "tests/test_build_e2e.py",
    "tests/test_lifeline.py::test_run_killed_with_sigkill",  # ~28 s
    "tests/test_faults.py::test_run_cli_refused_build",  # ~24 s
    "tests/test_calibration_by.py::test_playbook_run",
    "tests/test_pipeline.py",
    "tests/test_faults.py",
    "tests/test_browser.py",
    "tests/test_site.py",
)
_SHARED_SCOPES = ("module", "class", "package")


def _group(item: pytest.Item) -> str | None:
    """The xdist group ``item`` runs in (None: any worker, on its own)."""
    if item.path.suffix == ".ipynb":
        return item.nodeid.split("::", 1)[0]
    fixtures = getattr(item, "fixturenames", ())
    if "sample_build" in fixtures:
        return SAMPLE_GROUP
    if "large_quarter" in fixtures:
        return LARGE_GROUP
    mark = item.get_closest_marker("xdist_group")
    if mark is not None:
        return None  # named by the test itself
    info = getattr(item, "_fixtureinfo", None)
    for definitions in info.name2fixturedefs.values() if info else ():
        if any(d.scope in _SHARED_SCOPES for d in definitions):
            return item.nodeid.split("::", 1)[0]
    return None


def _rank(item: pytest.Item, group: str | None) -> int:
    for rank, name in enumerate(SLOW_FIRST):
        if group == name or item.nodeid.startswith(name):
            return rank
    return len(SLOW_FIRST)


@pytest.hookimpl(tryfirst=True)  # before xdist names the groups in the node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ranks = {}
    for item in items:
        group = _group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
        ranks[item.nodeid] = _rank(item, group)
    # a stable sort: within a group and among the quick tests, collection order stays
    items.sort(key=lambda item: ranks[item.nodeid])


def retrying_kernel_start(start, attempts: int = KERNEL_STARTS):
    """nbval's ``start_new_kernel``, started again when the kernel dies as it starts.

    jupyter_client picks free ports, then the kernel binds them; under the suite's load
    another process (a Dask cluster starting, another kernel) can take one between the
    two, and the kernel dies "before replying to kernel_info" (seen once: every cell of
    review.ipynb errored). The playbook's own builds start such a kernel again
    (``executors._with_kernel_restarts``); nbval cannot be told to, so it is wrapped
    here. A kernel that does not answer in time is not tried again."""

    @functools.wraps(start)
    def start_new_kernel(*args, **kwargs):
        for _ in range(attempts - 1):
            try:
                return start(*args, **kwargs)
            except RuntimeError as exc:
                if "died" not in str(exc):
                    raise
        return start(*args, **kwargs)

    return start_new_kernel


def pytest_configure(config: pytest.Config) -> None:
    from nbval import kernel

    kernel.start_new_kernel = retrying_kernel_start(kernel.start_new_kernel)


@pytest.fixture(scope="session")
def root() -> Path:
    """The project folder (params/, data/, notebooks/)."""
    return ROOT


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """``../shared/datasets``: published estimate-versus-actual data, read in place.

    Missing: the tests fail where ``../shared`` exists (CI, the shared checkout) or
    ``CI=true``; only a lone clone of the project skips them."""
    if not SHARED_DATASETS.is_dir():
        message = (
            f"published datasets not found at {SHARED_DATASETS}: "
            "clone the project beside shared/ to run these tests"
        )
        if SHARED.is_dir() or os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return SHARED_DATASETS


@dataclass(frozen=True)
class SampleBuild:
    """The sample quarter built once by ``playbook run``: read it, never change it
    (copy it with ``copy_to`` for a variation)."""

    project: Path  # the copy of params, data, notebooks and playbook it was built from
    reports: Path  # the reports folder (``reports/<quarter>`` a symlink into .builds)
    done: subprocess.CompletedProcess  # the ``playbook run`` that built it
    quarter_name: str = SAMPLE_QUARTER

    @property
    def quarter(self) -> Path:
        return self.reports / self.quarter_name

    def copy_to(self, folder: Path) -> SampleBuild:
        """A copy of the project and its reports (symlinks kept), for a variation."""
        project, reports = folder / "project", folder / "reports"
        shutil.copytree(self.project, project, symlinks=True)
        shutil.copytree(self.reports, reports, symlinks=True)
        return SampleBuild(project, reports, self.done, self.quarter_name)


def copy_project(root: Path, project: Path) -> Path:
    """A copy of the project's params, data, notebooks and playbook (the code stays installed)."""
    for name in PROJECT_PARTS:
        shutil.copytree(root / name, project / name, ignore=shutil.ignore_patterns(".*"))
    return project


def built_outputs(quarter_dir: Path) -> dict[str, Path]:
    """A built quarter's pages and JSON artifacts, by path relative to the quarter (to
    compare two builds file by file)."""
    found = {}
    for path in sorted(quarter_dir.resolve().rglob("*")):
        relative = path.relative_to(quarter_dir.resolve()).as_posix()
        if path.suffix == ".html" or (path.suffix == ".json" and "/artifacts/" in f"/{relative}"):
            found[relative] = path
    return found


def playbook(*args: str | Path, **kwargs) -> subprocess.CompletedProcess:
    """``playbook ...`` as a user runs it, in a subprocess."""
    return subprocess.run(
        [str(PLAYBOOK), *map(str, args)], capture_output=True, text=True, timeout=900, **kwargs
    )


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> SampleBuild:
    """``playbook run 2026Q4`` on a copy of the sample project, once per test session
    (one worker runs every test using it: see the groups above)."""
    folder = tmp_path_factory.mktemp("sample-build")
    project = copy_project(ROOT, folder / "project")
    reports = folder / "reports"
    done = playbook("run", SAMPLE_QUARTER, "--root", project, "--reports", reports, "-q")
    assert done.returncode == 0, f"the sample quarter failed to build:\n{done.stderr}"
    return SampleBuild(project, reports, done)


@pytest.fixture(scope="session")
def large_quarter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A quarter of 2,000 initiatives (``test_site.build_large_quarter``: real long
    tables, no notebooks run), once per test session; read it, never change it."""
    from test_site import build_large_quarter

    return build_large_quarter(tmp_path_factory.mktemp("large") / "reports", ROOT)
