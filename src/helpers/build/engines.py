"""The executor a build runs its notebooks on, by name (``playbook run --executor``)."""

from __future__ import annotations

import importlib

from helpers.build.executors import Executor, LocalProcessExecutor, SerialExecutor
from helpers.build.on_dask import DaskExecutor
from helpers.core.errors import BuildError


def make_executor(engine: str, jobs, scheduler, shared_path, site: str) -> Executor:
    """The executor named ``engine``: ``"local"`` (worker processes) or ``"dask"``."""
    if engine == "local" and jobs == 1:
        return SerialExecutor()
    if engine == "dask":
        preload = renderer_modules(site)
        return DaskExecutor(jobs, scheduler=scheduler, shared_path=shared_path, preload=preload)
    if engine != "local":
        raise BuildError(f"unknown executor {engine!r}: choose local or dask")
    return LocalProcessExecutor(jobs, preload=renderer_modules(site))


def start_kernels_early(engine: str | None, jobs, site: str) -> Executor | None:
    """For a build on local workers (``engine`` None: the params' choice, local unless they
    say otherwise), the executor with its kernel template already importing (the longest
    part of its warm-up), before the build imports and reads its inputs; None otherwise."""
    if engine not in (None, "local") or jobs == 1:
        return None
    executor = make_executor("local", jobs, None, None, site)
    executor.start_kernel_template()
    return executor


def executor_for(params, early, engine, jobs, scheduler, shared_path, site: str) -> Executor:
    """The executor a build runs on: ``engine``, else the params' ``executor`` (and their
    ``scheduler``); ``early`` (:func:`start_kernels_early`) when that is local, else
    ``early`` is closed."""
    chosen = engine or getattr(params, "executor", None) or "local"
    if chosen == "local" and early is not None:
        return early
    if early is not None:  # the params name Dask: the local kernel template is not needed
        early.close()
    scheduler = scheduler or getattr(params, "scheduler", None)
    return make_executor(chosen, jobs, scheduler, shared_path, site)


def renderer_modules(site: str) -> list[str]:
    """What a worker imports before its first page: the site module named by the build
    and the module its ``render_notebook`` is defined in. A site package that imports
    its entry points lazily (``helpers.site``) would otherwise leave the renderer to be
    imported by each worker on its own, after the forkserver has started them. A site
    module that names them in ``WORKER_MODULES`` is not asked for ``render_notebook``
    here: a build starts its workers before it has imported what pages need."""
    name = site.partition(":")[0]
    try:
        module = importlib.import_module(name)
        declared = getattr(module, "WORKER_MODULES", None)
        if declared is not None:
            return list(dict.fromkeys([name, *declared]))
        render = getattr(module, "render_notebook", None)
    except ImportError:  # reported by the pages themselves, with the module's name
        return [name]
    defined_in = getattr(render, "__module__", None)
    return [name] if not defined_in or defined_in == name else [name, defined_in]
