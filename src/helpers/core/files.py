"""What may be opened as an input: a regular file, never a pipe, a device or a folder.

A named pipe (FIFO) or a character device at an input's path makes ``open``
and ``read`` wait forever for a writer; a folder cannot be read. Every reader
of a user's path asks ``check_regular_file`` first, so such a path is refused
at once with a message instead of hanging the command.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from helpers.core.errors import InputError, Problem

_KINDS = (
    (stat.S_ISDIR, "a folder", "give the path of a file in it"),
    (stat.S_ISFIFO, "a named pipe (FIFO)", "reading it would wait forever; give a file's path"),
    (stat.S_ISCHR, "a device", "reading it would not end; give a file's path"),
    (stat.S_ISBLK, "a device", "give a file's path"),
    (stat.S_ISSOCK, "a socket", "give a file's path"),
)


def not_regular(path: Path | str) -> str | None:
    """Why ``path`` cannot be read as an input file, or None when it can (or does not exist).

    Symbolic links are followed: a link to a regular file is one.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:  # a loop of links, a path too long, no permission
        return f"cannot be looked at ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    for test, kind, why in _KINDS:
        if test(mode):
            return f"is {kind}, not a regular file: {why}"
    return "is not a regular file: give a file's path"


def check_regular_file(path: Path | str, label: str) -> None:
    """Raise InputError naming ``label`` when ``path`` exists but is no regular file."""
    reason = not_regular(path)
    if reason:
        raise InputError(Problem(label, f"{reason} ({path})"))


def file_in_the_way(folder: Path | str) -> Path | None:
    """The file at ``folder`` or at a folder above it, which keeps it from being a folder.

    None when ``folder`` is a folder, or can be made one (its nearest existing
    ancestor is a folder).
    """
    for path in (Path(folder), *Path(folder).parents):
        if path.exists():
            return None if path.is_dir() else path
    return None
