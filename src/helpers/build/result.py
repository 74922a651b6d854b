"""What a build reports: its result (executed, reused, failed, refused) and the failure line
the command prints; and the early answer for a quarter whose build is up to date."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.build.cache import (
    BUILD_MODULES,
    file_digest,
    inputs_key_of,
    render_digests,
    tree_digest,
    watched_file,
)
from helpers.build.publish import (
    display_path,
    publish_site,
    read_previous,
)


@dataclass
class BuildResult:
    """The outcome of one ``run_quarter``: counts, failures, where the site is."""

    quarter: str
    manifest: dict[str, Any]
    quarter_dir: Path  # reports/<Q> (the published symlink)
    seconds: float
    up_to_date: bool = False  # nothing changed: the previous build stands, untouched
    executed: int = 0
    reused: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    refused: str | None = None  # why this build was not published (the previous site stands)
    build_dir: Path | None = None  # the unpublished build, when refused

    @property
    def index(self) -> Path:
        """The quarter page."""
        return self.quarter_dir / "index.html"

    @property
    def exit_code(self) -> int:
        """0 when every notebook succeeded, 1 when any failed."""
        return 1 if self.failed else 0

    @property
    def warm_kernels(self) -> int:
        """Of the notebooks this build executed, how many kernels were forked warm."""
        if self.up_to_date:
            return 0
        return sum(
            1
            for entry in self.manifest["notebooks"]
            if entry.get("warm_kernel") and not entry.get("reused")
        )

    def summary_line(self) -> str:
        """``2026Q4: 19 notebooks (17 executed, 17 kernels warm, 2 reused, 0 failed) in ...``."""
        total = len(self.manifest["notebooks"])
        where = display_path(self.index)
        if self.refused:
            where = f"NOT published (inspect {display_path(self.build_dir / 'index.html')})"
        return (
            f"{self.quarter}: {total} notebooks ({self.executed} executed, {self.warm_kernels} "
            f"kernels warm, {self.reused} reused, {len(self.failed)} failed) in "
            f"{self.seconds:.1f} s -> {where}"
        )

    def refusal_line(self) -> str | None:
        """Why the build was not published and what to do; None when it was published."""
        if not self.refused:
            return None
        stands = (
            f"the previous site stays at {display_path(self.index)}"
            if self.index.is_file()
            else "nothing was published"
        )
        return (
            f"{self.quarter} not published: {self.refused}; {stands}. Fix the failure and run "
            "again, or publish it anyway with --publish-partial."
        )

    def failure_line(self) -> str | None:
        """One line naming the first failed notebook, its cell and its error; None if none."""
        if not self.failed:
            return None
        return describe_failure(self.failed[0], more=len(self.failed) - 1, index=self.index)


def describe_failure(entry: dict[str, Any], *, more: int = 0, index: Path | None = None) -> str:
    """``business_case.ipynb (case CDP-01) failed in cell 7: ValueError: ...``."""
    name = Path(entry["notebook"]).name
    if entry["key"].startswith("case:"):
        name += f" (case {entry['key'].removeprefix('case:')})"
    error = entry.get("error") or {}
    where = f" in cell {error['cell']}" if error.get("cell") is not None else ""
    what = ": ".join(part for part in (error.get("ename"), error.get("evalue")) if part)
    line = f"{name} failed{where}: {what or 'unknown error'}"
    if more:
        see = f": see {display_path(index)}" if index else ""
        line += f" (and {more} more failed notebook{'s' if more > 1 else ''}{see})"
    return line


def up_to_date_result(quarter: str, root: Path, reports: Path, site: str) -> BuildResult | None:
    """The published build, if nothing it read has changed since and nothing failed.

    Hashes the few files the build recorded (params, registers, notebooks, the
    previous quarter's) and the code once, and reads one manifest: the cost does
    not grow with the number of notebooks. None: build as usual.
    """
    started = time.perf_counter()
    previous = read_previous(reports / quarter)
    if previous is None or not previous[1].get("inputs_key"):
        return None
    folder, manifest = previous
    entries = manifest["notebooks"]
    if manifest.get("missing") or any(e["status"] != "ok" for e in entries):
        return None
    helpers_dir = Path(__file__).resolve().parents[1]
    helpers_digest = tree_digest(helpers_dir, "*.py", exclude=BUILD_MODULES)
    render_digest, pages_digest = render_digests(helpers_dir, root)
    watched = {key: file_digest(watched_file(key, root)) for key in manifest["inputs_watched"]}
    if inputs_key_of(watched, root, helpers_digest, pages_digest) != manifest["inputs_key"]:
        return None
    pages = ["index.html", *(e["html"] for e in entries)]
    if not all((folder / page).is_file() for page in pages):
        return None
    publish_site(site, reports, root, pages_digest, only_if_stale=True)
    seconds = round(time.perf_counter() - started, 3)
    return BuildResult(
        quarter, manifest, reports / quarter, seconds, up_to_date=True, reused=len(entries)
    )
