"""Helper processes end with their build.

A build's helpers (pool workers forked by multiprocessing's forkserver, the
kernel template, the kernels it forks) would outlive a ``playbook run`` killed
with SIGKILL: a worker busy with a notebook never reads that its pool is gone,
and while it lives it holds the forkserver's and the resource tracker's pipes
open, so those stay too. Each helper therefore watches the process it serves
and kills itself the moment that process is gone (:func:`die_with`): pool
workers watch the build, kernels their worker, the template the build. The
forkserver and the resource tracker then exit by themselves, their last pipe
closed.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time

POLL_SECONDS = 0.5  # without a pidfd (not Linux, or a kernel before 5.3): how often to look


def die_with(pid: int) -> None:
    """Kill this process (SIGKILL: no clean-up that could hang) once process ``pid`` exits.

    A daemon thread waits on a pidfd, which becomes readable the moment
    ``pid`` exits; where there is none it looks every POLL_SECONDS. Threads
    do not survive ``fork``: a forked child that should watch calls this again.
    """
    if pid <= 1 or pid == os.getpid():
        return
    try:
        handle: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):  # no pidfd here, or ``pid`` is already gone
        handle = None
        if not _exists(pid):
            _die()
    watcher = threading.Thread(
        target=_watch, args=(pid, handle), name=f"die-with-{pid}", daemon=True
    )
    watcher.start()


def _watch(pid: int, handle: int | None) -> None:
    if handle is not None:
        select.select([handle], [], [])
    else:
        while _exists(pid):
            time.sleep(POLL_SECONDS)
    _die()


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
