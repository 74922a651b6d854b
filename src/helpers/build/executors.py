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
  The executor also starts a *kernel template* (:class:`KernelTemplate`): a
  process that has imported ipykernel and the libraries and ``helpers``
  modules the notebooks use (:data:`KERNEL_PRELOAD`), and forks a fresh kernel
  process for each notebook (workers reach it with
  :func:`connect_kernel_template`). The kernel's namespace is empty, as with a new
  process; only the module imports are already done. Without a template
  (``SerialExecutor``, or if the template is unavailable) kernels start the
  usual way.

- :class:`~helpers.build.on_dask.DaskExecutor` (``on_dask.py``) submits each
  task to a ``dask.distributed`` cluster (a ``LocalCluster`` of ``jobs`` worker
  processes, or a scheduler address): ``client.submit(run_task, task)``, as
  papermill's maintainers sketch a fan-out. Workers need the same environment
  (``helpers``, papermill, the ``python3`` kernel). On a LocalCluster, or with
  ``shared_path`` (a folder holding the project and the reports that every
  worker sees at the same path), tasks read and write files in place; otherwise
  the inputs travel with the task and the outputs come back with its result
  (:func:`_run_shipped`).

(Ray would plug in the same way: ``ray.remote(run_task)`` and ``ray.wait``.)
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import multiprocessing.context
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.build import kernels
from helpers.build.kernels import KERNEL_PRELOAD, KernelTemplate, connect_kernel_template
from helpers.build.lifeline import die_with
from helpers.load.artifacts import write_text_atomic

DEFAULT_KERNEL = "python3"
DEFAULT_RENDERER = "helpers.site:render_notebook"
SKIPPED_TAG = "interactive"  # cells with this tag are kept but not executed
DEFAULT_CELL_TIMEOUT = 600.0  # seconds: a hung cell fails its notebook instead of the build

# Imported once by the forkserver; every worker forks with them loaded.
# ``helpers`` first: it keeps jsonschema from compiling grammars nothing here uses.
WORKER_PRELOAD = ["helpers", "papermill", "nbformat", "helpers.build.executors"]
# Imported once by each worker's kernel template; every kernel forks with them loaded.
# Nothing here may import matplotlib.pyplot (or seaborn, which does): pyplot hooks the
# inline backend into the IPython shell on import, and the template has no shell yet.


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
    failed: bool = False  # render the page as failed (its execution failed elsewhere)
    # environment variables the notebook's kernel gets (e.g. where the build saved
    # the checked inputs: helpers.load.inputs.write_snapshot)
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class TaskResult:
    """What happened to one task. ``error`` is None or {"cell", "ename", "evalue"}."""

    key: str
    status: str  # "ok" or "failed"
    seconds: float
    error: dict[str, Any] | None = None
    rendered: bool = False
    render_seconds: float = 0.0  # of ``seconds``, the time spent rendering HTML
    warm: bool = False  # its kernel was forked from a warm template (helpers.build.kernels)


def run_task(task: NotebookTask) -> TaskResult:
    """Execute ``task``'s notebook with papermill, then render its HTML.

    A notebook that fails still leaves its partial executed notebook at
    ``task.output`` (papermill writes it with the error in view) and is
    rendered as failed. Never raises for a notebook's own failure.
    """
    started = time.perf_counter()
    error: dict[str, Any] | None = None
    executed = None  # the executed notebook, when papermill hands it back
    warm_before = kernels.warm_starts()
    if task.execute:
        with _redirect_process_output(task.log):
            error, executed = _execute(task)
    warm = kernels.warm_starts() > warm_before
    rendered = False
    render_started = time.perf_counter()
    if task.html:
        render_error = _render(task, executed, failed=error is not None or task.failed)
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
        warm=warm,
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
        executed = _with_kernel_restarts(
            lambda: papermill.execute_notebook(
                task.notebook,
                task.output,
                parameters=task.parameters,
                kernel_name=task.kernel,
                cwd=task.cwd,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                # every cell has answered and written what it writes: stop the kernel at
                # once (a graceful stop costs 0.2 s a notebook; atexit hooks do not run)
                shutdown_kernel="immediate",
                execution_timeout=task.cell_timeout,
                # what-if widgets are for JupyterLab; the site drops them, and executing
                # them can wedge nbclient (jupyter/nbclient#312), so they are not run here
                skip_cells_with_tag=SKIPPED_TAG,
                # nbclient's public hook: the kernel gets the task's environment as it
                # starts, and forks from the warm template where this process has one
                kernel_manager_class=kernels.kernel_manager_class(task.env),
            )
        )
    except PapermillExecutionError as exc:
        error = {
            "cell": exc.exec_count if exc.exec_count is not None else exc.cell_index,
            "ename": exc.ename,
            "evalue": first_line(exc.evalue),
        }
        return error, None
    except Exception as exc:  # kernel died, notebook unreadable, ...: still one failed task
        if not Path(task.output).exists():
            return _write_error_notebook(task, type(exc).__name__, first_line(str(exc))), None
        return {"cell": None, "ename": type(exc).__name__, "evalue": first_line(str(exc))}, None
    return None, executed


KERNEL_STARTS = 3  # kernels started for one notebook before its failure to start is its error


def _with_kernel_restarts(execute: Any) -> Any:
    """``execute()`` again, on a new kernel, when its kernel failed to start (no cell ran:
    ``kernels.KernelStartError``), up to :data:`KERNEL_STARTS` kernels in all."""
    for _ in range(KERNEL_STARTS - 1):
        with contextlib.suppress(kernels.KernelStartError):
            return execute()
    return execute()  # the last kernel's failure to start is the notebook's error


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
    # as papermill would record them: the page's navigation is found from these
    nb.metadata["papermill"] = {"parameters": dict(task.parameters), "input_path": task.notebook}
    cell = nbformat.v4.new_code_cell(source="")
    cell.outputs = [nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[])]
    nb.cells.insert(0, cell)
    write_text_atomic(task.output, nbformat.writes(nb))
    return {"cell": None, "ename": ename, "evalue": evalue}


def _render(task: NotebookTask, executed: Any, *, failed: bool) -> dict[str, Any] | None:
    import nbformat

    try:
        # papermill's returned notebook is what it wrote: no need to read and validate it again
        nb = executed if executed is not None else nbformat.read(task.output, as_version=4)
        render = resolve(task.renderer)
        write_text_atomic(task.html, render(nb, title=task.title, failed=failed))
    except Exception as exc:  # a page that cannot be rendered fails its task, not the build
        return {
            "cell": None,
            "ename": type(exc).__name__,
            "evalue": f"rendering {Path(task.html).name}: {first_line(str(exc))}",
        }
    return None


def prime_renderers(modules: Iterable[str]) -> None:
    """Render an empty notebook with each of ``modules`` that has a ``render_notebook``
    (the site module a build names): its first page builds nbconvert's exporter and
    compiles its templates, 0.5-0.7 s, here as the worker starts instead of in its first
    page. A renderer that fails here fails nothing (its pages report it)."""
    import nbformat

    for name in modules:
        with contextlib.suppress(Exception):
            render = getattr(importlib.import_module(name), "render_notebook", None)
            if render is not None:
                render(nbformat.v4.new_notebook(), title="warm-up")


def resolve(target: str) -> Any:
    """The object named by ``"module:attribute"``."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


def first_line(text: str, limit: int = 300) -> str:
    """``text`` on one line (an InputError lists its problems on the lines below)."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class Executor(ABC):
    """Runs notebook tasks; yields each result as soon as its task is done."""

    @abstractmethod
    def map(self, tasks: Iterable[NotebookTask]) -> Iterator[TaskResult]:
        """Run ``tasks`` (independent of each other) and yield results in completion order."""

    # whether notebooks run in the calling process (papermill imports IPython, matplotlib and
    # nbclient there as they run: the build then starts no thread that imports beside them)
    in_this_process = False

    def warm_up(self) -> None:  # noqa: B027 (optional hook: most executors hold nothing)
        """Start workers in the background, ahead of the first task (returns at once)."""

    def close(self) -> None:  # noqa: B027 (optional hook: most executors hold nothing)
        """Release workers (idempotent)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Runs tasks one after another in this process."""

    in_this_process = True

    def map(self, tasks: Iterable[NotebookTask]) -> Iterator[TaskResult]:
        for task in tasks:
            yield run_task(task)


class LocalProcessExecutor(Executor):
    """Runs tasks in ``jobs`` worker processes that stay warm across calls to :meth:`map`.

    Workers start when the first task arrives, or in the background from
    :meth:`warm_up` (a build calls it while it computes the quarter model, so the
    workers' imports are off the critical path; their kernel template starts earlier
    still, from :meth:`start_kernel_template`); a build found up to date starts no
    process.
    """

    def __init__(
        self,
        jobs: int | None = None,
        *,
        preload: Iterable[str] = (),
        kernel_preload: Iterable[str] | None = KERNEL_PRELOAD,
    ):
        self.jobs = max(1, jobs or usable_cpus())
        self.preload = list(dict.fromkeys([*WORKER_PRELOAD, *preload]))
        # None: no kernel template, every kernel starts as a new process
        self.kernel_preload = None if kernel_preload is None else list(kernel_preload)
        self._pool: ProcessPoolExecutor | None = None
        self._template: KernelTemplate | None = None
        self._markers = ""  # a folder: each worker's current task key, in a file named by pid
        self._workers: list[Any] = []  # the pool's worker processes (multiprocessing.Process)
        self._warming: threading.Thread | None = None

    def warm_up(self) -> None:
        if self._pool is None and self._warming is None:
            self.start_kernel_template()
            self._warming = threading.Thread(target=self._start_workers, daemon=True)
            self._warming.start()

    def start_kernel_template(self) -> None:
        """Start the kernel template alone (returns at once): its imports are the longest
        part of a warm-up, and it is stopped at once if the build ends before any task
        (:meth:`close` kills it; workers would have to finish starting first)."""
        if self.kernel_preload is not None and (
            self._template is None or not self._template.alive()
        ):
            if self._template is not None:
                self._template.stop()
            with contextlib.suppress(OSError):  # kernels then start the usual way
                self._template = KernelTemplate(self.kernel_preload)

    def _start_workers(self) -> None:
        """The pool and each of its workers started (a no-op task per worker)."""
        with contextlib.suppress(Exception):  # map starts afresh on whatever failed here
            pool = self._ensure_pool()
            for future in [pool.submit(os.getpid) for _ in range(self.jobs)]:
                future.result()

    def _wait_for_warm_up(self) -> None:
        warming, self._warming = self._warming, None
        if warming is not None:
            warming.join()

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if not self._markers or not os.path.isdir(self._markers):
            self._markers = tempfile.mkdtemp(prefix="playbook-workers-")
        if self._pool is None:
            # it imports while the forkserver does: neither waits for the other
            self.start_kernel_template()
            address = self._template.address if self._template else None
            self._workers = []
            context = _TrackedForkServer(self._workers)
            context.set_forkserver_preload(self.preload)
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=context,
                initializer=warm_worker,
                initargs=(self.preload, address, os.getpid()),
            )
        return self._pool

    def map(self, tasks: Iterable[NotebookTask]) -> Iterator[TaskResult]:
        """Run ``tasks``; a worker that dies fails only the notebook it held.

        When a worker process dies (killed, out of memory), the pool breaks and
        every unfinished task with it. The task the dead worker was running
        (each worker notes its current task in :attr:`_markers`) is failed:
        its error notebook is written here and its page rendered as failed on
        a fresh worker. Every other unfinished task is retried on fresh workers.
        """
        self._wait_for_warm_up()
        pending = {task.key: task for task in tasks}
        died: dict[str, dict[str, Any]] = {}  # key -> the error of its dead worker
        breaks = 0
        while pending:
            pool = self._ensure_pool()
            futures = {}
            try:
                for task in pending.values():
                    futures[pool.submit(_run_marked, task, self._markers)] = task
            except BrokenProcessPool:  # a worker died while idle: start afresh
                self._discard_pool()
                breaks += 1
                if breaks > len(pending) + 2:
                    raise
                continue
            broken = False
            for future in as_completed(futures):
                task = futures[future]
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                except Exception as exc:  # e.g. a task that cannot be pickled
                    result = TaskResult(task.key, "failed", 0.0, error_of(exc))
                del pending[task.key]
                if task.key in died:  # its error page, rendered: still a failed notebook
                    result = TaskResult(
                        task.key, "failed", result.seconds, died[task.key], result.rendered
                    )
                yield result
            if not broken:
                continue
            breaks += 1
            for key, exitcode in self._discard_pool().items():
                task = pending.get(key)
                if task is None:
                    continue
                error = _worker_died(exitcode)
                if key in died or not task.execute or not task.html:
                    del pending[key]  # it killed its worker again, or has nothing to render
                    yield TaskResult(key, "failed", 0.0, died.get(key, error))
                    continue
                died[key] = error
                _write_error_notebook(task, error["ename"], error["evalue"])
                pending[key] = NotebookTask(**{**task.__dict__, "execute": False, "failed": True})
            if breaks > 2 * (len(pending) + len(died)) + 2:  # dying with no culprit found
                for key in list(pending):
                    del pending[key]
                    yield TaskResult(key, "failed", 0.0, died.get(key, _worker_died(None)))

    def _discard_pool(self) -> dict[str, int | None]:
        """Shut a broken pool down; return {task key: exit code} of workers that died.

        Workers the pool itself terminated (SIGTERM, once it saw one die) are
        innocent; any other exit while holding a task marks that task.
        """
        pool, self._pool = self._pool, None
        if pool is None:
            return {}
        pool.shutdown(wait=True, cancel_futures=True)
        culprits: dict[str, int | None] = {}
        for process in self._workers:
            pid = process.pid
            marker = Path(self._markers) / str(pid)
            with contextlib.suppress(OSError):
                key = marker.read_text(encoding="utf-8")
                marker.unlink()
                if process.exitcode != -signal.SIGTERM and key:
                    culprits[key] = process.exitcode
        return culprits

    def close(self) -> None:
        self._wait_for_warm_up()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._template is not None:
            self._template.stop()
            self._template = None
        shutil.rmtree(self._markers, ignore_errors=True)


class _TrackedForkServer(multiprocessing.context.ForkServerContext):
    """The forkserver start method, keeping each worker process it starts in ``started``.

    A pool that breaks does not say which of its workers died; their exit codes
    (``Process.exitcode``) do, through the context the pool was given.
    """

    def __init__(self, started: list[Any]):
        super().__init__()
        self.started = started

    def Process(self, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 (multiprocessing's name)
        process = multiprocessing.context.ForkServerProcess(*args, **kwargs)
        self.started.append(process)
        return process


def _run_marked(task: NotebookTask, markers: str) -> TaskResult:
    """:func:`run_task` in a pool worker, noting which task this worker holds meanwhile."""
    marker = Path(markers) / str(os.getpid())
    marker.write_text(task.key, encoding="utf-8")
    try:
        return run_task(task)
    finally:
        marker.unlink(missing_ok=True)


def _worker_died(exitcode: int | None) -> dict[str, Any]:
    """The error of a notebook whose worker process died under it."""
    if exitcode is not None and exitcode < 0:
        try:
            how = f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"was killed by signal {-exitcode}"
    elif exitcode is not None:
        how = f"exited with code {exitcode}"
    else:
        how = "died"
    return {
        "cell": None,
        "ename": "WorkerDied",
        "evalue": (
            f"the worker process running this notebook {how} (out of memory, or kill -9?); "
            "the other notebooks were retried on a fresh worker. Run the build again."
        ),
    }


def error_of(exc: BaseException) -> dict[str, Any]:
    return {"cell": None, "ename": type(exc).__name__, "evalue": first_line(str(exc))}


def usable_cpus() -> int:
    """CPUs this process may run on (not all the host's, inside a container or taskset)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def warm_worker(
    modules: list[str], kernel_template: str | None = None, build: int | None = None
) -> None:
    """Import what every task needs (a no-op when the forkserver preloaded it), and
    render an empty page with the site module (:func:`prime_renderers`).

    ``kernel_template``: the address of the executor's kernel template; this
    worker's kernels then fork from it. ``build``: the build's process id; the
    worker ends with it, even mid-notebook (``helpers.build.lifeline``).
    """
    if build is not None:
        die_with(build)
    if kernel_template is not None:
        connect_kernel_template(kernel_template)
    for name in modules:
        # a missing module is reported by the task itself, with its name
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    prime_renderers(modules)
