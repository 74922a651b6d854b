"""``playbook watch``: one process, one executor, a rebuild after each change to the inputs.

The watch loop runs in a thread on the fixture quarter of ``test_pipeline``, its
notebooks executed in this process (``InProcessExecutor``); the command runs as a
user runs it, with real kernels, in the last test.
"""

from __future__ import annotations

import csv
import json
import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest
from conftest import PLAYBOOK, copy_project
from test_pipeline import SITE, InProcessExecutor, make_project

from helpers.build import watch
from helpers.build.executors import TaskResult
from helpers.build.pipeline import run_quarter
from helpers.build.publish import quarter_lock
from helpers.core.errors import BuildBusy, InputError

POLL = 0.05


class RecordingExecutor(InProcessExecutor):
    """The fixture notebooks in this process; notes whether it was closed."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def close(self) -> None:
        self.closed = True


class Watch:
    """``watch_quarter`` in a thread: its results and errors in queues."""

    def __init__(self, monkeypatch, project: Path, reports: Path | None = None) -> None:
        self.executors: list[RecordingExecutor] = []
        self.results: queue.Queue = queue.Queue()
        self.errors: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.ended: list[str] = []

        def make_executor(engine, jobs, scheduler, shared_path, site):
            self.executors.append(RecordingExecutor())
            return self.executors[-1]

        monkeypatch.setattr(watch, "make_executor", make_executor)
        self.thread = threading.Thread(
            target=lambda: self.ended.append(
                watch.watch_quarter(
                    "2026Q4",
                    root=project,
                    reports_dir=reports,
                    site=SITE,
                    poll=POLL,
                    on_result=self.results.put,
                    on_error=self.errors.put,
                    stop=self.stop,
                )
            ),
            daemon=True,
        )
        self.thread.start()

    def result(self):
        return self.results.get(timeout=60)

    def quiet(self, seconds: float = 20 * POLL) -> bool:
        """Nothing built or reported for ``seconds``."""
        time.sleep(seconds)
        return self.results.empty() and self.errors.empty()

    def close(self) -> str:
        self.stop.set()
        self.thread.join(timeout=60)
        return self.ended[0]


def executed(result) -> set[str]:
    return {e["key"] for e in result.manifest["notebooks"] if not e["reused"]}


def edit_initiative(project: Path, initiative_id: str, **values: str) -> None:
    path = project / "data" / "initiatives.csv"
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    next(r for r in rows if r["id"] == initiative_id).update(values)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def built_at(reports: Path) -> str:
    return json.loads((reports / "2026Q4" / "build" / "manifest.json").read_text())["built_at"]


def test_watch_rebuilds_what_changed_reports_bad_input_and_keeps_one_executor(
    tmp_path: Path, monkeypatch
) -> None:
    project = make_project(tmp_path / "project")
    reports = project / "reports"
    running = Watch(monkeypatch, project)

    first = running.result()
    assert executed(first) == {e["key"] for e in first.manifest["notebooks"]}
    assert running.quiet()  # nothing changed: no second build

    edit_initiative(project, "B-1", cost_high="35000")
    second = running.result()
    assert executed(second) == {"case:B-1", "roadmap"}

    # a typo: reported with the file, row and column; the site stays as it was
    published = built_at(reports)
    edit_initiative(project, "A-1", cost_high="2O000")
    error = running.errors.get(timeout=60)
    assert isinstance(error, InputError)
    assert "initiatives.csv" in str(error) and "cost_high" in str(error) and "A-1" in str(error)
    assert built_at(reports) == published
    edit_initiative(project, "A-1", cost_high="25000")  # fixed: built again
    assert executed(running.result()) == {"case:A-1", "roadmap"}

    # what the build writes, and anything else in the reports folder, is never an input
    (reports / "notes.txt").write_text("a reader's note")
    os.utime(reports / "2026Q4" / "index.html")
    assert running.quiet()

    assert running.close() == "stopped"
    [executor] = running.executors  # one executor for every build, closed at the end
    assert executor.closed


def test_watch_never_reads_a_reports_folder_inside_a_watched_folder(
    tmp_path: Path, monkeypatch
) -> None:
    project = make_project(tmp_path / "project")
    reports = project / "data" / "site"  # under data/, which is watched
    running = Watch(monkeypatch, project, reports)

    running.result()
    assert running.quiet()  # its own output did not trigger a build
    (reports / "notes.txt").write_text("a reader's note")
    assert running.quiet()
    edit_initiative(project, "C-1", cost_high="9500")
    assert executed(running.result()) == {"case:C-1", "roadmap"}
    assert running.close() == "stopped"


def test_watch_builds_after_another_build_of_the_quarter_ends(tmp_path: Path, monkeypatch) -> None:
    project = make_project(tmp_path / "project")
    running = Watch(monkeypatch, project)
    running.result()

    with quarter_lock(project / "reports" / ".builds", "2026Q4"):  # a playbook run, say
        edit_initiative(project, "B-1", cost_high="35000")
        assert isinstance(running.errors.get(timeout=60), BuildBusy)
        assert running.quiet()  # said once; nothing built while the other build runs
    assert executed(running.result()) == {"case:B-1", "roadmap"}

    assert running.errors.empty()
    assert running.close() == "stopped"


def test_watch_stops_when_the_playbook_code_changes(tmp_path: Path, monkeypatch) -> None:
    project = make_project(tmp_path / "project")
    signatures = iter([{"helpers/x.py": (1, 1)}, {"helpers/x.py": (2, 2)}])
    monkeypatch.setattr(watch, "code_signature", lambda: next(signatures))
    running = Watch(monkeypatch, project)
    running.result()

    edit_initiative(project, "B-1", cost_high="35000")
    running.thread.join(timeout=60)

    assert running.ended == ["code changed"]
    assert running.results.empty()  # not built with the old code
    assert running.executors[0].closed


def test_signature_sees_edits_and_deletions_not_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    register = tmp_path / "data" / "initiatives.csv"
    register.write_text("id\nA-1\n")
    before = watch.signature([tmp_path / "data"])

    (tmp_path / "data" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "data" / ".ipynb_checkpoints" / "x.csv").write_text("autosave")
    assert watch.signature([tmp_path / "data"]) == before

    register.write_text("id\nA-1\nB-1\n")
    edited = watch.signature([tmp_path / "data"])
    assert edited != before
    register.unlink()
    assert watch.signature([tmp_path / "data"]) != edited
    assert watch.signature([tmp_path / "missing.csv"]) == {str(tmp_path / "missing.csv"): (-1, -1)}


def test_signature_skips_the_reports_folder_however_it_is_reached(tmp_path: Path) -> None:
    """The reports folder inside a watched folder, or a symlink to it there, is not looked
    into: what a build writes never counts as a change of its inputs."""
    data, reports = tmp_path / "data", tmp_path / "data" / "reports"
    reports.mkdir(parents=True)
    (data / "initiatives.csv").write_text("id\nA-1\n")
    (reports / "index.html").write_text("<p>built</p>")
    (data / "link-to-reports").symlink_to(reports, target_is_directory=True)

    found = watch.signature([data], skip=reports)

    assert sorted(Path(p).name for p in found) == ["initiatives.csv"]
    (reports / "index.html").write_text("<p>built again</p>")
    assert watch.signature([data], skip=reports) == found
    assert len(watch.signature([data])) == 3  # without skip: both routes into reports/


def test_rehearsal_reads_the_ledger_so_the_first_change_does_not(
    root: Path, tmp_path: Path, monkeypatch
) -> None:
    """While the watch waits, it reads the inputs and the ledger as a build would: the
    first change's review then checks no approved register again."""
    import helpers.load.ledger as ledger
    from helpers.load.inputs import load_quarter
    from helpers.model.review import load_review

    project = copy_project(root, tmp_path / "project")
    monkeypatch.setattr(ledger, "_APPROVED", {})
    watch._rehearse("2026Q4", project)
    checked = []
    validate = ledger.validate_initiatives
    monkeypatch.setattr(
        ledger, "validate_initiatives", lambda *a, **k: checked.append(1) or validate(*a, **k)
    )

    review = load_review(load_quarter("2026Q4", project))

    assert review["reviewed_quarters"] == ["2026Q3"] and checked == []


def test_rehearsal_leaves_bad_input_to_the_build(tmp_path: Path) -> None:
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "2026Q4.yaml").write_text("budget: [\n")
    watch._rehearse("2026Q4", tmp_path)  # no error: the build reports it, with its fix


# What the watch imports while it waits must be what a rebuild needs: after it, a rebuild
# in a fresh process imports no module of these packages (a missing one costs the first
# change seconds). Notebooks are not run (placeholders), so only the build's own imports count.
IMPORT_CHECK = textwrap.dedent(
    """
    import csv, json, shutil, sys
    from pathlib import Path
    from helpers.build.executors import Executor, TaskResult
    from helpers.build.pipeline import run_quarter
    from helpers.build import watch

    class Placeholders(Executor):
        in_this_process = True
        def map(self, tasks):
            for task in tasks:
                Path(task.output).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(task.notebook, task.output)
                Path(task.html).parent.mkdir(parents=True, exist_ok=True)
                Path(task.html).write_text("<html>placeholder</html>")
                yield TaskResult(task.key, "ok", 0.0)

    project = Path(sys.argv[1])
    build = lambda: run_quarter("2026Q4", root=project, executor=Placeholders(), progress=False)
    assert build().up_to_date
    watch._import_build_modules()
    before = set(sys.modules)
    path = project / "data" / "sample" / "initiatives.csv"
    rows = list(csv.DictReader(path.open(newline="")))
    rows[0]["cost_high"] = str(float(rows[0]["cost_high"]) * 1.1)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert build().executed
    print(json.dumps(sorted(set(sys.modules) - before)))
    """
)
CHECKED = ("helpers", "pandas", "numpy", "scipy", "pyarrow", "duckdb", "nbconvert", "matplotlib")


def test_watch_imports_what_a_rebuild_needs_before_the_first_change(root: Path, tmp_path) -> None:
    project = copy_project(root, tmp_path / "project")

    class Placeholders(InProcessExecutor):
        def _run(self, task):
            Path(task.output).parent.mkdir(parents=True, exist_ok=True)
            Path(task.output).write_text(Path(task.notebook).read_text())
            Path(task.html).parent.mkdir(parents=True, exist_ok=True)
            Path(task.html).write_text("<html>placeholder</html>")
            return TaskResult(task.key, "ok", 0.0)

    assert run_quarter("2026Q4", root=project, executor=Placeholders(), progress=False).executed
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK, str(project)],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stderr
    imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert [m for m in imported if m.split(".")[0] in CHECKED] == []


@pytest.mark.slow
def test_playbook_watch_rebuilds_with_warm_kernels_and_stops_on_sigterm(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    process = subprocess.Popen(
        [str(PLAYBOOK), "watch", "2026Q4", "--root", str(project), "--poll", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True).start()

    def summary() -> str:
        while True:
            line = lines.get(timeout=120)
            if "notebooks (" in line:
                return line

    try:
        assert lines.get(timeout=60).startswith("Watching params/, data/, notebooks/, playbook/")
        assert "(5 executed, 5 kernels warm, 0 reused, 0 failed)" in summary()
        helpers = {c.pid for c in psutil.Process(process.pid).children(recursive=True)}
        edit_initiative(project, "B-1", cost_high="35000")
        assert "(2 executed, 2 kernels warm, 3 reused, 0 failed)" in summary()
        # the same kernel template and workers built it
        assert helpers <= {c.pid for c in psutil.Process(process.pid).children(recursive=True)}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert lines.get(timeout=5).strip() == "Stopped."
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(psutil.pid_exists(p) for p in helpers):
        time.sleep(0.1)
    left = [p for p in helpers if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
    assert left == []


def test_playbook_watch_refuses_a_file_as_the_reports_folder(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    (tmp_path / "site").write_text("not a folder")
    done = subprocess.run(
        [
            str(PLAYBOOK),
            "watch",
            "2026Q4",
            "--root",
            str(project),
            "--reports",
            str(tmp_path / "site"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "--reports" in done.stderr and "is a file" in done.stderr
