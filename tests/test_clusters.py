"""``helpers.build.clusters``: a Dask cluster that fails to start is retried once, then
refused with a plain BuildError (never distributed's raw "Nanny failed to start")."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.build import clusters
from helpers.core.errors import BuildError

distributed = pytest.importorskip("distributed", reason="pip install '.[dask]'")


class FakeCluster:
    closed = 0

    def close(self) -> None:
        FakeCluster.closed += 1


class FakeClient:
    def __init__(self, target: object):
        if isinstance(target, str):
            raise OSError(f"Timed out trying to connect to {target} after 30 s")
        self.target = target


def nanny_failed() -> RuntimeError:
    try:
        raise OSError("the worker process died (exit code -9)")
    except OSError as cause:
        try:
            raise RuntimeError("Nanny failed to start.") from cause
        except RuntimeError as exc:
            return exc


@pytest.fixture
def fake_distributed(monkeypatch):
    monkeypatch.setattr(distributed, "Client", FakeClient)
    FakeCluster.closed = 0


def test_connect_retries_a_local_cluster_whose_worker_died_at_start(monkeypatch, fake_distributed):
    starts = []

    def start(jobs: int) -> FakeCluster:
        starts.append(jobs)
        if len(starts) == 1:
            raise nanny_failed()
        return FakeCluster()

    monkeypatch.setattr(clusters, "_local_cluster", start)
    client, cluster = clusters.connect(None, 2)
    assert starts == [2, 2]
    assert isinstance(cluster, FakeCluster) and client.target is cluster


def test_connect_says_plainly_when_the_cluster_never_starts(monkeypatch, fake_distributed):
    def start(jobs: int) -> FakeCluster:
        raise nanny_failed()

    monkeypatch.setattr(clusters, "_local_cluster", start)
    with pytest.raises(BuildError) as caught:
        clusters.connect(None, 2)
    message = str(caught.value)
    assert message.startswith("the local Dask cluster did not start: a worker process died")
    assert "2 times (Nanny failed to start.: the worker process died (exit code -9))" in message
    assert "run with --executor local" in message
    assert "Traceback" not in message and "\n" not in message


def test_connect_unreachable_scheduler_is_a_build_error(fake_distributed):
    with pytest.raises(BuildError, match="cannot reach the Dask scheduler at tcp://nowhere:8786"):
        clusters.connect("tcp://nowhere:8786", 2)


DIES_ONCE = """
import os
from pathlib import Path

MARKER = Path({marker!r})


def dask_setup(worker):
    if not MARKER.exists():
        MARKER.write_text("died once")
        os._exit(1)
"""


@pytest.mark.slow
def test_connect_real_worker_dying_at_start_is_retried(tmp_path: Path) -> None:
    import dask

    preload = tmp_path / "dies_once.py"
    preload.write_text(DIES_ONCE.format(marker=str(tmp_path / "died")))
    with dask.config.set({"distributed.worker.preload": [str(preload)]}):
        client, cluster = clusters.connect(None, 1)
    try:
        assert (tmp_path / "died").exists()  # the first start lost its worker
        assert client.submit(lambda: 41 + 1).result(timeout=60) == 42
    finally:
        client.close()
        cluster.close()


def test_local_cluster_workers_are_made_without_the_statistical_profiler(monkeypatch):
    """Each Nanny copies the configuration in effect when the LocalCluster makes it: the
    profiler (sampling the notebook's thread every 10 ms) is off then, and only then."""
    import dask

    seen = {}

    def local_cluster(**kwargs) -> FakeCluster:
        seen["profile"] = dask.config.get("distributed.worker.profile.enabled")
        seen["threads"] = kwargs["threads_per_worker"]
        return FakeCluster()

    monkeypatch.setattr(distributed, "LocalCluster", local_cluster)
    assert isinstance(clusters._local_cluster(2), FakeCluster)
    assert seen == {"profile": False, "threads": 1}
    assert dask.config.get("distributed.worker.profile.enabled") is True  # the build's own
