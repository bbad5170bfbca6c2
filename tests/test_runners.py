import os
import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from flows.config import RunSettings
from flows.runners import is_transient, make_task_runner, workers


def _error(db, query: str, **connect_args) -> OperationalError:
    engine = create_engine(f"sqlite:///{db}", connect_args=connect_args)
    with pytest.raises(OperationalError) as caught, engine.connect() as conn:
        conn.execute(text(query))
    return caught.value


def test_locked_database_is_transient_but_a_missing_column_is_not(tmp_path):
    db = tmp_path / "x.sqlite"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE t (a TEXT)")
    holder.execute("BEGIN EXCLUSIVE")  # another writer holds the database
    try:
        assert is_transient(_error(db, "SELECT a FROM t", timeout=0))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not is_transient(_error(db, "SELECT nope FROM t"))
    assert not is_transient(_error(db, "SELEC a FROM t"))
    assert is_transient(ConnectionRefusedError("connection refused"))
    assert not is_transient(ValueError("column(s) ['x'] not found"))


def test_runner_choice():
    assert RunSettings().task_runner == "processes"  # every core cleans shards unless the config says otherwise
    assert workers(RunSettings()) == len(os.sched_getaffinity(0)) and workers(RunSettings(workers=3)) == 3
    assert type(make_task_runner("threads", RunSettings())).__name__ == "ThreadPoolTaskRunner"
    assert type(make_task_runner("processes", RunSettings(workers=3))).__name__ == "ProcessPoolTaskRunner"
    assert type(make_task_runner("dask", RunSettings(dask_address="tcp://127.0.0.1:8786"))).__name__ == "DaskTaskRunner"
    with pytest.raises(ValueError, match="unknown runner 'ray'"):
        make_task_runner("ray", RunSettings())
