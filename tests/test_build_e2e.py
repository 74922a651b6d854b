"""End to end: ``playbook run`` as a user runs it, into a temporary reports folder.

- the sample quarter, built from a copy of the project (real notebooks, real site):
  built once per test session (``conftest.sample_build``), read here, then built again
  into another folder on Dask: the same pages and artifacts;
- a build killed part-way leaves the previous site whole;
- one initiative changed so its notebook fails (in a copy of the sample build): that
  case is marked failed in the manifest and the site, every other report is present,
  exit 1 with one line.

Slow (every notebook starts a kernel), so marked ``slow``; they run in CI.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import PLAYBOOK, SampleBuild, built_outputs, playbook
from test_pipeline import make_project

pytestmark = pytest.mark.slow


def in_scope_ids(project: Path, quarter: str = "2026Q4") -> list[str]:
    from helpers.load.inputs import load_quarter

    return list(load_quarter(quarter, project).in_scope()["id"])


def read_manifest(quarter_dir: Path) -> dict:
    return json.loads((quarter_dir / "build" / "manifest.json").read_text())


def snapshot(reports: Path) -> dict[str, str]:
    """Every published file (through the quarter symlinks), by path and content hash."""
    files = {}
    for path in sorted(reports.rglob("*")):
        relative = path.relative_to(reports)
        if relative.parts[0].startswith(".") or not path.is_file():
            continue
        files[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    for quarter in reports.iterdir():
        if quarter.is_symlink() and not quarter.name.startswith("."):
            for path in quarter.rglob("*"):
                if path.is_file():
                    key = path.relative_to(reports).as_posix()
                    files[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def without_times(html: str) -> str:
    """A page with its build times and durations blanked (they differ between builds)."""
    html = re.sub(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?", "T", html)
    return re.sub(r"\d+(\.\d+)? ?s\b", "S", html)


def assert_site_complete(reports: Path, quarter: str) -> dict:
    """The quarter's published build is whole: every page and file its manifest names."""
    quarter_dir = reports / quarter
    manifest = read_manifest(quarter_dir)
    assert (reports / "index.html").is_file()
    assert (quarter_dir / "index.html").is_file()
    for entry in manifest["notebooks"]:
        assert (quarter_dir / entry["html"]).is_file(), entry["html"]
        assert (quarter_dir / entry["executed"]).is_file(), entry["executed"]
    return manifest


# -- the sample quarter -------------------------------------------------------------------


def test_run_sample_quarter_publishes_every_report(
    sample_build: SampleBuild, tmp_path: Path
) -> None:
    done, sample_project, reports = sample_build.done, sample_build.project, sample_build.reports

    assert done.returncode == 0, done.stderr
    ids = in_scope_ids(sample_project)
    # calibration, one case per initiative, roadmap, and the review of 2026Q3
    # every kernel forked from the warm template (the fast path through the provisioner)
    n = len(ids) + 3
    assert f"2026Q4: {n} notebooks ({n} executed, {n} kernels warm, 0 reused" in done.stdout
    manifest = assert_site_complete(reports, "2026Q4")
    assert [e["key"] for e in manifest["notebooks"]] == (
        ["calibration"] + [f"case:{i}" for i in ids] + ["roadmap", "review"]
    )
    assert {e["status"] for e in manifest["notebooks"]} == {"ok"}
    assert manifest["missing"] == []
    quarter = reports / "2026Q4"
    for page in ["calibration.html", "roadmap.html"] + [f"cases/{i}.html" for i in ids]:
        html = (quarter / page).read_text()
        assert "Traceback" not in html, page
    artifacts = quarter / "build" / "artifacts"
    assert (artifacts / "calibration.json").is_file() and (artifacts / "roadmap.json").is_file()
    assert sorted(p.stem for p in (artifacts / "cases").glob("*.json")) == sorted(ids)
    inputs = quarter / "build" / "inputs"
    for name in ("params/2026Q4.yaml", "params/defaults.yaml", "data/sample/initiatives.csv"):
        assert (inputs / name).read_bytes() == (sample_project / name).read_bytes()
    assert (reports / "index.html").is_file()
    # the same figures as tables a BI tool reads (README: "Every quarter as data")
    document = json.loads((artifacts / "quarter.json").read_text())
    decisions = pd.read_parquet(quarter / "data" / "decisions.parquet").set_index("initiative_id")
    assert sorted(decisions.index) == sorted(document["initiatives"])
    for initiative_id, row in document["initiatives"].items():
        assert decisions.loc[initiative_id, "value_amount"] == row["value"], initiative_id
        assert decisions.loc[initiative_id, "decision"] == row["decision"], initiative_id
    with duckdb.connect(str(reports / "playbook.duckdb"), read_only=True) as con:
        plan = con.execute("select * from quarters where quarter = '2026Q4'").df().iloc[0]
    assert plan["cost_at_confidence_amount"] == document["plan"]["cost_at_confidence"]

    # run again (in a copy: the shared build stays as built): nothing to do
    copy = sample_build.copy_to(tmp_path / "copy")
    again = playbook("run", "2026Q4", "--root", copy.project, "--reports", copy.reports, "-q")

    assert again.returncode == 0, again.stderr
    assert f"(0 executed, 0 kernels warm, {len(ids) + 3} reused, 0 failed)" in again.stdout
    assert "(up to date)" in again.stdout
    assert read_manifest(copy.quarter)["built_at"] == manifest["built_at"]

    # a second build of the same inputs, into another folder and on Dask (a LocalCluster
    # of warm workers), gives the same artifacts byte for byte and the same pages, apart
    # from build times: output is never input, and Dask builds what the local pool builds
    other = tmp_path / "reports-again"
    rebuilt = playbook(
        "run", "2026Q4", "--root", copy.project, "--reports", other, "-q", "--executor", "dask"
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"({n} executed, {n} kernels warm, 0 reused, 0 failed)" in rebuilt.stdout
    ours, theirs = built_outputs(quarter), built_outputs(other / "2026Q4")
    assert sorted(ours) == sorted(theirs)
    assert {"build/artifacts/quarter.json", "roadmap.html", f"cases/{ids[0]}.html"} <= set(ours)
    for name in ours:
        first, second = ours[name].read_bytes(), theirs[name].read_bytes()
        if name.endswith(".html"):
            first, second = without_times(first.decode()), without_times(second.decode())
        assert first == second, f"{name} differs between two builds of the same inputs"
    again = playbook(
        "run", "2026Q4", "--root", copy.project, "--reports", other, "--executor", "dask"
    )
    assert again.returncode == 0 and "(up to date)" in again.stdout, again.stderr


def test_run_sample_quarter_failing_case_is_marked_and_the_rest_published(
    sample_build: SampleBuild, tmp_path: Path
) -> None:
    """In a copy of the sample build: the changed case and the reports reading it run
    again, the others are reused; the site is published all the same."""
    copy = sample_build.copy_to(tmp_path)
    failing = make_case_fail(copy.project)
    reports = copy.reports

    done = playbook("run", "2026Q4", "--root", copy.project, "--reports", reports, "-q")

    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"Error: business_case.ipynb (case {failing}) failed in cell ")
    manifest = assert_site_complete(reports, "2026Q4")
    status = {e["key"]: e["status"] for e in manifest["notebooks"]}
    assert status.pop(f"case:{failing}") == "failed"
    assert set(status.values()) == {"ok"}  # every other report, the roadmap included
    assert manifest["missing"] == [failing]
    entry = next(e for e in manifest["notebooks"] if e["key"] == f"case:{failing}")
    assert entry["error"]["ename"] and entry["error"]["cell"] is not None
    assert f"failed in cell {entry['error']['cell']}: {entry['error']['ename']}" in line
    page = (reports / "2026Q4" / entry["html"]).read_text()
    assert entry["error"]["ename"] in page
    quarter_page = (reports / "2026Q4" / "index.html").read_text()
    assert "failed" in quarter_page.lower()


def make_case_fail(project: Path) -> str:
    """Change one in-scope initiative so that its business case cannot be computed."""
    import csv

    path = project / "data" / "sample" / "initiatives.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    variants_of = {r["variant_of"] for r in rows}
    row = next(  # one without lean variants: their cases simulate it too
        r
        for r in rows
        if r["status"] == "proposed" and not r["variant_of"] and r["id"] not in variants_of
    )
    # passes validation (0 < low < high, both within the 1e12 bound), but a cost range
    # spanning 300 orders of magnitude overflows double precision once simulated
    row.update(cost_low="1e-300", cost_likely="", cost_high="1e12")
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return row["id"]


# -- killed builds ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_quarter_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture quarter (``test_pipeline.make_project``) built once for the module:
    each killed build below runs in a copy of it."""
    folder = tmp_path_factory.mktemp("built")
    project = make_project(folder / "project")
    first = playbook("run", "2026Q4", "--root", project, "--reports", folder / "reports", "-q")
    assert first.returncode == 0, first.stderr
    return folder


@pytest.mark.parametrize("moment", ["build folder created", "first case rendered", "manifest"])
def test_run_killed_part_way_leaves_the_previous_site(
    fixture_quarter_built: Path, tmp_path: Path, moment: str
) -> None:
    shutil.copytree(fixture_quarter_built, tmp_path / "copy", symlinks=True)
    project, reports = tmp_path / "copy" / "project", tmp_path / "copy" / "reports"
    before = snapshot(reports)
    published = os.readlink(reports / "2026Q4")

    process = subprocess.Popen(
        [str(PLAYBOOK), "run", "2026Q4", "--root", str(project), "--reports", str(reports)]
        + ["-q", "--force", "-j", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(reports / ".builds", published, moment, process)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    if os.readlink(reports / "2026Q4") == published:
        assert snapshot(reports) == before  # the previous site, untouched
    else:  # killed after the swap: the new build is the site, and it is whole
        assert_site_complete(reports, "2026Q4")
    again = playbook("run", "2026Q4", "--root", project, "--reports", reports, "-q", "-j", "2")
    assert again.returncode == 0, again.stderr
    assert len(list((reports / ".builds").glob("2026Q4-*"))) <= 2  # the killed one collected


def wait_for(builds: Path, published: str, moment: str, process: subprocess.Popen) -> None:
    """Poll until the new build reaches ``moment`` (or the build ends)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        fresh = [p for p in builds.glob("2026Q4-*") if p.name != Path(published).name]
        if fresh:
            build = fresh[0]
            if moment == "build folder created":
                return
            if moment == "first case rendered" and list(build.glob("cases/*.html")):
                return
            if moment == "manifest" and (build / "build" / "manifest.json").exists():
                return
        time.sleep(0.005)
