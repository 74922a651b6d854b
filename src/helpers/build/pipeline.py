"""The quarterly run: validate, execute every notebook, render, publish atomically.

``run_quarter`` reads as its steps:

1. validate the quarter's inputs, including whether its must-dos and committed
   work fit the budget and capacity (``quarter.check_must_dos``; bad input stops
   here: nothing runs);
2. open a fresh build folder ``reports/.builds/<Q>-<stamp>`` and copy the
   params and registers into its ``build/inputs/``;
3. compute the quarter model once into ``build/artifacts`` (parts whose key matches
   the previous build's are read back), then run every notebook at once (pages
   only read the model); a notebook whose cache key matches the previous build's
   is not executed again: its outputs are hard-linked from there;
4. render the quarter page (the brief is drawn while notebooks run), write
   ``build/manifest.json``;
5. publish: ``reports/<Q>`` is a symlink to the build folder, replaced in one
   ``os.replace`` (atomic on POSIX), so a build killed at any moment leaves the
   previous site whole; then the site pages (home, SOP chapters) are rewritten
   and builds older than the previous one are removed.

Before step 1, ``reports/`` must be writable (else exit 2, nothing runs), and
folders left in ``reports/.builds`` by killed builds of this quarter are removed.

A failing notebook does not stop the others: it is kept, rendered as failed,
marked in the manifest, and the roadmap runs without it. A worker process that
dies fails only the notebook it was running; the others are retried.

**When a build is not published.** A build whose calibration or roadmap
notebook failed, or in which more than half of the business cases failed, is
worse than no change: it is not published (``publish_partial=True``, or
``playbook run --publish-partial``, publishes it anyway). The previous site
stays as it was, the result names what failed (exit 1), and the unpublished
build stays in ``reports/.builds`` for inspection until the next build.

A build with nothing changed publishes nothing, but still rewrites the
site-level pages (home, SOP chapters) when one is missing or was written from
other quarters or chapters than those now in ``reports/`` (an interrupted
publish, a folder that was read-only).
"""

from __future__ import annotations

import importlib
import json
import shutil
import sys
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helpers.build.cache import (
    BUILD_MODULES,
    file_digest,
    inputs_key_of,
    render_digests,
    tree_digest,
)
from helpers.build.engines import executor_for, start_kernels_early
from helpers.build.executors import (
    DEFAULT_CELL_TIMEOUT,
    DEFAULT_KERNEL,
    Executor,
    NotebookTask,
    TaskResult,
)
from helpers.build.publish import (
    ReportsNotWritable,
    check_writable,
    collect_garbage,
    collect_stale_builds,
    copy_inputs,
    display_path,
    hard_link,
    link_build,
    publish_site,
    quarter_lock,
    read_previous,
    refusal,
    relative_to_root,
)
from helpers.build.result import BuildResult, describe_failure, up_to_date_result
from helpers.core.digests import digest_of, frame_digest
from helpers.core.errors import BuildError, PlaybookError
from helpers.core.paths import project_relative
from helpers.load.artifacts import (
    BUILD,
    BUILDS,
    CALIBRATION,
    REVIEW,
    ROADMAP,
    SNAPSHOT,
    case_path,
    write_text_atomic,
)

NOTEBOOKS = {
    "calibration": "calibration.ipynb",
    "business_case": "business_case.ipynb",
    "roadmap": "roadmap.ipynb",
    "review": "review.ipynb",
}


def run_quarter(
    quarter: str,
    *,
    root: Path | str,
    reports_dir: Path | str | None = None,
    jobs: int | None = None,
    force: bool = False,
    executor: Executor | None = None,
    progress: bool = True,
    site: str = "helpers.site",
    cell_timeout: float | None = DEFAULT_CELL_TIMEOUT,
    publish_partial: bool = False,
    engine: str | None = None,
    scheduler: str | None = None,
    shared_path: Path | str | None = None,
) -> BuildResult:
    """Build quarter ``quarter`` into ``reports_dir`` (default ``<root>/reports``).

    ``jobs``: worker processes (default: the number of CPUs). ``force``:
    execute every notebook even when its cache key is unchanged. ``executor``:
    where tasks run (default: made from ``engine``, ``"local"`` worker
    processes or ``"dask"`` with ``scheduler`` and ``shared_path`` as in
    :class:`~helpers.build.on_dask.DaskExecutor`; None: the params' ``executor`` and
    ``scheduler``). ``site``: the module
    that renders pages (``render_notebook``, ``render_quarter_page``,
    ``publish_site_pages``). ``cell_timeout``: seconds one cell may run before
    its notebook fails (None: no limit). ``publish_partial``: publish even a
    build the rule in this module's docstring would keep back. Raises InputError
    (exit 2) on bad inputs and ReportsNotWritable (exit 2) on a read-only
    ``reports_dir``, before anything runs; a failing notebook is reported in the
    result, not raised.
    """
    started = time.perf_counter()
    root = Path(root).resolve()
    reports = Path(reports_dir).resolve() if reports_dir else root / "reports"
    check_writable(reports)
    builds = reports / BUILDS
    if not force and (reports / quarter / BUILD / "manifest.json").is_file():
        with quarter_lock(builds, quarter):
            collect_stale_builds(builds, quarter)
            unchanged = up_to_date_result(quarter, root, reports, site)
        if unchanged is not None:
            unchanged.seconds = round(time.perf_counter() - started, 3)
            return unchanged
    own_executor = executor is None
    # local workers (the default): their kernel template imports while this process does
    early = start_kernels_early(engine, jobs, site) if own_executor else None
    try:
        from helpers.load.inputs import load_quarter  # pandas: seconds to import
        from helpers.model.quarter import check_must_dos

        inputs = load_quarter(quarter, root)  # bad input stops here, before any task runs
        if own_executor:
            executor = executor_for(
                inputs.params, early, engine, jobs, scheduler, shared_path, site
            )
    except BaseException:
        if early is not None:
            early.close()
        raise
    executor.warm_up()  # its workers start while the quarter model is computed
    try:
        build = _Build(quarter, root, reports, inputs, site, force).prepare()
        check_must_dos(inputs)  # infeasible must-dos are bad input: exit 2, nothing built
        builds.mkdir(parents=True, exist_ok=True)
        with quarter_lock(builds, quarter):
            collect_stale_builds(builds, quarter)
            if read_previous(build.link) != build.previous:  # another build published since
                build = _Build(quarter, root, reports, inputs, site, force).prepare()
            build.cell_timeout = cell_timeout
            build.publish_partial = publish_partial
            try:
                build.run(executor, progress)
                if own_executor:
                    executor.close()  # workers are not needed to render the quarter page
                return build.finish(started)
            except BaseException:
                if not build.published:  # the previous site stands; drop the half-made build
                    build.settle()
                    shutil.rmtree(build.dir, ignore_errors=True)
                raise
    finally:
        if own_executor:
            executor.close()


class _Build:
    """One build of one quarter, from fresh folder to published site."""

    def __init__(self, quarter: str, root: Path, reports: Path, inputs: Any, site: str, force):
        self.quarter = quarter
        self.root = root
        self.reports = reports
        self.inputs = inputs
        self.site_name = site
        self.force = force
        self.cell_timeout: float | None = DEFAULT_CELL_TIMEOUT
        self.publish_partial = False
        self.link = reports / quarter
        self.previous = read_previous(self.link)
        self.previous_entries = (
            {e["key"]: e for e in self.previous[1]["notebooks"]} if self.previous else {}
        )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        self.dir = reports / BUILDS / f"{quarter}-{stamp}-{uuid.uuid4().hex[:6]}"
        self.build = self.dir / BUILD
        self.artifacts = self.build / "artifacts"
        self.entries: dict[str, dict[str, Any]] = {}
        # where notebooks run never changes what they compute: not in any cache key
        self.params_json = inputs.params.model_dump(mode="json", exclude={"executor", "scheduler"})
        helpers_dir = Path(__file__).resolve().parents[1]
        self.helpers_digest = tree_digest(helpers_dir, "*.py", exclude=BUILD_MODULES)
        self.render_digest, self.pages_digest = render_digests(helpers_dir, root)
        self.watched: dict[str, str | None] = {}  # every file the build read: path -> digest
        self.databases = any(  # a database table has no file to hash: never "up to date" early
            getattr(inputs.params, kind).url
            and not getattr(inputs.params, kind).url.startswith("sqlite:///")
            for kind in ("initiatives", "actuals")
        )
        self.executed = 0
        self.reused = 0
        self.rendered = 0
        self.published = False
        self._bar: Any = None
        self._register_index: Any = None  # load.inputs.RegisterIndex, made once
        self._case_paths: dict[str, Path] = {}  # id -> its case artifact, checked once
        self._roadmap: dict[str, Any] | None = None  # the model's roadmap, read once
        self._ledger: Any = None  # the ledger's files and digests, read once
        self._digests: dict[Path, str | None] = {}  # file read -> digest, once per build
        self.model_keys: dict[str, Any] = {}
        self.model_missing: list[str] = []
        self.kernel_env: dict[str, str] = {}  # for every notebook's kernel (set by run)
        self._brief: Future | None = None  # the decision brief, written on a thread

    # -- the steps -------------------------------------------------------------

    def run(self, executor: Executor, progress: bool) -> None:
        from tqdm import tqdm

        from helpers.load.inputs import write_snapshot

        self.artifacts.mkdir(parents=True)
        inputs_copied = self._copy_inputs()
        # the inputs as checked above, for every notebook of this build (not published)
        snapshot = self.dir / SNAPSHOT
        self.kernel_env = write_snapshot(self.inputs, self.quarter, snapshot)
        in_scope = list(self.inputs.in_scope()["id"])
        self._model()  # every figure, once, before any page
        review = self._review_spec()
        specs = [self._calibration_spec()]
        specs += [review] if review is not None else []
        specs += [self._case_spec(i) for i in in_scope]
        specs.append(self._roadmap_spec(in_scope))
        self._start_brief(executor)  # from the model, while notebooks run (after the specs)
        with tqdm(
            total=len(specs),
            desc=self.quarter,
            unit="nb",
            file=sys.stderr,
            disable=not progress,
            leave=False,
        ) as self._bar:
            self._stage(executor, specs)  # pages only read the model: all at once
        snapshot.unlink()
        self.in_scope = in_scope
        self.reviewed = review is not None
        self.inputs_copied = inputs_copied

    def prepare(self) -> _Build:
        """Read back the parts of the quarter model whose key (what they are computed from,
        and the ``helpers`` source) matches the previous build's: the calibration (else
        computed now) and each case. Into the model's memos too: the must-do check
        computes none of them again."""
        from helpers.model.calibration_memo import remember_calibration
        from helpers.model.quarter_model import (
            case_calibration,
            case_keys,
            compute_calibration,
            remember_cases,
        )

        previous = (self.previous[1].get("model") or {}) if self.previous else {}
        old = self.previous[0] / BUILD / "artifacts" if self.previous else None
        reuse = old is not None and not self.force
        self.calibration_key = digest_of(
            self.helpers_digest,
            self.params_json,
            frame_digest(self.inputs.actuals),
            self._outcomes_digest(),
        )
        self.calibration = None
        if reuse and previous.get("calibration") == self.calibration_key:
            try:
                self.calibration = tuple(
                    json.loads((old / name).read_text(encoding="utf-8"))
                    for name in (CALIBRATION, "backtest.json")
                )
                remember_calibration(self.inputs, self.calibration[0])
            except (OSError, ValueError):
                self.calibration = None
        if self.calibration is None:
            self.calibration = compute_calibration(self.inputs)
        # what each case is computed from (the model's own key), and the code computing it
        used = case_calibration(self.inputs, self.calibration[0])
        in_scope = list(self.inputs.in_scope()["id"])
        self.case_keys = {
            i: digest_of(self.helpers_digest, key)
            for i, key in case_keys(self.inputs, in_scope, used, self._rows()).items()
        }
        self.known = {}
        for initiative_id, key in self.case_keys.items():
            if not reuse or (previous.get("cases") or {}).get(initiative_id) != key:
                continue
            path = case_path(old, initiative_id)
            if path.is_file():
                self.known[initiative_id] = json.loads(path.read_text(encoding="utf-8"))
        remember_cases(self.inputs, self.known, used)
        return self

    def _model(self) -> None:
        """Compute the quarter model (``helpers.model.quarter_model``) into the build's
        artifacts, with the parts :meth:`prepare` read back. Raises BuildError when the
        model cannot be computed (the previous site stays)."""
        from helpers.build.export import write_quarter_data
        from helpers.load.artifacts import write_documents
        from helpers.model.quarter_model import build_quarter_model, model_documents
        from helpers.report.case import recommendation_text
        from helpers.report.reasons import reason_text
        from helpers.report.roadmap import decision_reason

        try:
            model = build_quarter_model(
                self.inputs,
                explain_case=recommendation_text,
                describe_decision=decision_reason,
                describe_reason=reason_text,
                known_cases=self.known,
                calibration=self.calibration,
            )
        except PlaybookError as exc:
            raise BuildError(
                f"the {self.quarter} quarter model could not be computed: {exc}; "
                "the previous site is unchanged"
            ) from exc
        documents = model_documents(model)
        write_documents(self.artifacts, documents)
        write_quarter_data(self.dir, documents, self.inputs.params)  # reports/<Q>/data/
        self.model_keys = {"calibration": self.calibration_key, "cases": self.case_keys}
        self.model_missing = list(model.missing)

    def finish(self, started: float) -> BuildResult:
        from helpers.build.export import write_site_data

        order = ["calibration", *(f"case:{i}" for i in self.in_scope), "roadmap"]
        order += ["review"] if self.reviewed else []
        entries = [self.entries[key] for key in order]  # plan order, not completion order
        failed = [e for e in entries if e["status"] == "failed"]
        missing = list(self.model_missing)
        manifest = {
            "quarter": self.quarter,
            "title": self.inputs.params.title,
            "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "params": self.params_json,
            "notebooks": entries,
            "missing": missing,
            "inputs": self.inputs_copied,
            # assumptions that change results (helpers.load.inputs): the quarter page lists them
            "warnings": [str(w) for w in self.inputs.warnings],
            # a new build whenever a page or the audit copy of the inputs would differ
            "pages_key": digest_of(
                self.pages_digest,
                [e["cache_key"] for e in entries],
                [file_digest(self.build / "inputs" / name) for name in self.inputs_copied],
            ),
            # what a rebuild compares first: unchanged, and nothing failed -> up to date
            "inputs_key": None
            if self.databases
            else inputs_key_of(self.watched, self.root, self.helpers_digest, self.pages_digest),
            "inputs_watched": sorted(self.watched),
            "model": self.model_keys,  # what each part of the quarter model was computed from
            "summary": {"executed": self.executed, "reused": self.reused, "failed": len(failed)},
        }
        if self._unchanged(manifest):
            self.settle()
            shutil.rmtree(self.dir, ignore_errors=True)
            publish_site(self.site_name, self.reports, self.root, self.pages_digest, True)
            write_site_data(self.reports, unless_present=True)
            return BuildResult(
                self.quarter,
                self.previous[1],
                self.link,
                round(time.perf_counter() - started, 3),
                up_to_date=True,
                reused=len(entries),
            )
        manifest["changes"] = self._change_log()
        site = self._site()
        try:  # the quarter page, and the decision brief beside it
            page = site.render_quarter_page(manifest, self.artifacts)
            write_text_atomic(self.dir / "index.html", page)
            self._brief.result()  # its error, if any, is this step's
        except Exception as exc:
            raise BuildError(
                f"rendering the quarter page of {self.quarter} failed: {type(exc).__name__}: "
                f"{exc}; the previous site is unchanged"
            ) from exc
        manifest["summary"]["seconds"] = round(time.perf_counter() - started, 3)
        write_text_atomic(self.build / "manifest.json", json.dumps(manifest, indent=2))
        refused = None if self.publish_partial else refusal(entries)
        if refused:  # kept, unpublished, for inspection until the next build
            return BuildResult(
                self.quarter,
                manifest,
                self.link,
                round(time.perf_counter() - started, 3),
                executed=self.executed,
                reused=self.reused,
                failed=failed,
                refused=refused,
                build_dir=self.dir,
            )
        previous_dir = self._publish()
        try:
            publish_site(self.site_name, self.reports, self.root, self.pages_digest)
            write_site_data(self.reports)
        except Exception as exc:
            raise BuildError(
                f"{self.quarter} is published at {display_path(self.link)}, but writing the home "
                f"page and SOP chapters failed: {type(exc).__name__}: {exc}"
            ) from exc
        finally:
            collect_garbage(self.reports / BUILDS, self.quarter, keep={self.dir, previous_dir})
        return BuildResult(
            self.quarter,
            manifest,
            self.link,
            round(time.perf_counter() - started, 3),
            executed=self.executed,
            reused=self.reused,
            failed=failed,
        )

    # -- what each notebook is and what it depends on ---------------------------

    def _calibration_spec(self) -> dict[str, Any]:
        return self._spec(
            key="calibration",
            title="Calibration: how our estimates compare with what happened",
            notebook="calibration",
            stem="calibration",
            parameters={},
            artifacts=[],
            depends=[
                frame_digest(self.inputs.actuals),
                self._digest(self.artifacts / CALIBRATION),
                self._digest(self.artifacts / "backtest.json"),
            ],
        )

    def _change_log(self) -> list[dict[str, Any]]:
        """The params' change log with the plan before and after each change: from the
        ledger (the plan as approved, and after each recorded change), the last one not
        yet recorded ending at this build's roadmap (``approval.change_log``)."""
        from helpers.load.approval import change_log
        from helpers.load.ledger import read_decisions

        changes = self.params_json.get("changes") or []
        if not changes:
            return []
        path = self.artifacts / ROADMAP
        roadmap = json.loads(path.read_text()) if path.is_file() else None
        return change_log(changes, read_decisions(self.root, self.quarter), roadmap)

    def _review_spec(self) -> dict[str, Any] | None:
        """The quarter review, from the second quarter on (None for the first)."""
        from helpers.load.params import list_quarters

        earlier = [q for q in list_quarters(self.root) if q < self.quarter]
        if not earlier or not (self.root / "notebooks" / NOTEBOOKS["review"]).is_file():
            return None
        return self._spec(
            key="review",
            title=f"Quarter review: what happened to what {earlier[-1]} funded",
            notebook="review",
            stem="review",
            parameters={},
            artifacts=[],
            depends=[self._digest(self.artifacts / REVIEW)],
        )

    def _outcomes_digest(self) -> Any:
        """The outcomes register and the ledger it is joined to."""
        outcomes = getattr(self.inputs, "outcomes", None)
        if outcomes is None:
            return None
        return [frame_digest(outcomes), self._ledger_digest()]

    def _ledger_digest(self) -> Any:
        """Every file of the ledger (read once per build: three specs key on it)."""
        if self._ledger is None:
            self._ledger = self._read_ledger_digest()
        return self._ledger

    def _read_ledger_digest(self) -> Any:
        """Every file of the ledger (``load.ledger.ledger_files``), each watched as an input."""
        from helpers.load.ledger import ledger_files

        return [
            (relative_to_root(path, self.root), self._watch(path))
            for path in ledger_files(self.root)
        ]

    def _case_spec(self, initiative_id: str) -> dict[str, Any]:
        from helpers.load.artifacts import contained, safe_id
        from helpers.load.inputs import initiative_row

        # the id names the case's files: refuse any that could leave cases/
        initiative_id = safe_id(initiative_id)
        contained(self.dir / "cases", f"{initiative_id}.html")
        self._case_paths[initiative_id] = case_path(self.artifacts, initiative_id)
        rows = self._rows()
        index = rows.position.get(initiative_id)
        row = initiative_row(self.inputs, initiative_id) if index is None else rows.records[index]
        return self._spec(
            key=f"case:{initiative_id}",
            title=f"Business case {initiative_id}: {row.get('name') or initiative_id}",
            notebook="business_case",
            stem=f"cases/{initiative_id}",
            parameters={"initiative_id": initiative_id},
            artifacts=[],
            # what its page reads: its rows, its case, the calibration, its decision
            depends=[
                self._rows().family(initiative_id),
                self._digest(self._case_paths[initiative_id]),
                self._digest(self.artifacts / CALIBRATION),
                self._decision_digest(initiative_id),
            ],
            case_id=initiative_id,
        )

    def _decision_digest(self, initiative_id: str) -> str | None:
        """The roadmap's entry for one initiative (its decision and reason): a case page
        says it, so it is rebuilt when its own decision changes, not any other."""
        if self._roadmap is None:
            path = self.artifacts / ROADMAP
            self._roadmap = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        entry = (self._roadmap.get("initiatives") or {}).get(initiative_id)
        if entry is None:
            return None
        return digest_of([entry.get(k) for k in ("decision", "decision_basis", "decision_reason")])

    def _rows(self) -> Any:
        """The register's rows indexed once per build (per-case lookups stay O(1))."""
        if self._register_index is None:
            from helpers.load.inputs import RegisterIndex

            self._register_index = RegisterIndex.of(self.inputs.initiatives)
        return self._register_index

    def _roadmap_spec(self, in_scope: list[str]) -> dict[str, Any]:
        cases = {i: self._digest(self._case_paths[i]) for i in in_scope}
        return self._spec(
            key="roadmap",
            title=f"Roadmap: {self.inputs.params.title}",
            notebook="roadmap",
            stem="roadmap",
            parameters={},
            artifacts=[],
            depends=[
                frame_digest(self.inputs.initiatives),
                self._digest(self.artifacts / ROADMAP),
                cases,
                # what it reads of the quarter before (it shows what changed since): the
                # ledger (the previous quarter's recorded plan, or that it has none)
                self._ledger_digest(),
            ],
        )

    def _spec(self, *, key, title, notebook, stem, parameters, artifacts, depends, case_id=None):
        source = self.root / "notebooks" / NOTEBOOKS[notebook]
        cache_key = digest_of(
            self._watch(source),
            parameters,
            self.quarter,
            self.params_json,
            self.helpers_digest,
            depends,
        )
        spec = {
            "key": key,
            "title": title,
            "source": source,
            "executed": f"{BUILD}/notebooks/{stem}.ipynb",
            "html": f"{stem}.html",
            "parameters": {
                "quarter": self.quarter,
                "root": str(self.root),
                "artifacts_dir": str(self.artifacts),
                **parameters,
            },
            "artifacts": artifacts,
            "cache_key": cache_key,
            "render_key": digest_of(cache_key, self.render_digest),
        }
        if case_id is not None:
            spec["id"] = case_id
        return spec

    # -- running a stage ---------------------------------------------------------

    def _stage(self, executor: Executor, specs: list[dict[str, Any]]) -> None:
        tasks = []
        for spec in specs:
            task = self._reuse_or_task(spec)
            if task is None:
                self._bar.update(1)
            else:
                tasks.append(task)
        specs_by_key = {s["key"]: s for s in specs}
        executes = {t.key: t.execute for t in tasks}
        for result in executor.map(tasks):
            if executes[result.key]:
                self.executed += 1
            else:
                self.rendered += 1
            self._record(specs_by_key[result.key], result, reused=not executes[result.key])
            self._bar.set_postfix_str(result.key, refresh=False)
            self._bar.update(1)

    def _reuse_or_task(self, spec: dict[str, Any]) -> NotebookTask | None:
        """Hard-link what the previous build made for ``spec`` if still valid, else a task."""
        old = self.previous_entries.get(spec["key"])
        reusable = (
            not self.force
            and old is not None
            and old.get("status") == "ok"
            and old.get("cache_key") == spec["cache_key"]
            and (self.previous[0] / old["executed"]).is_file()
        )
        task = NotebookTask(
            key=spec["key"],
            notebook=str(spec["source"]),
            output=str(self.dir / spec["executed"]),
            parameters=spec["parameters"],
            cwd=str(self.root / "notebooks"),
            kernel=DEFAULT_KERNEL,
            html=str(self.dir / spec["html"]),
            title=spec["title"],
            renderer=f"{self.site_name}:render_notebook",
            cell_timeout=self.cell_timeout,
            log=str(self.build / "logs" / f"{Path(spec['html']).with_suffix('.log')}"),
            env=self.kernel_env,
        )
        if not reusable:
            return task
        previous_dir = self.previous[0]
        hard_link(previous_dir / old["executed"], self.dir / spec["executed"])
        for name in spec["artifacts"]:
            if (previous_dir / BUILD / "artifacts" / name).is_file():
                hard_link(previous_dir / BUILD / "artifacts" / name, self.artifacts / name)
        old_html = previous_dir / old["html"]
        self.reused += 1
        if old.get("render_key") == spec["render_key"] and old_html.is_file():
            hard_link(old_html, self.dir / spec["html"])
            self._record(spec, TaskResult(spec["key"], "ok", 0.0), reused=True)
            return None
        return NotebookTask(**{**task.__dict__, "execute": False})

    def _record(self, spec: dict[str, Any], result: TaskResult, reused: bool = False) -> None:
        entry = {
            "key": spec["key"],
            "title": spec["title"],
            "notebook": relative_to_root(spec["source"], self.root),
            "executed": spec["executed"],
            "html": spec["html"],
            "status": result.status,
            "reused": reused,
            "error": result.error,
            "seconds": result.seconds,
            "render_seconds": result.render_seconds,
            "warm_kernel": result.warm,  # forked from the warm template (kernels.py)
            "parameters": {
                k: v for k, v in spec["parameters"].items() if k not in ("root", "artifacts_dir")
            },
            "cache_key": spec["cache_key"],
            "render_key": spec["render_key"],
        }
        if "id" in spec:
            entry["id"] = spec["id"]
        self.entries[spec["key"]] = entry

    # -- inputs, publishing -------------------------------------------------------

    def _watch(self, path: Path) -> str | None:
        """The digest of ``path`` (None: missing), noted as an input of this build."""
        if path not in self._digests:
            self.watched[project_relative(path, self.root)] = self._digest(path)
        return self._digests[path]

    def _digest(self, path: Path) -> str | None:
        """A file's digest, read once per build: every case's spec names the same notebook
        and calibration (an input, or an artifact ``_model`` wrote before any spec)."""
        if path not in self._digests:
            self._digests[path] = file_digest(path)
        return self._digests[path]

    def _copy_inputs(self) -> list[str]:
        """Copy the params files and registers this build reads into ``build/inputs/``."""
        copied = copy_inputs(self.inputs, self.root, self.quarter, self.build / "inputs")
        for path in copied.values():
            if path is not None:  # a file the build read (not the ledger's, not a table)
                self._watch(path)
        return list(copied)

    def _unchanged(self, manifest: dict[str, Any]) -> bool:
        """Nothing executed or rendered, and the previous build has the same pages."""
        return (
            self.previous is not None
            and self.executed == 0
            and self.rendered == 0
            and not manifest["summary"]["failed"]
            and self.previous[1].get("pages_key") == manifest["pages_key"]
            and list(self.previous_entries) == [e["key"] for e in manifest["notebooks"]]
            and (self.previous[0] / "index.html").is_file()
        )

    def _site(self) -> Any:
        return importlib.import_module(self.site_name)

    def _start_brief(self, executor: Executor) -> None:
        """Import the site module and write the decision brief on a thread while the
        notebooks run in their workers (the main process would otherwise wait, then do
        this with the workers idle); at once when they run in this process, where two
        threads importing IPython and matplotlib at once can see a half-made module."""
        head = {"quarter": self.quarter, "title": self.inputs.params.title}
        head["params"] = self.params_json

        def write() -> Any:
            return self._site().write_brief(head, self.artifacts, self.dir)

        if executor.in_this_process:
            self._brief = Future()
            try:
                self._brief.set_result(write())
            except Exception as exc:  # reported by finish, as from the thread
                self._brief.set_exception(exc)
            return
        pool = ThreadPoolExecutor(1, thread_name_prefix="playbook-brief")
        self._brief = pool.submit(write)
        pool.shutdown(wait=False)

    def settle(self) -> None:
        """Wait for the brief's thread (its error is reported by ``finish``), so that the
        build folder can be removed."""
        if self._brief is not None:
            wait([self._brief])

    def _publish(self) -> Path | None:
        """Point ``reports/<Q>`` at this build in one atomic step; return the previous build."""
        previous_dir = link_build(self.reports, self.quarter, self.dir, self.previous)
        self.published = True
        return previous_dir


# -- helpers --------------------------------------------------------------------


__all__ = [
    "BuildError",
    "ReportsNotWritable",
    "BuildResult",
    "describe_failure",
    "run_quarter",
]
