"""The executor a build runs its notebooks on, by name (``playbook run --executor``)."""

from __future__ import annotations

import importlib

from helpers.build.executors import Executor, LocalProcessExecutor, SerialExecutor
from helpers.build.on_dask import DaskExecutor
from helpers.core.errors import BuildError


def make_executor(engine: str, jobs, scheduler, shared_path, site: str) -> Executor:
    """The executor named ``engine``: ``"local"`` (worker processes) or ``"dask"``."""
    if engine == "dask":
        preload = renderer_modules(site)
        return DaskExecutor(jobs, scheduler=scheduler, shared_path=shared_path, preload=preload)
    if engine != "local":
        raise BuildError(f"unknown executor {engine!r}: choose local or dask")
    if jobs == 1:
        return SerialExecutor()
    return LocalProcessExecutor(jobs, preload=renderer_modules(site))


def renderer_modules(site: str) -> list[str]:
    """What a worker imports before its first page: the site module named by the build
    and the module its ``render_notebook`` is defined in. A site package that imports
    its entry points lazily (``helpers.site``) would otherwise leave the renderer to be
    imported by each worker on its own, after the forkserver has started them."""
    name = site.partition(":")[0]
    try:
        render = getattr(importlib.import_module(name), "render_notebook", None)
    except ImportError:  # reported by the pages themselves, with the module's name
        return [name]
    defined_in = getattr(render, "__module__", None)
    return [name] if not defined_in or defined_in == name else [name, defined_in]
