"""The Dask executor: each notebook task is one ``dask.distributed`` task.

On a ``LocalCluster`` started by the executor, or on a scheduler's cluster.
Its workers are made warm by a worker plugin, as the local executor's are by
its forkserver; on a cluster without a shared file system, a task's inputs
travel with it and its outputs come back with its result (:func:`_run_shipped`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from helpers.build import clusters
from helpers.build.executors import (
    WORKER_PRELOAD,
    Executor,
    NotebookTask,
    TaskResult,
    error_of,
    first_line,
    run_task,
    usable_cpus,
    warm_worker,
)
from helpers.build.kernels import KERNEL_PRELOAD, KernelTemplate


class DaskExecutor(Executor):
    """Runs each task as one ``dask.distributed`` task; results in completion order.

    ``scheduler``: a scheduler address (``tcp://host:8786``); None starts a
    ``LocalCluster`` of ``jobs`` single-threaded worker processes (their
    kernels fork from a kernel template, as with :class:`LocalProcessExecutor`).
    ``shared_path``: a folder every worker sees at the same path, holding the
    project and the reports; without it (and with a scheduler) each task
    carries its inputs and brings its outputs back. A worker lost mid-task is
    Dask's to handle: the task is retried on another worker, up to
    ``distributed.scheduler.allowed-failures`` times, then fails alone
    (``KilledWorker``). Needs ``pip install .[dask]``.

    Workers are made warm by a worker plugin (:func:`_warm_worker_plugin`), as
    the local executor's are by its forkserver: each imports ``preload`` (papermill,
    nbformat, the renderer) once, and its kernels fork from a kernel template (the
    executor's own on a LocalCluster; one per worker, started by the plugin, on a
    scheduler's cluster). A LocalCluster and its template start in the background
    as soon as the executor is made, while the build computes the quarter model.
    """

    def __init__(
        self,
        jobs: int | None = None,
        *,
        scheduler: str | None = None,
        shared_path: str | Path | None = None,
        kernel_preload: Iterable[str] | None = KERNEL_PRELOAD,
        preload: Iterable[str] = (),
    ):
        try:
            import distributed  # noqa: F401
        except ImportError:
            from helpers.core.errors import PlaybookError

            raise PlaybookError(
                "--executor dask needs dask.distributed: pip install '.[dask]' "
                "(or pip install 'dask[distributed]')"
            ) from None
        self.jobs = max(1, jobs or usable_cpus())
        self.scheduler = scheduler
        self.shared_path = Path(shared_path).resolve() if shared_path else None
        self.ship = scheduler is not None and shared_path is None
        self.kernel_preload = None if kernel_preload is None else list(kernel_preload)
        self.preload = list(dict.fromkeys([*WORKER_PRELOAD, *preload]))
        self._client: Any = None
        self._cluster: Any = None
        self._template: KernelTemplate | None = None
        self._starting: threading.Thread | None = None
        self._start_error: BaseException | None = None
        if scheduler is None:
            self.start()

    def start(self) -> None:
        """Begin starting the cluster, its warm workers and the kernel template, in the
        background (idempotent); :attr:`client` waits for them."""
        if self._client is not None or self._starting is not None:
            return
        if not self.scheduler and self.kernel_preload is not None:
            with contextlib.suppress(OSError):  # a process: it imports while the cluster starts
                self._template = KernelTemplate(self.kernel_preload)
        self._starting = threading.Thread(target=self._connect, name="dask-start", daemon=True)
        self._starting.start()

    def _connect(self) -> None:
        try:
            # a LocalCluster whose worker dies at start-up is tried again, then a BuildError
            client, cluster = clusters.connect(self.scheduler, self.jobs)
            self._client, self._cluster = client, cluster
            local = self.scheduler is None
            address = self._template.address if self._template else None
            kernel_preload = None if local else self.kernel_preload
            build = os.getpid() if local else None
            plugin = _warm_worker_plugin(self.preload, address, build, kernel_preload)
            client.register_plugin(plugin)
        except BaseException as exc:  # raised where the client is first needed
            self._start_error = exc

    @property
    def client(self) -> Any:
        """The ``distributed.Client``, once connected and its workers warm."""
        if self._starting is None and self._client is None:
            self.start()
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._start_error is not None:
            error, self._start_error = self._start_error, None
            raise error
        return self._client

    def map(self, tasks: Iterable[NotebookTask]) -> Iterator[TaskResult]:
        from distributed import as_completed

        tasks = list(tasks)
        if not tasks:
            return
        for task in tasks:
            self._check_shared(task)
        client = self.client
        stamp = uuid.uuid4().hex[:8]
        keys = [f"notebook-{task.key}-{stamp}" for task in tasks]
        if self.ship:
            payload = client.scatter(_pack_inputs(tasks[0]), broadcast=True, hash=False)
            futures = [
                client.submit(_run_shipped, task, payload, _executed(task), key=key, pure=False)
                for task, key in zip(tasks, keys, strict=True)
            ]
        else:
            futures = client.map(run_task, tasks, key=keys, pure=False)
        by_future = dict(zip(futures, tasks, strict=True))
        for future in as_completed(futures):
            task = by_future[future]
            try:
                result = future.result()
            except Exception as exc:  # KilledWorker: it took down its workers every time
                yield TaskResult(task.key, "failed", 0.0, _lost_on_dask(exc))
                continue
            if self.ship:
                result, files = result
                for path, data in files.items():
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                    Path(path).write_bytes(data)  # into the unpublished build folder
            yield result

    def _check_shared(self, task: NotebookTask) -> None:
        if self.shared_path is None:
            return
        for path in (task.notebook, task.output, task.cwd, *task.parameters.values()):
            outside = isinstance(path, str) and os.path.isabs(path)
            if outside and not Path(path).resolve().is_relative_to(self.shared_path):
                from helpers.core.errors import PlaybookError

                raise PlaybookError(
                    f"{path} is outside the shared path {self.shared_path} that the Dask "
                    "workers see: put the project and its reports under it, or leave out "
                    "--shared-path to send the inputs with each task"
                )

    def close(self) -> None:
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
            self._cluster = None
        if self._template is not None:
            self._template.stop()
            self._template = None


def _warm_worker_plugin(
    modules: list[str],
    kernel_template: str | None,
    build: int | None,
    kernel_preload: list[str] | None,
) -> Any:
    """A Dask worker plugin making each (re)started worker warm, as :func:`warm_worker`.

    ``kernel_template``: the address of a template on this machine (a
    LocalCluster's workers share the executor's); None with ``kernel_preload``:
    each worker starts its own template (a scheduler's workers, elsewhere).
    ``build``: the build's process id, which a LocalCluster's workers end with.
    """
    from distributed import WorkerPlugin

    class WarmWorker(WorkerPlugin):
        name = "playbook-warm-worker"

        def __init__(self) -> None:
            self.template: KernelTemplate | None = None

        def setup(self, worker: Any) -> None:
            address = kernel_template
            if address is None and kernel_preload is not None:
                with contextlib.suppress(OSError):
                    self.template = KernelTemplate(kernel_preload)
                    address = self.template.address
            warm_worker(modules, address, build)

        def teardown(self, worker: Any) -> None:
            if self.template is not None:
                self.template.stop()

    return WarmWorker()


def _lost_on_dask(exc: BaseException) -> dict[str, Any]:
    if type(exc).__name__ == "KilledWorker":
        return {
            "cell": None,
            "ename": "WorkerDied",
            "evalue": (
                "every Dask worker that ran this notebook died (out of memory, or killed); "
                f"the other notebooks were not affected. {first_line(str(exc), 200)}"
            ),
        }
    return error_of(exc)


# -- inputs that travel with a task (a cluster without a shared file system) ----------

_SKIPPED_IN_PROJECT = ("reports",)  # build output; never an input of a notebook


def _pack_inputs(task: NotebookTask) -> bytes:
    """A zip of the task's project folder (``root`` parameter) and artifacts folder.

    Dot-folders and ``reports/`` are left out. Every task of one stage shares it.
    """
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, folder in _shipped_folders(task).items():
            for path in sorted(Path(folder).rglob("*")):
                relative = path.relative_to(folder)
                if not path.is_file() or any(p.startswith(".") for p in relative.parts):
                    continue
                if name == "root" and relative.parts[0] in _SKIPPED_IN_PROJECT:
                    continue
                archive.write(path, f"{name}/{relative.as_posix()}")
    return buffer.getvalue()


def _shipped_folders(task: NotebookTask) -> dict[str, str]:
    folders = {
        "root": task.parameters.get("root"),
        "artifacts": task.parameters.get("artifacts_dir"),
    }
    return {name: str(folder) for name, folder in folders.items() if folder}


def _executed(task: NotebookTask) -> bytes | None:
    """The executed notebook a render-only task renders (it travels with the task)."""
    return None if task.execute else Path(task.output).read_bytes()


def _run_shipped(
    task: NotebookTask, payload: bytes, executed: bytes | None = None
) -> tuple[TaskResult, dict[str, bytes]]:
    """On a worker: unpack the inputs, run ``task`` there, return its result and output files.

    Files come back by their paths on the submitting machine: the executed
    notebook, the HTML, the log and every artifact the notebook wrote or changed.
    """
    import io
    import zipfile

    folders = _shipped_folders(task)
    with tempfile.TemporaryDirectory(prefix="playbook-task-") as tmp:
        zipfile.ZipFile(io.BytesIO(payload)).extractall(tmp)
        here = {name: os.path.join(tmp, name) for name in folders}
        for folder in here.values():
            os.makedirs(folder, exist_ok=True)

        def moved(path: str | None) -> str | None:
            if path is None:
                return None
            # the most specific folder first: the artifacts may lie inside the project
            for name, folder in sorted(folders.items(), key=lambda item: -len(item[1])):
                if Path(path).is_relative_to(folder):
                    return os.path.join(here[name], os.path.relpath(path, folder))
            return path

        outputs = {"output": task.output, "html": task.html, "log": task.log}
        local = {k: os.path.join(tmp, "out", k) if v else None for k, v in outputs.items()}
        parameters = {
            k: (moved(v) if k in ("root", "artifacts_dir") else v)
            for k, v in task.parameters.items()
        }
        artifacts = Path(here.get("artifacts", os.path.join(tmp, "artifacts")))
        before = {p: p.read_bytes() for p in artifacts.rglob("*") if p.is_file()}
        run = NotebookTask(
            **{
                **task.__dict__,
                "notebook": moved(task.notebook),
                "cwd": moved(task.cwd),
                "parameters": parameters,
                **local,
            }
        )
        if executed is not None:
            os.makedirs(os.path.dirname(local["output"]), exist_ok=True)
            Path(local["output"]).write_bytes(executed)
        result = run_task(run)
        files = {
            outputs[k]: Path(v).read_bytes() for k, v in local.items() if v and os.path.isfile(v)
        }
        if "artifacts" in folders:
            for path in artifacts.rglob("*"):
                if path.is_file() and before.get(path) != (data := path.read_bytes()):
                    original = os.path.join(folders["artifacts"], path.relative_to(artifacts))
                    files[original] = data
        return result, files
