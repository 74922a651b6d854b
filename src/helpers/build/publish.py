"""Publishing a built quarter: a writable reports folder, one build at a time per quarter,
atomic links, the site pages, and old builds cleared; nothing here decides a figure."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from helpers.build.cache import (
    digest_of,
    file_digest,
)
from helpers.core.errors import BuildBusy, BuildError
from helpers.load.artifacts import (
    BUILD,
    BUILDS,
    write_text_atomic,
)


def publish_site(
    site: str, reports: Path, root: Path, pages_digest: str, only_if_stale: bool = False
) -> None:
    """Write the home page and SOP chapters; with ``only_if_stale``, only when needed.

    ``reports/.builds/site.json`` records what they were last written from
    (every published quarter's manifest, the chapters and templates) and
    which pages that wrote; they are stale when either changed or a page is
    missing.
    """
    stamp = reports / BUILDS / "site.json"
    key = digest_of(
        pages_digest,
        str(root),
        [(q.name, file_digest(q / BUILD / "manifest.json")) for q in published_quarters(reports)],
    )
    if only_if_stale:
        try:
            written = json.loads(stamp.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            written = {}
        pages = written.get("pages") or ["index.html"]
        if written.get("key") == key and all((reports / p).is_file() for p in pages):
            return
    importlib.import_module(site).publish_site_pages(reports, root)  # imported only when needed
    pages = ["index.html"] + sorted(
        p.relative_to(reports).as_posix() for p in (reports / "sop").glob("*.html")
    )
    write_text_atomic(stamp, json.dumps({"key": key, "pages": pages}, indent=2))


def refusal(entries: list[dict[str, Any]]) -> str | None:
    """Why a build with these notebook entries must not replace the site, or None."""
    reasons = [
        f"{Path(e['notebook']).name} failed"
        for e in entries
        if e["key"] in ("calibration", "roadmap") and e["status"] == "failed"
    ]
    cases = [e for e in entries if e["key"].startswith("case:")]
    failed = [e for e in cases if e["status"] == "failed"]
    if len(failed) * 2 > len(cases):
        reasons.append(f"{len(failed)} of {len(cases)} business cases failed (more than half)")
    return "; ".join(reasons) or None


class ReportsNotWritable(BuildError):
    """The reports folder cannot be written: nothing is built (exit 2)."""

    exit_code = 2


def check_writable(reports: Path) -> None:
    """Raise ReportsNotWritable unless files can be created in ``reports`` and its folders."""
    folders = [reports] + [reports / name for name in (BUILDS, "sop") if (reports / name).is_dir()]
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-test-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ReportsNotWritable(
                f"cannot write to {display_path(folder)} ({reason}): nothing was built; make it "
                "writable, or build into another folder with --reports"
            ) from None


def published_quarters(reports: Path) -> list[Path]:
    """The published quarter folders (symlinks) in ``reports``."""
    if not reports.is_dir():
        return []
    return sorted(
        p
        for p in reports.iterdir()
        if not p.name.startswith(".") and (p / BUILD / "manifest.json").is_file()
    )


def read_previous(link: Path) -> tuple[Path, dict[str, Any]] | None:
    """The published build of a quarter and its manifest, if any."""
    manifest = link / BUILD / "manifest.json"
    if not manifest.is_file():
        return None
    try:
        return link.resolve(), json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def quarter_lock(builds: Path, quarter: str) -> Iterator[None]:
    """Only one build of a quarter at a time (builds of different quarters may overlap).

    A ``filelock`` lock (an OS lock on Unix and Windows alike, released when the
    process ends, however it ends)."""
    from filelock import FileLock, Timeout

    path = builds / f".{quarter}.lock"
    lock = FileLock(path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise BuildBusy(
            f"another build of {quarter} is running (lock {path}); wait for it to finish"
        ) from None
    try:
        yield
    finally:
        lock.release()


def collect_stale_builds(builds: Path, quarter: str) -> None:
    """Under the quarter's lock: folders of this quarter other than the published one
    are left by killed (or refused) builds."""
    published = builds.parent / quarter
    collect_garbage(builds, quarter, keep={published.resolve()} if published.exists() else set())


def collect_garbage(builds: Path, quarter: str, keep: set[Path | None]) -> None:
    """Remove this quarter's builds other than the current and previous one.

    Runs under the quarter's lock, so unpublished folders left here are from
    killed builds. Other quarters' builds are never touched.
    """
    pattern = re.compile(rf"^{re.escape(quarter)}-\d{{8}}T\d{{6,12}}Z-[0-9a-z]+$")
    kept = {p.resolve() for p in keep if p is not None}
    for path in builds.iterdir():
        if pattern.match(path.name) and path.resolve() not in kept and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
    for stray in builds.parent.glob(f".{quarter}.link-*"):
        stray.unlink(missing_ok=True)


def hard_link(source: Path, target: Path) -> None:
    """Hard-link ``source`` to ``target`` (copy across file systems)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def link_build(
    reports: Path, quarter: str, build_dir: Path, previous: tuple[Path, Any] | None
) -> Path | None:
    """Point ``reports/<quarter>`` at ``build_dir`` in one atomic step (a new symlink
    renamed over the old); return the build it pointed at (``previous``'s folder)."""
    link = reports / quarter
    previous_dir = previous[0] if previous else None
    if link.exists() and not link.is_symlink():
        # an old-style real folder: move it among the builds first (one time only)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        previous_dir = reports / BUILDS / f"{quarter}-{stamp}-legacy"
        os.replace(link, previous_dir)
    temporary = reports / f".{quarter}.link-{uuid.uuid4().hex[:6]}"
    os.symlink(os.path.relpath(build_dir, reports), temporary)
    fsync_dir(build_dir)
    os.replace(temporary, link)
    fsync_dir(reports)
    return previous_dir


def fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def relative_to_root(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def display_path(path: Path) -> str:
    """``path`` relative to the working folder when inside it, else absolute."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def copy_inputs(inputs: Any, root: Path, quarter: str, target: Path) -> dict[str, Path | None]:
    """Copy the params files and registers a build of ``quarter`` reads into ``target``
    (its ``build/inputs/``), with the ledger's previous decisions and, for a database
    table, its rows as read (canonical CSV). Returns each copy's name (relative to
    ``target``) and the project file it was read from (None: the ledger's, or a table)."""
    from helpers.load.ledger import previous_decisions

    copied: dict[str, Path | None] = {}
    files = [root / "params" / "defaults.yaml", root / "params" / f"{quarter}.yaml"]
    files += [p if p.is_absolute() else root / p for p in inputs.register_paths()]
    for path in files:
        if not path.is_file():
            continue
        name = relative_to_root(path, root)
        if Path(name).is_absolute():
            name = f"registers/{path.name}"
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / name)
        copied[name] = path
    for path, name in previous_decisions(root, quarter):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / name)
        copied[name] = None
    for kind in ("initiatives", "actuals"):
        source = getattr(inputs.params, kind)
        if source.url and not source.url.startswith("sqlite:///"):
            # a database table: keep the rows as read, in canonical form
            name = f"registers/{kind}.csv"
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            getattr(inputs, kind).to_csv(target / name, index=False)
            copied[name] = None
    return copied
