"""The executor a build runs its notebooks on, by name (``playbook run --executor``)."""

from __future__ import annotations

from helpers.build.executors import Executor, LocalProcessExecutor, SerialExecutor
from helpers.build.on_dask import DaskExecutor
from helpers.core.errors import BuildError


def make_executor(engine: str, jobs, scheduler, shared_path, site: str) -> Executor:
    """The executor named ``engine``: ``"local"`` (worker processes) or ``"dask"``."""
    if engine == "dask":
        preload = [site.partition(":")[0]]
        return DaskExecutor(jobs, scheduler=scheduler, shared_path=shared_path, preload=preload)
    if engine != "local":
        raise BuildError(f"unknown executor {engine!r}: choose local or dask")
    if jobs == 1:
        return SerialExecutor()
    return LocalProcessExecutor(jobs, preload=[site.partition(":")[0]])
