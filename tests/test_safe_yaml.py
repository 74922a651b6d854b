"""The one strict YAML reader: no aliases, no key twice, bounded size, dates stay text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.core import safe_yaml
from helpers.core.errors import InputError
from helpers.core.safe_yaml import read_yaml

ALIAS_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
)


def _read(tmp_path: Path, text: str, max_bytes: int = 10_000):
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return read_yaml(path, "x.yaml", what="a test file", max_bytes=max_bytes)


def _message(tmp_path: Path, text: str, max_bytes: int = 10_000) -> str:
    with pytest.raises(InputError) as info:
        _read(tmp_path, text, max_bytes)
    return str(info.value.problems[0])


def test_read_yaml_plain_keys_and_dates_stay_text(tmp_path):
    data = _read(tmp_path, "a: 1\nday: 2026-07-01\nlist: [1, 2]\n")
    assert data == {"a": 1, "day": "2026-07-01", "list": [1, 2]}


def test_read_yaml_alias_bomb_refused_before_expanding(tmp_path):
    text = _message(tmp_path, ALIAS_BOMB)
    assert text.startswith("x.yaml: line 1: anchors and aliases")
    assert "not allowed in a test file" in text and "write each value out in full" in text


def test_read_yaml_merge_key_refused(tmp_path):
    text = _message(tmp_path, "base: &b {x: 1}\nother:\n  <<: *b\n")
    assert "anchors and aliases" in text


def test_read_yaml_duplicate_key_names_both_lines(tmp_path):
    text = _message(tmp_path, "formula: a\nname: n\nformula: a * 1000\n")
    assert text.startswith("x.yaml, key formula: key 'formula' appears twice (lines 1 and 3)")
    assert "keep one" in text


def test_read_yaml_duplicate_nested_key_refused(tmp_path):
    assert "appears twice (lines 2 and 3)" in _message(tmp_path, "s:\n  a: 1\n  a: 2\n")


def test_read_yaml_too_large_refused_unread(tmp_path):
    text = _message(tmp_path, "a: 1\n" * 100, max_bytes=50)
    assert "is 500 bytes, more than 50" in text and "right file" in text


def test_read_yaml_invalid_names_the_line(tmp_path):
    assert "x.yaml: is not valid YAML at line" in _message(tmp_path, "a: [\n")


def test_read_yaml_not_utf8(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(InputError, match="save it as UTF-8"):
        read_yaml(path, "x.yaml", what="a test file", max_bytes=100)


def test_a_template_or_params_path_that_is_a_named_pipe_is_refused_at_once(tmp_path):
    import os

    from helpers.core.safe_yaml import read_yaml

    pipe = tmp_path / "t.yaml"
    os.mkfifo(pipe)
    with pytest.raises(InputError, match="named pipe"):
        read_yaml(pipe, "t.yaml", what="a template", max_bytes=1000)


# -- libyaml's parser (the fast path) reads what the pure-Python one reads --------------------

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["2026-07-01", "yes", "no", "~", "0x1F", "1e3", "1_000", "-.inf", "'q'"]),
)
_DOCUMENTS = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _pure(text: str):
    """``text`` read by the pure-Python loader alone."""
    return safe_yaml._load(safe_yaml._Loader, text, "a test file")


def _read_fast_if_plain(text: str):
    """``text`` read as ``read_yaml`` reads it: on libyaml when it may."""
    return safe_yaml._read(text, "a test file")


@settings(max_examples=150, deadline=None)
@given(document=_DOCUMENTS, flow=st.booleans())
def test_fast_reader_reads_what_the_pure_python_reader_reads(document, flow):
    text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    assert _read_fast_if_plain(text) == _pure(text)


def test_project_yaml_files_read_on_libyaml_the_same(root, monkeypatch):
    """Every params file and benefit template of the project (approved copies too), read
    on libyaml (the pure loader made to fail shows it is not used), gives what the pure
    loader gives."""
    files = sorted([*(root / "params").rglob("*.yaml"), *(root / "playbook").rglob("*.yaml")])
    assert len(files) >= 10
    expected = {path: _pure(path.read_text(encoding="utf-8")) for path in files}

    def refuse(*args, **kwargs):
        raise AssertionError("the pure-Python loader was used for a plain file")

    monkeypatch.setattr(safe_yaml, "_Loader", refuse)
    for path in files:
        assert read_yaml(path, path.name, what="params", max_bytes=1_000_000) == expected[path]


def _outcome(read, text: str):
    """What a reader makes of ``text``: its value, or what ``read_yaml`` would report."""
    try:
        return ("value", read(text))
    except safe_yaml._Refused as exc:
        return ("refused", exc.message)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return ("invalid", getattr(exc, "problem", None), mark.line if mark else None)


# where libyaml is more lenient than the pure-Python loader, or reads otherwise (found by
# fuzzing 300,000 texts): each is read by the pure loader, as before
LENIENT_IN_LIBYAML = [
    "budget:\t900000\n",
    "a: 1\t# a comment\n",
    "a: [1,\t2]\n",
    "a: x\ty\n",
    "a: >#\n  x\n",
    "|#>  b:~",
    "{b:~|~?}\n",
    " !",
    "---\n\ufeff",
    ">1\x85...\n\ufeff",
    "\u2028\ufeff",
]
TOKENS = ["a:", "b:", " ", "\n", "- ", "[", "]", "{", "}", ",", "'", '"', "#", "1", "2.5", "x"]
TOKENS += ["\t", "!", "|", ">", "?", ": ", "\u2028", "\x85", "\ufeff", "yes", "~", "---\n"]
TOKENS += ["2026-07-01", "\\", "%YAML 1.1\n", "...\n", "é", "0x1F", "\r\n", "&a ", "*a", "|-"]


@pytest.mark.parametrize("text", LENIENT_IN_LIBYAML)
def test_text_libyaml_reads_otherwise_is_read_as_before(text):
    assert _outcome(_read_fast_if_plain, text) == _outcome(_pure, text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=16))
def test_any_text_is_read_or_refused_as_the_pure_python_loader_does(tokens):
    text = "".join(tokens)
    assert _outcome(_read_fast_if_plain, text) == _outcome(_pure, text)
