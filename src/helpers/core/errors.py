"""One exception hierarchy for the playbook.

Messages say what failed, where, and how to fix it, in business terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SHOWN_LIMIT = 200  # characters of a bad value echoed back in a message


def shown(value: Any, limit: int = SHOWN_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters, so a huge bad value never floods a message."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


class PlaybookError(Exception):
    """Base class of every error the playbook raises on purpose."""

    exit_code = 1


def row_word(file: str) -> str:
    """How a message names a record of ``file``: "line" in a CSV file, "row" elsewhere."""
    return "line" if str(file).lower().endswith((".csv", ".txt")) else "row"


@dataclass(frozen=True)
class Problem:
    """One problem found in an input: where it is, what is wrong, what would be valid.

    ``row`` counts as a spreadsheet user does: the header is row 1, the first
    data row is row 2. In a CSV file it is the line an editor shows (the header
    is line 1) and the message says "line". ``cell`` is the cell as Excel
    shows it (``Initiatives!J9``) when the register is a workbook sheet, and
    ``header`` the column's name as the user wrote it (``Cost Low``) when it
    differs from the normalised ``column`` (``cost_low``).
    """

    file: str
    message: str
    row: int | None = None
    id: str | None = None
    column: str | None = None
    value: object = None
    column_word: str = "column"  # params files have keys, registers have columns
    cell: str | None = None
    header: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.cell:
            where.append(self.cell)
        elif self.row is not None:
            where.append(f"{row_word(self.file)} {self.row}")
        if self.id:
            where.append(f"id {self.id}")
        if self.column:
            if self.header and self.header != self.column:
                where.append(f"{self.column_word} {self.header!r} ({self.column})")
            else:
                where.append(f"{self.column_word} {self.column}")
        return ", ".join(where) + ": " + self.message


class InputError(PlaybookError):
    """Bad params or registers. Carries every problem found, not just the first."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, (Problem, str)):
            problems = [problems]
        self.problems = [p if isinstance(p, Problem) else Problem("input", p) for p in problems]
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the inputs:"
        super().__init__("\n".join([head] + [f"  - {p}" for p in self.problems]))


class ComputationError(PlaybookError):
    """A computation could not be carried out on valid inputs (e.g. infeasible must-dos)."""

    exit_code = 1


class BuildError(PlaybookError):
    """The build itself could not proceed (another build running, publishing failed)."""

    exit_code = 1


class BuildBusy(BuildError):
    """Another build of the same quarter holds its lock: try again once it has finished."""


class NotebookError(PlaybookError):
    """A notebook failed during a run: names the notebook, the cell and the error."""

    exit_code = 1
