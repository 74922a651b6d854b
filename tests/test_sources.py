"""``helpers.load.sources``: only regular files are opened, SQL names are never SQL,
and a template's example rows are never data."""

from __future__ import annotations

import os
import signal
import sqlite3
from pathlib import Path

import pytest

from helpers.core.errors import InputError
from helpers.core.files import not_regular
from helpers.load.params import RegisterSource, load_params
from helpers.load.sources import EXAMPLE_IDS, quote_identifier, read_register

REGISTER = "id,name,category\nA,Email,email\n"


@pytest.fixture
def deadline():
    """Fail, rather than hang, if a read blocks (a FIFO opened for reading waits for a writer)."""

    def expired(*_: object) -> None:
        raise TimeoutError("the read blocked")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("name", ["initiatives.csv", "initiatives.xlsx", "registers.sqlite"])
def test_read_register_refuses_a_named_pipe_at_once(tmp_path, deadline, name):
    os.mkfifo(tmp_path / name)
    source = RegisterSource(path=name, table="t" if name.endswith("sqlite") else None)
    with pytest.raises(InputError, match=r"is a named pipe \(FIFO\), not a regular file"):
        read_register(source, tmp_path)


def test_read_register_refuses_a_folder(tmp_path):
    (tmp_path / "initiatives.csv").mkdir()
    with pytest.raises(InputError, match="initiatives.csv: is a folder, not a regular file"):
        read_register(RegisterSource(path="initiatives.csv"), tmp_path)


def test_load_params_refuses_a_named_pipe_at_once(tmp_path, deadline):
    (tmp_path / "params").mkdir()
    os.mkfifo(tmp_path / "params" / "2026Q4.yaml")
    with pytest.raises(InputError, match=r"params/2026Q4.yaml: is a named pipe"):
        load_params("2026Q4", tmp_path)


def test_not_regular_follows_links_and_names_devices(tmp_path):
    (tmp_path / "file.csv").write_text(REGISTER)
    (tmp_path / "link.csv").symlink_to(tmp_path / "file.csv")
    assert not_regular(tmp_path / "link.csv") is None
    assert not_regular(tmp_path / "missing.csv") is None  # the caller says "no such file"
    assert "is a device" in not_regular("/dev/zero")


def database(tmp_path: Path, *tables: str) -> Path:
    path = tmp_path / "registers.sqlite"
    with sqlite3.connect(path) as con:
        for table in tables:
            con.execute(f"CREATE TABLE {quote_identifier(table)} (id TEXT, name TEXT)")
            con.execute(f"INSERT INTO {quote_identifier(table)} VALUES (?, ?)", (table, "x"))
    con.close()
    return path


def test_read_register_sqlite_table_name_with_quotes_and_semicolon_reads(tmp_path):
    odd = 'Q4 "final"; plan'
    path = database(tmp_path, odd)
    frame = read_register(RegisterSource(path=str(path), table=odd))
    assert frame["id"].tolist() == [odd]


def test_read_register_sqlite_injection_is_no_table(tmp_path):
    path = database(tmp_path, "a", "b")
    injected = 'a" UNION ALL SELECT * FROM "b" --'
    with pytest.raises(InputError) as caught:
        read_register(RegisterSource(path=str(path), table=injected))
    message = str(caught.value.problems[0])
    assert 'no table \'a" UNION ALL SELECT * FROM "b" --\'' in message
    assert message.endswith("tables: a, b")


def test_quote_identifier_doubles_quotes():
    assert quote_identifier('a"b') == '"a""b"'


@pytest.mark.parametrize("id_", [*EXAMPLE_IDS, EXAMPLE_IDS[0].lower()])
def test_read_register_refuses_the_example_row(tmp_path, id_):
    path = tmp_path / "initiatives.csv"
    path.write_text(f"id,name,category\nA,Email,email\n{id_},Example,email\n")
    with pytest.raises(InputError) as caught:
        read_register(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}, line 3, id {id_}, column id: is the worked example row of the template, not "
        "data: delete or overwrite the example row (its figures would count as a real "
        "initiative or past project)"
    ]
