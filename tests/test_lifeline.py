"""``helpers.build.lifeline``: a build's helper processes end with it, even under ``kill -9``."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from test_pipeline import HEADER, make_project, write_notebook

PLAYBOOK = Path(sys.executable).parent / "playbook"
GRACE_SECONDS = 5.0


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (a zombie has ended; only its parent has not looked)."""
    running = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                running.add(pid)
        except psutil.NoSuchProcess:
            pass
    return running


def wait_until_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


def kill_all(pids: set[int]) -> None:
    for pid in alive(pids):
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).kill()


def test_die_with_ends_the_watcher_when_the_watched_process_is_killed(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    watcher = (
        "import sys, time, pathlib, helpers.build.lifeline as l\n"
        "l.die_with(int(sys.argv[1])); pathlib.Path(sys.argv[2]).write_text('x')\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, os, time\n"
            "subprocess.Popen([sys.executable, '-c', sys.argv[1], str(os.getpid()), sys.argv[2]])\n"
            "time.sleep(600)\n",
            watcher,
            str(ready),
        ],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ready.exists(), "the watcher never started"
        children = {c.pid for c in psutil.Process(parent.pid).children()}
        assert len(children) == 1
    finally:
        parent.kill()
        parent.wait()
    try:
        assert wait_until_gone(children, GRACE_SECONDS) == set()
    finally:
        kill_all(children)


@pytest.mark.slow
def test_run_killed_with_sigkill_leaves_no_helper_process(tmp_path: Path) -> None:
    """Kill ``playbook run`` (-9, the main process alone) while its kernels run a notebook:
    the forkserver, its workers, the resource tracker, the kernel template and the kernels
    are all gone within GRACE_SECONDS."""
    project = make_project(tmp_path / "project")
    started = tmp_path / "kernels"
    started.mkdir()
    write_notebook(
        project / "notebooks" / "business_case.ipynb",
        HEADER + 'initiative_id: str = "A-1"  # which initiative\n',
        [
            "import os, pathlib, time\n"
            f"pathlib.Path({str(started)!r}, str(os.getpid())).touch()\n"
            "time.sleep(300)"
        ],
    )
    build = subprocess.Popen(
        [str(PLAYBOOK), "run", "2026Q4", "--root", str(project)]
        + ["--reports", str(tmp_path / "reports"), "-q", "-j", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    helpers: set[int] = set()
    try:
        deadline = time.monotonic() + 300
        while not any(started.iterdir()) and time.monotonic() < deadline:
            assert build.poll() is None, "the build ended before its kernels were up"
            time.sleep(0.2)
        assert any(started.iterdir()), "no kernel started"
        # the template's kernels run in their own sessions: counted by the pid they wrote
        helpers = {c.pid for c in psutil.Process(build.pid).children(recursive=True)}
        helpers |= {int(path.name) for path in started.iterdir()}
        names = " ".join(" ".join(psutil.Process(p).cmdline()) for p in alive(helpers))
        assert "forkserver" in names and "resource_tracker" in names and "template" in names
    finally:
        build.send_signal(signal.SIGKILL)
        build.wait()
    try:
        assert wait_until_gone(helpers, GRACE_SECONDS) == set()
    finally:
        kill_all(helpers)
