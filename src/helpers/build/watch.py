"""``playbook watch``: build a quarter, then build it again whenever one of its inputs changes.

A build in a new process pays for its start before any notebook runs: the
command's imports, the kernel template's (ipykernel, pandas, matplotlib, the
``helpers`` modules) and the workers'. On 2 cores that is about half of a
rebuild after one initiative changed. :func:`watch_quarter` pays it once: one
process keeps its imports and one executor (the kernel template and the
workers) for every build, so a rebuild costs the model and the notebooks that
changed, and nothing else.

It polls the project every ``poll`` seconds (files' sizes and modification
times, not their bytes): the params, registers, notebooks, templates and SOP
chapters under ``params/``, ``data/``, ``notebooks/`` and ``playbook/``, and
every file the last build read (a register outside the project included). The
reports folder is never watched: output is never input. A change is built once
the files have stopped changing for one poll (an editor writing a file in two
steps gives one build). What decides which notebooks run again is the build's
own cache, exactly as for ``playbook run``.

Bad input does not stop the watch: the error is reported (file, row, column,
fix) and the previous site stays published until the inputs are fixed. Once the
playbook's own code has changed, the next change stops the watch instead of
building, because this process and its kernels would still run the old code:
start it again.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from stat import S_ISDIR
from typing import Any

from helpers.build.cache import watched_file
from helpers.build.engines import make_executor
from helpers.build.executors import DEFAULT_CELL_TIMEOUT, usable_cpus
from helpers.core.errors import BuildBusy, PlaybookError

WATCHED_FOLDERS = ("params", "data", "notebooks", "playbook")
DEFAULT_POLL = 0.05  # seconds between two looks at the files (stat calls only, ~1 ms a look)


def watch_jobs() -> int:
    """Workers a watch keeps: one more than the usable CPUs. A kernel waits on its worker
    between cells, so a third notebook on 2 cores fills those gaps; a rebuild after one
    change (a case, its lean variant, the roadmap) runs all its notebooks at once."""
    return usable_cpus() + 1


Signature = dict[str, tuple[int, int]]


def signature(paths: Iterable[Path], skip: Path | None = None) -> Signature:
    """Size and modification time of every file under ``paths`` (a file, or a folder
    searched recursively; hidden names such as ``.ipynb_checkpoints`` skipped, and the
    folder ``skip``, however it is reached); a missing path counts as one with size -1,
    so deleting a file is a change too."""
    found: Signature = {}
    try:
        skipped = _identity(os.stat(skip)) if skip is not None else None
    except OSError:  # not made yet: nothing to skip
        skipped = None
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError:
            found[str(path)] = (-1, -1)
            continue
        _stat_into(str(path), stat, found, skipped)
    return found


def _identity(stat: os.stat_result) -> tuple[int, int]:
    """Which file or folder this is, whatever path (or symlink) reached it."""
    return stat.st_dev, stat.st_ino


def _stat_into(
    path: str, stat: os.stat_result, found: Signature, skipped: tuple[int, int] | None
) -> None:
    if not S_ISDIR(stat.st_mode):
        found[path] = (stat.st_size, stat.st_mtime_ns)
        return
    if _identity(stat) == skipped:
        return
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.name.startswith(".") or entry.name == "__pycache__":
                continue
            try:
                child = entry.stat()  # through a symlink, as os.stat
            except OSError:
                found[entry.path] = (-1, -1)
                continue
            _stat_into(entry.path, child, found, skipped)


def code_signature() -> Signature:
    """The playbook's own modules: a change means this process runs old code."""
    return signature([Path(__file__).resolve().parents[1]])


def input_paths(quarter: str, root: Path, reports: Path) -> list[Path]:
    """What to watch: the project's input folders and every file the quarter's published
    build read (``inputs_watched`` in its manifest). (:func:`signature`
    skips the reports folder, wherever it is.)"""
    paths = [root / name for name in WATCHED_FOLDERS]
    for key in _inputs_read(reports / quarter / "build" / "manifest.json"):
        path = watched_file(key, root)
        if not any(path.is_relative_to(folder) for folder in paths):
            paths.append(path)
    return paths


def _inputs_read(manifest: Path) -> list[str]:
    try:
        return list(json.loads(manifest.read_text()).get("inputs_watched", ()))
    except (OSError, ValueError):  # no build published yet
        return []


def watch_quarter(
    quarter: str,
    *,
    root: Path | str,
    reports_dir: Path | str | None = None,
    jobs: int | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    shared_path: Path | str | None = None,
    site: str = "helpers.site",
    cell_timeout: float | None = DEFAULT_CELL_TIMEOUT,
    poll: float = DEFAULT_POLL,
    on_result: Callable[[Any], None] = lambda result: None,
    on_error: Callable[[PlaybookError], None] = lambda error: None,
    stop: threading.Event | None = None,
) -> str:
    """Build ``quarter``, then build it again after each change to its inputs, on one
    executor kept for the whole watch, until ``stop`` is set (or Ctrl-C). Each build's
    :class:`~helpers.build.result.BuildResult` goes to ``on_result``; bad input to
    ``on_error`` (the watch goes on). Returns why it stopped: ``"stopped"``, or
    ``"code changed"`` when the playbook's modules changed under it."""
    from helpers.build.pipeline import run_quarter

    root = Path(root).resolve()
    reports = Path(reports_dir).resolve() if reports_dir else root / "reports"
    stop = stop or threading.Event()
    code = code_signature()
    executor = make_executor(engine, jobs or watch_jobs(), scheduler, shared_path, site)
    busy = warmed = False
    try:
        executor.warm_up()
        while not stop.is_set():
            seen = signature(input_paths(quarter, root, reports), skip=reports)
            try:
                result = run_quarter(
                    quarter,
                    root=root,
                    reports_dir=reports,
                    executor=executor,
                    progress=False,
                    site=site,
                    cell_timeout=cell_timeout,
                )
            except BuildBusy as error:  # another build of the quarter: build after it
                if not busy:
                    on_error(error)
                busy = True
                stop.wait(max(poll, 0.5))
                continue
            except PlaybookError as error:  # bad input: say so, keep the site, keep watching
                on_error(error)
            else:
                on_result(result)
            busy = False
            if not warmed:
                _import_build_modules()
                _rehearse(quarter, root)
                warmed = True
            # files the build has just read for the first time (a register outside the
            # project) count as they are now, not as changed
            paths = input_paths(quarter, root, reports)  # the manifest read once a build
            seen = signature(paths, skip=reports) | seen
            if not _wait_for_change(paths, reports, seen, poll, stop):
                break
            if code_signature() != code:
                return "code changed"
        return "stopped"
    finally:
        executor.close()


# What a build that runs notebooks imports in this process and an up-to-date one does not
# (pandas, scipy, the model, the quarter page, the data export): 4-6 s. A test checks that
# a rebuild after these imports none of its own.
WARM_IMPORTS = (
    "helpers.load.inputs",
    "helpers.load.approval",
    "helpers.load.ledger",
    "helpers.model.quarter",
    "helpers.model.quarter_model",
    "helpers.model.calibration_memo",
    "helpers.report.case",
    "helpers.report.quarter",
    "helpers.report.reasons",
    "helpers.report.roadmap",
    "helpers.build.export",
    "helpers.site.brief",
    "helpers.site.pages",
    "duckdb",
    "matplotlib.backends.backend_svg",
    "nbconvert",
    "pyarrow.dataset",
    "pyarrow.parquet",
    "threadpoolctl",
    "tqdm",
)


def _import_build_modules() -> None:
    """Import what a build that runs notebooks needs in this process (pandas, scipy, the
    model: 4-6 s), now that the watch waits: a first build found up to date imports none
    of it, and the first change would pay for it."""
    with contextlib.suppress(ImportError):  # a module missing here is reported by the build
        for name in WARM_IMPORTS:
            importlib.import_module(name)
        _exercise_data_export()


def _rehearse(quarter: str, root: Path) -> None:
    """Read the quarter's inputs and the ledger, and check its must-dos, as a build does
    before its model, now that the watch waits: the first change then finds the approved
    registers read and checked (``load.ledger``), as every later change does (its review
    took 0.2 s instead of 0.04 s). Nothing is written; bad input is the build's to report."""
    from helpers.load.inputs import load_quarter
    from helpers.model.quarter import check_must_dos
    from helpers.model.quarter_model import has_review
    from helpers.model.review import load_review

    with contextlib.suppress(PlaybookError):
        inputs = load_quarter(quarter, root)
        check_must_dos(inputs)
        if has_review(inputs):
            load_review(inputs)


def _exercise_data_export() -> None:
    """Write and read back one tiny table the way a build's data export does (CSV,
    Parquet, DuckDB; text, count, number and flag columns): pandas and pyarrow load the
    parts they need on first use."""
    import tempfile

    import pandas as pd

    from helpers.build.export import read_quarter_data, write_duckdb, write_tables
    from helpers.report.export import SCHEMA

    frame = pd.DataFrame({"id": ["A-1"], "n": [1], "value": [1.0], "selected": [True]})
    frame = frame.astype({"id": "string", "n": "Int64"})
    frame.to_dict("records")
    with tempfile.TemporaryDirectory(prefix="playbook-watch-") as folder:
        write_tables(Path(folder), {next(iter(SCHEMA)): frame})
        tables = read_quarter_data(Path(folder))
        write_duckdb(Path(folder) / "t.duckdb", tables)


def _wait_for_change(
    paths: list[Path], reports: Path, seen: Signature, poll: float, stop: threading.Event
) -> bool:
    """Sleep until the watched files differ from ``seen`` and then hold still for one poll
    (True), or until ``stop`` is set (False)."""
    while not stop.wait(poll):
        now = signature(paths, skip=reports)
        if now == seen:
            continue
        while not stop.wait(poll):  # settle: build what the editor finished writing
            later = signature(paths, skip=reports)
            if later == now:
                return True
            now = later
        return False
    return False
