"""Starting the Dask cluster a build runs on, or saying plainly why it did not start.

A ``LocalCluster`` whose worker dies while it starts (killed, out of memory)
raises distributed's own "Nanny failed to start" with a page of traceback; an
unreachable scheduler raises a bare timeout. ``connect`` tries a local start
once more (a worker killed once is usually not killed again) and otherwise
raises a BuildError that says what failed and what to do.
"""

from __future__ import annotations

import contextlib
from typing import Any

from helpers.core.errors import BuildError

START_ATTEMPTS = 2  # a LocalCluster whose worker died at start-up is started once more


def connect(scheduler: str | None, jobs: int) -> tuple[Any, Any]:
    """(client, cluster): a Client of ``scheduler``, or of a new LocalCluster (cluster None
    when ``scheduler`` is given) of ``jobs`` single-threaded worker processes."""
    from distributed import Client

    if scheduler:
        try:
            return Client(scheduler), None
        except (OSError, TimeoutError) as exc:
            raise BuildError(
                f"cannot reach the Dask scheduler at {scheduler} ({_reason(exc)}): check the "
                "address and that the scheduler runs, or leave out --scheduler to start a "
                "local cluster"
            ) from None
    failures = []
    for _ in range(START_ATTEMPTS):
        cluster = None
        try:
            cluster = _local_cluster(jobs)
            return Client(cluster), cluster
        except Exception as exc:  # distributed raises RuntimeError, TimeoutError, OSError…
            failures.append(_reason(exc))
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close()
    raise BuildError(
        f"the local Dask cluster did not start: a worker process died while starting, "
        f"{START_ATTEMPTS} times ({failures[-1]}); check the machine's free memory and "
        "process limits, lower --jobs, or run with --executor local"
    )


# Settings of the LocalCluster's workers (their Nanny hands them the configuration in
# effect when the cluster is made). The statistical profiler samples the thread a
# notebook runs in every 10 ms, for a dashboard the build never opens: per notebook
# on the sample, 2.99 s with it, 2.35 s without (local process pool: 2.56 s).
LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False}


def _local_cluster(jobs: int) -> Any:
    import dask
    from distributed import LocalCluster

    with dask.config.set(LOCAL_WORKER_CONFIG):
        return LocalCluster(
            n_workers=jobs,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,  # CRITICAL: a restarted worker is reported per task
        )


def _reason(exc: BaseException) -> str:
    """The exception's first line, and its cause's (distributed wraps the real one)."""
    lines = []
    while exc is not None and len(lines) < 2:
        text = str(exc).strip().splitlines()
        lines.append(text[0][:200] if text else type(exc).__name__)
        exc = exc.__cause__ or exc.__context__
    return ": ".join(dict.fromkeys(lines))
