"""Faults during a build: dead workers, builds too broken to publish, stale site pages,
a read-only reports folder, folders left by killed builds (issue 10, Faults).

Uses the fixture project, fake site and in-process executor of ``test_pipeline``;
the tests marked slow run real kernels in real worker processes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from test_pipeline import (
    CASE_CODE,
    HEADER,
    INITIATIVES,
    SITE,
    InProcessExecutor,
    build,
    make_project,
    statuses,
    write_notebook,
)

from helpers.build.executors import LocalProcessExecutor, NotebookTask
from helpers.build.pipeline import BuildError, run_quarter
from helpers.build.publish import ReportsNotWritable, check_writable
from helpers.cli import main

FAULTS_SITE = __name__  # this module is a fake site with SOP chapters too

# -- a fake site writing a home page and SOP chapters ------------------------------------

from test_pipeline import render_notebook, render_quarter_page, write_brief  # noqa: E402,F401


def publish_site_pages(reports_dir: Path, root: Path) -> None:
    quarters = sorted(p.name for p in reports_dir.iterdir() if p.name[:1].isdigit())
    (reports_dir / "index.html").write_text(f"<html>{' '.join(quarters)}</html>")
    (reports_dir / "sop").mkdir(exist_ok=True)
    for chapter in ("01-roles", "02-estimates"):
        (reports_dir / "sop" / f"{chapter}.html").write_text(f"<html>{chapter}</html>")


def refuse_to_publish_site_pages(reports_dir: Path, root: Path) -> None:
    raise PermissionError(13, "Permission denied", str(reports_dir / "sop"))


MORE_INITIATIVES = INITIATIVES + "".join(
    f"E-{n},Extra {n},web,Eve,Team,proposed,10000,50000,5000,20000,2,6\n" for n in range(1, 5)
)  # seven cases in scope


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def failing(project: Path, *names: str) -> None:
    """Make the cases of initiatives ``names`` fail (their name contains FAIL)."""
    text = (project / "data" / "initiatives.csv").read_text()
    for name in names:
        text = text.replace(f",{name},", f",{name} FAIL,")
    (project / "data" / "initiatives.csv").write_text(text)


def breaking(project: Path, notebook: str) -> None:
    write_notebook(project / "notebooks" / f"{notebook}.ipynb", HEADER, 'raise OSError("boom")')


# -- never publish a build worse than the site -----------------------------------------------


def test_run_quarter_roadmap_failed_is_not_published(project: Path) -> None:
    first, _ = build(project)
    target = os.readlink(project / "reports" / "2026Q4")
    write_notebook(
        project / "notebooks" / "roadmap.ipynb",
        HEADER + "compute_missing_cases: bool = True  # compute cases\n",
        'raise KeyError("npv")',
    )

    result, _ = build(project)

    assert result.refused == "roadmap.ipynb failed"
    assert result.exit_code == 1
    assert os.readlink(project / "reports" / "2026Q4") == target
    assert result.refusal_line() == (
        "2026Q4 not published: roadmap.ipynb failed; the previous site stays at "
        f"{result.index}. Fix the failure and run again, or publish it anyway with "
        "--publish-partial."
    )
    assert "NOT published (inspect" in result.summary_line()
    # the unpublished build is there to inspect, with its failed page
    assert "FAILED" in (result.build_dir / "roadmap.html").read_text()


def test_run_quarter_calibration_failed_is_not_published(project: Path) -> None:
    breaking(project, "calibration")

    result, _ = build(project)

    assert result.refused == "calibration.ipynb failed"
    assert not (project / "reports" / "2026Q4").exists()
    assert "nothing was published" in result.refusal_line()


def test_run_quarter_more_than_half_the_cases_failed_is_not_published(project: Path) -> None:
    build(project)
    failing(project, "First thing", "Second thing")

    result, _ = build(project)

    assert statuses(result)["case:A-1"] == statuses(result)["case:B-1"] == "failed"
    assert result.refused == "2 of 3 business cases failed (more than half)"
    index = (project / "reports" / "2026Q4" / "index.html").read_text()
    assert "case:A-1 ok" in index  # the previous site


def test_run_quarter_half_the_cases_failed_or_fewer_is_published(project: Path) -> None:
    (project / "data" / "initiatives.csv").write_text(MORE_INITIATIVES)
    failing(project, "First thing", "Second thing", "Third thing")  # 3 of 7

    result, _ = build(project)

    assert result.refused is None and result.exit_code == 1
    assert os.readlink(project / "reports" / "2026Q4").startswith(".builds/")


def test_run_quarter_publish_partial_publishes_anyway(project: Path) -> None:
    build(project)
    breaking(project, "roadmap")

    result, _ = build(project, publish_partial=True)

    assert result.refused is None and result.exit_code == 1
    assert "roadmap failed" in (project / "reports" / "2026Q4" / "index.html").read_text()


@pytest.mark.slow
def test_run_cli_refused_build_exits_1_naming_what_failed(project: Path) -> None:
    breaking(project, "calibration")

    result = CliRunner().invoke(
        main, ["run", "2026Q4", "--root", str(project), "-q", "--jobs", "1"]
    )

    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "Error: calibration.ipynb failed in cell 3: OSError: boom"
    assert lines[1].startswith("Error: 2026Q4 not published: calibration.ipynb failed;")
    assert "--publish-partial" in lines[1]
    assert not (project / "reports" / "2026Q4").exists()


# -- site-level pages on an up-to-date run ------------------------------------------------------


def build_site(project: Path, site: str = FAULTS_SITE, **kwargs):
    return run_quarter(
        kwargs.pop("quarter", "2026Q4"),
        root=project,
        executor=InProcessExecutor(),
        progress=False,
        site=site,
        **kwargs,
    )


def test_run_quarter_up_to_date_rewrites_missing_site_pages(project: Path) -> None:
    build_site(project)
    (project / "reports" / "sop" / "02-estimates.html").unlink()
    (project / "reports" / "index.html").unlink()

    result = build_site(project)

    assert result.up_to_date
    assert (project / "reports" / "sop" / "02-estimates.html").is_file()
    assert (project / "reports" / "index.html").read_text() == "<html>2026Q4</html>"


def test_run_quarter_up_to_date_rewrites_stale_site_pages(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_site(project)
    # publishing 2026Q3 succeeds, writing the site pages does not (read-only sop/, say)
    monkeypatch.setattr(sys.modules[__name__], "publish_site_pages", refuse_to_publish_site_pages)
    with pytest.raises(BuildError, match="2026Q3 is published at .*, but writing the home page"):
        build_site(project, quarter="2026Q3")
    assert (project / "reports" / "index.html").read_text() == "<html>2026Q4</html>"
    monkeypatch.undo()

    result = build_site(project, quarter="2026Q3")

    assert result.up_to_date
    assert (project / "reports" / "index.html").read_text() == "<html>2026Q3 2026Q4</html>"


def test_run_quarter_up_to_date_leaves_current_site_pages_alone(project: Path) -> None:
    build_site(project)
    index = project / "reports" / "index.html"
    index.write_text("untouched")

    result = build_site(project)

    assert result.up_to_date and index.read_text() == "untouched"


# -- a read-only reports folder -------------------------------------------------------------------


def test_check_writable_names_the_folder_and_the_fix(tmp_path: Path) -> None:
    (tmp_path / "reports").write_text("a file where the folder should be")

    with pytest.raises(ReportsNotWritable) as caught:
        check_writable(tmp_path / "reports" / "site")

    assert caught.value.exit_code == 2
    message = str(caught.value)
    assert message.startswith(f"cannot write to {tmp_path / 'reports' / 'site'} (")
    assert message.endswith(
        "nothing was built; make it writable, or build into another folder with --reports"
    )


def read_only_command(folder: Path, command: list[str]) -> list[str]:
    """``command`` run with ``folder`` read-only: chmod, or (as root) a read-only bind mount."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return command
    if not shutil.which("unshare"):
        pytest.skip("running as root without unshare: cannot make a folder read-only")
    script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
    return ["unshare", "-rm", "sh", "-c", script, str(folder), *command]


@pytest.mark.slow
def test_run_read_only_reports_exits_2_in_one_line_before_any_work(project: Path) -> None:
    build(project)
    reports = project / "reports"
    before = {p: p.stat().st_mtime_ns for p in reports.rglob("*")}
    playbook = Path(sys.executable).parent / "playbook"
    command = [str(playbook), "run", "2026Q4", "--root", str(project), "--force", "-q"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    try:
        done = subprocess.run(
            read_only_command(reports, command), capture_output=True, text=True, env=env
        )
    finally:
        reports.chmod(0o755)

    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"Error: cannot write to {reports} (")  # read-only, or denied
    assert line.endswith(
        "nothing was built; make it writable, or build into another folder with --reports"
    )
    assert {p: p.stat().st_mtime_ns for p in reports.rglob("*")} == before


# -- folders of killed builds -----------------------------------------------------------------


def test_run_quarter_removes_folders_of_killed_builds(project: Path) -> None:
    build(project)
    builds = project / "reports" / ".builds"
    published = (project / "reports" / "2026Q4").resolve()
    killed = builds / "2026Q4-20260101T000000000000Z-dead01"
    (killed / "build" / "notebooks").mkdir(parents=True)
    (project / "reports" / ".2026Q4.link-abc123").symlink_to(killed)
    other = builds / "2026Q3-20260101T000000000000Z-dead02"  # another quarter's: not ours
    other.mkdir()

    result, _ = build(project)

    assert result.up_to_date
    assert not killed.exists() and not (project / "reports" / ".2026Q4.link-abc123").exists()
    assert other.is_dir() and published.is_dir()


# -- dead workers -------------------------------------------------------------------------------


def render_by_dying(nb, *, title: str, failed: bool = False) -> str:
    if not failed:
        os._exit(3)  # a worker killed mid-task (out of memory, kill -9)
    return render_notebook(nb, title=title, failed=failed)


@pytest.mark.slow
def test_local_process_executor_dead_worker_fails_only_its_task(tmp_path: Path) -> None:
    source = tmp_path / "nb.ipynb"
    write_notebook(source, HEADER, "print(1)")

    def task(key: str, renderer: str) -> NotebookTask:
        return NotebookTask(
            key=key,
            notebook=str(source),
            output=str(source),
            parameters={},
            cwd=str(tmp_path),
            html=str(tmp_path / f"{key}.html"),
            renderer=f"{FAULTS_SITE}:{renderer}",
            execute=False,
        )

    tasks = [task(f"ok-{n}", "render_notebook") for n in range(4)]
    tasks.insert(1, task("dies", "render_by_dying"))
    with LocalProcessExecutor(2, preload=[FAULTS_SITE], kernel_preload=None) as executor:
        results = {r.key: r for r in executor.map(tasks)}

    assert sorted(results) == sorted(t.key for t in tasks)
    assert results["dies"].status == "failed"
    assert results["dies"].error["ename"] == "WorkerDied"
    assert "exited with code 3" in results["dies"].error["evalue"]
    assert all(results[f"ok-{n}"].status == "ok" for n in range(4))


SLEEPY_CASE = (
    "import os, time\n"
    "if initiative_id == 'B-1':\n"
    "    open(os.path.join(root, 'holding'), 'w').write(os.environ['JPY_PARENT_PID'])\n"
    "    time.sleep(60)\n"
) + CASE_CODE


@pytest.mark.slow
def test_run_quarter_worker_killed_mid_build_fails_only_its_case(project: Path) -> None:
    (project / "data" / "initiatives.csv").write_text(MORE_INITIATIVES)
    write_notebook(
        project / "notebooks" / "business_case.ipynb",
        HEADER + 'initiative_id: str = "A-1"  # which initiative\n',
        SLEEPY_CASE,
    )
    holding = project / "holding"
    killed: list[int] = []

    def kill_the_worker_holding_b1() -> None:  # as `kill -9` from another terminal would
        deadline = time.monotonic() + 300
        while not holding.is_file() or not holding.read_text():
            if time.monotonic() > deadline:
                return
            time.sleep(0.1)
        killed.append(int(holding.read_text()))
        os.kill(killed[0], signal.SIGKILL)

    killer = threading.Thread(target=kill_the_worker_holding_b1, daemon=True)
    killer.start()
    started = time.monotonic()
    with LocalProcessExecutor(2, preload=[SITE]) as executor:
        result, _ = build(project, executor)
    killer.join(timeout=1)

    assert killed, "the B-1 notebook never started"
    assert time.monotonic() - started < 300
    expected = dict.fromkeys(statuses(result), "ok") | {"case:B-1": "failed"}
    assert statuses(result) == expected
    [failed] = result.failed
    assert failed["error"]["ename"] == "WorkerDied"
    assert "was killed by SIGKILL" in failed["error"]["evalue"]
    assert result.refused is None  # one case of seven: published, B-1 marked failed
    site = project / "reports" / "2026Q4"
    assert os.readlink(site).startswith(".builds/")
    for key in statuses(result):
        entry = next(e for e in result.manifest["notebooks"] if e["key"] == key)
        assert (site / entry["html"]).is_file(), f"no page for {key}"
    assert "FAILED" in (site / "cases" / "B-1.html").read_text()
    executed = nbformat.read(site / "build/notebooks/cases/B-1.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["ename"] == "WorkerDied"
    assert result.manifest["missing"] == []  # the quarter model has its case; its page failed
