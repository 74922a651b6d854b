"""Where notebooks execute: one task per notebook, run by an executor.

A :class:`NotebookTask` is a plain, picklable description of one notebook run
(source, output, parameters, working folder, kernel, and where to write its
HTML). :func:`run_task` carries it out with papermill's Python API and renders
the executed notebook with the site's exporter; it never raises for a failing
notebook, it returns a :class:`TaskResult` saying what failed, in which cell.

Executors decide where ``run_task`` runs:

- :class:`SerialExecutor` runs tasks one after another in this process
  (tests, debugging, ``--jobs 1``).
- :class:`LocalProcessExecutor` fans tasks out to worker processes that stay
  warm for the whole build. Workers fork from a forkserver that has imported
  papermill, nbformat and the renderer once, so no worker pays those imports
  again; each notebook still gets its own fresh kernel (named explicitly).

A distributed engine plugs in by implementing :meth:`Executor.map` over the
same tasks. With Dask, for instance::

    class DaskExecutor(Executor):
        def __init__(self, client):
            self.client = client
        def map(self, tasks):
            futures = self.client.map(run_task, list(tasks), pure=False)
            for future in distributed.as_completed(futures):
                yield future.result()

(Ray: ``ray.remote(run_task)`` and ``ray.wait``.) The workers need the project
folder and the build folder on a shared file system, and the same environment
(``helpers``, papermill, the ``python3`` kernel).
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import sys
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_KERNEL = "python3"
DEFAULT_RENDERER = "helpers.site:render_notebook"
SKIPPED_TAG = "interactive"  # cells with this tag are kept but not executed
DEFAULT_CELL_TIMEOUT = 600.0  # seconds: a hung cell fails its notebook instead of the build

_UMASK = os.umask(0)
os.umask(_UMASK)

# Imported once by the forkserver; every worker forks with them loaded.
_PRELOAD = ["papermill", "nbformat", "helpers.executors"]


@dataclass(frozen=True)
class NotebookTask:
    """One notebook to execute (and render). Paths are absolute strings."""

    key: str  # the manifest key: "calibration", "case:<id>" or "roadmap"
    notebook: str  # the source notebook
    output: str  # where the executed notebook goes
    parameters: dict[str, Any]
    cwd: str  # the working folder of the kernel (the notebooks folder)
    kernel: str = DEFAULT_KERNEL
    html: str | None = None  # where the HTML goes; None: no rendering
    title: str = ""
    renderer: str = DEFAULT_RENDERER  # "module:function" taking (nb, title=, failed=)
    execute: bool = True  # False: render the executed notebook already at ``output``
    log: str | None = None  # the kernel's own stdout/stderr go here (None: inherited)
    cell_timeout: float | None = DEFAULT_CELL_TIMEOUT  # seconds one cell may run; None: no limit


@dataclass
class TaskResult:
    """What happened to one task. ``error`` is None or {"cell", "ename", "evalue"}."""

    key: str
    status: str  # "ok" or "failed"
    seconds: float
    error: dict[str, Any] | None = None
    rendered: bool = False
    render_seconds: float = 0.0  # of ``seconds``, the time spent rendering HTML


def run_task(task: NotebookTask) -> TaskResult:
    """Execute ``task``'s notebook with papermill, then render its HTML.

    A notebook that fails still leaves its partial executed notebook at
    ``task.output`` (papermill writes it with the error in view) and is
    rendered as failed. Never raises for a notebook's own failure.
    """
    started = time.perf_counter()
    error: dict[str, Any] | None = None
    executed = None  # the executed notebook, when papermill hands it back
    if task.execute:
        with _redirect_process_output(task.log):
            error, executed = _execute(task)
    rendered = False
    render_started = time.perf_counter()
    if task.html:
        render_error = _render(task, executed, failed=error is not None)
        rendered = render_error is None
        error = error or render_error
    finished = time.perf_counter()
    return TaskResult(
        key=task.key,
        status="failed" if error else "ok",
        seconds=round(finished - started, 3),
        error=error,
        rendered=rendered,
        render_seconds=round(finished - render_started, 3),
    )


def _execute(task: NotebookTask) -> tuple[dict[str, Any] | None, Any]:
    """Run the notebook; return (error or None, the executed notebook if papermill returned it)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    Path(task.output).parent.mkdir(parents=True, exist_ok=True)
    try:
        unknown = _unknown_parameters(task)
        if unknown:
            return _write_error_notebook(task, "UnknownParameterError", unknown), None
        executed = papermill.execute_notebook(
            task.notebook,
            task.output,
            parameters=task.parameters,
            kernel_name=task.kernel,
            cwd=task.cwd,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            execution_timeout=task.cell_timeout,
            # what-if widgets are for JupyterLab; the site drops them, and executing
            # them can wedge nbclient (jupyter/nbclient#312), so they are not run here
            skip_cells_with_tag=SKIPPED_TAG,
        )
    except PapermillExecutionError as exc:
        error = {
            "cell": exc.exec_count if exc.exec_count is not None else exc.cell_index,
            "ename": exc.ename,
            "evalue": _first_line(exc.evalue),
        }
        return error, None
    except Exception as exc:  # kernel died, notebook unreadable, ...: still one failed task
        if not Path(task.output).exists():
            return _write_error_notebook(task, type(exc).__name__, _first_line(str(exc))), None
        return {"cell": None, "ename": type(exc).__name__, "evalue": _first_line(str(exc))}, None
    return None, executed


@contextlib.contextmanager
def _redirect_process_output(log: str | None) -> Iterator[None]:
    """Send this process's stdout/stderr (and so the kernel's, which inherits them) to ``log``.

    Kernels print start-up warnings on their own stderr; they belong in the
    build's logs, not on the terminal of ``playbook run``.
    """
    if log is None:
        yield
        return
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(log, "ab") as handle:
            os.dup2(handle.fileno(), 1)
            os.dup2(handle.fileno(), 2)
            yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def _unknown_parameters(task: NotebookTask) -> str | None:
    """A message naming parameters the notebook does not declare, or None."""
    import papermill

    declared = papermill.inspect_notebook(task.notebook)
    unknown = sorted(set(task.parameters) - set(declared))
    if not unknown:
        return None
    name = Path(task.notebook).name
    valid = ", ".join(declared) or "none (the notebook has no cell tagged parameters)"
    return (
        f"{name} does not declare parameter(s) {', '.join(unknown)} in its parameters cell; "
        f"declared: {valid}. Add them to the cell tagged parameters."
    )


def _write_error_notebook(task: NotebookTask, ename: str, evalue: str) -> dict[str, Any]:
    """Save the source notebook with the error as its first output, so the site shows it."""
    import nbformat

    try:
        nb = nbformat.read(task.notebook, as_version=4)
    except Exception:  # a missing or unreadable notebook: show the error alone
        nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source="")
    cell.outputs = [nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])]
    nb.cells.insert(0, cell)
    _write_text(task.output, nbformat.writes(nb))
    return {"cell": None, "ename": ename, "evalue": evalue}


def _render(task: NotebookTask, executed: Any, *, failed: bool) -> dict[str, Any] | None:
    import nbformat

    try:
        # papermill's returned notebook is what it wrote: no need to read and validate it again
        nb = executed if executed is not None else nbformat.read(task.output, as_version=4)
        render = resolve(task.renderer)
        _write_text(task.html, render(nb, title=task.title, failed=failed))
    except Exception as exc:  # a page that cannot be rendered fails its task, not the build
        return {
            "cell": None,
            "ename": type(exc).__name__,
            "evalue": f"rendering {Path(task.html).name}: {_first_line(str(exc))}",
        }
    return None


def resolve(target: str) -> Any:
    """The object named by ``"module:attribute"``."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def _first_line(text: str, limit: int = 300) -> str:
    """``text`` on one line (an InputError lists its problems on the lines below)."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _write_text(path: str | Path, text: str) -> None:
    """Write ``text`` atomically: a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; pages must be readable by all
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Executor(ABC):
    """Runs notebook tasks; yields each result as soon as its task is done."""

    @abstractmethod
    def map(self, tasks: Iterable[NotebookTask]) -> Iterator[TaskResult]:
        """Run ``tasks`` (independent of each other) and yield results in completion order."""

    def close(self) -> None:  # noqa: B027 (optional hook: most executors hold nothing)
        """Release workers (idempotent)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Runs tasks one after another in this process."""

    def map(self, tasks: Iterable[NotebookTask]) -> Iterator[TaskResult]:
        for task in tasks:
            yield run_task(task)


class LocalProcessExecutor(Executor):
    """Runs tasks in ``jobs`` worker processes that stay warm across calls to :meth:`map`.

    Workers start only when the first task arrives, so a build with nothing to
    execute starts no process.
    """

    def __init__(self, jobs: int | None = None, *, preload: Iterable[str] = ()):
        self.jobs = max(1, jobs or _usable_cpus())
        self.preload = list(dict.fromkeys([*_PRELOAD, *preload]))
        self._pool: ProcessPoolExecutor | None = None

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(self.preload)
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=context,
                initializer=_warm_worker,
                initargs=(self.preload,),
            )
        return self._pool

    def map(self, tasks: Iterable[NotebookTask]) -> Iterator[TaskResult]:
        tasks = list(tasks)
        if not tasks:
            return
        pool = self._ensure_pool()
        try:
            futures = {pool.submit(run_task, task): task for task in tasks}
        except BrokenProcessPool:  # a worker died earlier (killed, out of memory): start afresh
            self.close()
            pool = self._ensure_pool()
            futures = {pool.submit(run_task, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                yield future.result()
            except Exception as exc:  # the worker itself died: report the task as failed
                task = futures[future]
                yield TaskResult(
                    key=task.key,
                    status="failed",
                    seconds=0.0,
                    error={"cell": None, "ename": type(exc).__name__, "evalue": str(exc)},
                )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _usable_cpus() -> int:
    """CPUs this process may run on (not all the host's, inside a container or taskset)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _warm_worker(modules: list[str]) -> None:
    """Import what every task needs (a no-op when the forkserver preloaded it)."""
    for name in modules:
        # a missing module is reported by the task itself, with its name
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
