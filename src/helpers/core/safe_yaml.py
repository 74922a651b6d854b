"""One strict YAML reader for every YAML file the playbook reads (params, templates).

Nothing in a YAML file is taken silently:

- anchors and aliases (``&name``, ``*name``, ``<<: *name``) are refused: the
  playbook's files are a few plain keys, and aliases let a few hundred bytes
  expand into gigabytes (an "alias bomb"); the check runs before an alias is
  looked up, so nothing is ever expanded;
- a key given twice in one mapping is refused, naming both lines (YAML itself
  would keep the last one without a word);
- a file larger than ``max_bytes`` is refused before it is parsed;
- timestamps stay text, as in papermill (``2026-07-01`` is the string
  ``"2026-07-01"``), so a date is checked where it is used, like any value.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from helpers.core.errors import InputError, Problem, shown
from helpers.core.files import check_regular_file


class _Refused(Exception):
    """YAML that is well-formed but not allowed in a playbook file."""

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.message, self.key = message, key


class _Strict:
    """Construction that refuses a key given twice in one mapping (either loader below)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            key, line = key_node.value, key_node.start_mark.line + 1
            if key in seen:
                raise _Refused(
                    f"key {shown(key)} appears twice (lines {seen[key]} and {line}): "
                    "keep one (YAML would silently use the last)",
                    key=str(key)[:200],
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


class _Loader(_Strict, yaml.SafeLoader):
    """SafeLoader that keeps timestamps as text and refuses aliases and duplicate keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        # Checked before the composer looks an alias up, so nothing is ever expanded.
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            line = event.start_mark.line + 1
            raise _Refused(
                f"line {line}: anchors and aliases (&name, *name) are not allowed in "
                f"{self.what}: write each value out in full"
            )
        return super().compose_node(parent, index)


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_CSafeLoader = getattr(yaml, "CSafeLoader", None)  # PyYAML built with libyaml (the wheels are)

if _CSafeLoader is not None:

    class _FastLoader(_Strict, _CSafeLoader):  # type: ignore[misc,valid-type]
        """The same reading on libyaml's parser (C), about ten times faster.

        It builds values with the same constructor and resolvers as :class:`_Loader`
        (duplicate keys refused, timestamps kept as text); anchors and aliases, which
        libyaml would compose without asking, are looked for first (:func:`_plain`)."""

        yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


# what libyaml reads where the pure-Python loader refuses (a tab between tokens, a block
# scalar header run into a comment, a "?" in a flow collection) or reads otherwise (an
# empty tag, the Unicode line breaks, a byte-order mark after the start): such text is
# read by the pure loader, so that it is refused, or read, exactly as before
_LENIENT = re.compile("[\t!?\x85\u2028\u2029]|[|>][-+0-9]*#")


def _plain(text: str) -> bool:
    """Whether ``text`` parses (by libyaml) without an anchor or alias, and has none of
    ``_LENIENT``, so that :class:`_FastLoader` may read it. False sends it to
    :class:`_Loader`, whose messages (and line numbers) then say what is wrong, exactly
    as before."""
    if _LENIENT.search(text) or "\ufeff" in text[1:]:
        return False
    try:
        for event in yaml.parse(text, Loader=_CSafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return False
    except yaml.YAMLError:
        return False
    return True


def _read(text: str, what: str) -> Any:
    """The document in ``text``: on libyaml when it can, else on the pure-Python loader."""
    fast = _CSafeLoader is not None and _plain(text)
    return _load(_FastLoader if fast else _Loader, text, what)


def _load(loader_class: type, text: str, what: str) -> Any:
    """The document in ``text``, read by ``loader_class`` (``what`` names the file's kind)."""
    loader = loader_class(text)
    loader.what = what
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_yaml(path: Path, label: str, *, what: str, max_bytes: int) -> Any:
    """The document in the YAML file ``path``, read strictly (see the module docstring).

    ``label`` names the file in messages, ``what`` the kind of file ("params",
    "a template"); a file over ``max_bytes`` is refused unread. Raises
    InputError naming the file (and the key or line) and how to fix it.
    """
    check_regular_file(path, label)  # a named pipe would make the read wait forever
    try:
        size = Path(path).stat().st_size
        if size > max_bytes:
            raise InputError(
                Problem(
                    label,
                    f"is {size:,} bytes, more than {max_bytes:,}: {what} is a few kilobytes "
                    "of plain keys; check this is the right file",
                )
            )
        return _read(Path(path).read_text(encoding="utf-8"), what)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            Problem(label, f"cannot read the file ({exc}): save it as UTF-8")
        ) from None
    except _Refused as exc:
        raise InputError(Problem(label, exc.message, column=exc.key, column_word="key")) from None
    except RecursionError:
        raise InputError(
            Problem(label, f"is nested too deeply to be {what}: use plain key: value lines")
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(
            Problem(label, f"is not valid YAML{where}: {reason} (check indentation and colons)")
        ) from None
