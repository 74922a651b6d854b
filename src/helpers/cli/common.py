"""What every subcommand shares: the project root, error reporting, JSON output."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from helpers.core.errors import PlaybookError
from helpers.load.artifacts import to_jsonable

root_option = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("PLAYBOOK_ROOT", "."),
    show_default="current directory, or $PLAYBOOK_ROOT",
    help="Project folder holding params/, data/ and reports/.",
)


def reports_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn PlaybookError into its message on stderr and its exit code (2 bad input, 1 failure)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PlaybookError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


def echo_json(document: Any) -> None:
    """Print one JSON document to stdout: plain numbers, NaN as null."""
    click.echo(json.dumps(to_jsonable(document), indent=2, allow_nan=False))


class PositiveFinite(click.ParamType):
    """A number above 0 that is finite: ``nan`` and ``inf`` are usage errors (exit 2)."""

    name = "positive number"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number) or number <= 0:
            self.fail(f"must be a finite number above 0, got {value!r}", param, ctx)
        return number


class MoneyAmount(click.ParamType):
    """An amount of money above 0 and at most ``MAX_MONEY`` (a trillion: more is a typo);
    ``nan``, ``inf``, ``1e300`` and negative amounts are usage errors (exit 2)."""

    name = "amount"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        from helpers.load.params import MAX_MONEY

        if isinstance(value, float):
            return value
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number: write the amount, e.g. 750000", param, ctx)
        if not math.isfinite(number) or not 0 < number <= MAX_MONEY:
            self.fail(
                f"must be an amount of money above 0 and at most {MAX_MONEY:,.0f} in the quarter's "
                f"currency, got {value!r}: write the amount, e.g. 750000",
                param,
                ctx,
            )
        return number


# -- what playbook run and playbook watch share ---------------------------------------------

reports_option = click.option(
    "--reports",
    "reports_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the site goes.  [default: <root>/reports]",
)
cell_timeout_option = click.option(
    "--cell-timeout",
    type=PositiveFinite(),
    default=600.0,
    show_default=True,
    help="Seconds (finite, above 0) one notebook cell may run before its notebook fails.",
)
scheduler_option = click.option(
    "--scheduler", default=None, help="Dask scheduler address (default: a LocalCluster)."
)
shared_path_option = click.option(
    "--shared-path",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="A folder the Dask workers see at the same path, holding the project and reports.",
)


def check_reports_folder(reports_dir: Path | None) -> None:
    """Bad input (exit 2) when a file stands where the reports folder would go."""
    from helpers.core.errors import InputError, Problem
    from helpers.core.files import file_in_the_way

    if reports_dir is not None and (blocking := file_in_the_way(reports_dir)) is not None:
        raise InputError(
            Problem(
                "--reports",
                f"{blocking} is a file, not a folder: give a folder for the site "
                "(it is created if missing)",
            )
        )
