"""PostgreSQL for real: a throwaway server, rows read back through the SQL reader, read-only, no leaked password."""

from __future__ import annotations

import shutil
import time

import pytest
from sqlalchemy import create_engine, text

from formats.example import Example
from formats.readers import read_source
from formats.readers.sql_reader import SqlSource, _engine
from formats.sources import Columns
from tests.pg import server_binaries, throwaway_server

pytestmark = pytest.mark.skipif(server_binaries() is None or not shutil.which("runuser"),
                                reason="PostgreSQL server binaries (initdb, pg_ctl) or runuser are not installed")
READER_PASSWORD = "s3cret-reader-pw"


@pytest.fixture(scope="module")
def pg():
    with throwaway_server() as server:
        admin = create_engine(f"postgresql+psycopg://postgres:{server['admin_password']}@127.0.0.1:{server['port']}"
                              "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE reader LOGIN PASSWORD '{READER_PASSWORD}'"))
            conn.execute(text("CREATE TABLE articles (id int PRIMARY KEY, title text, body text, answer text)"))
            conn.execute(text("INSERT INTO articles VALUES (1, 'How do I invite a teammate?', '', "
                              "'Use Members → Invite.'), (2, '如何重置密码？', '', '在登录页点击“忘记密码”。'), "
                              "(3, 'Empty', '', NULL)"))
            conn.execute(text("CREATE TABLE big AS SELECT g AS id, 'question ' || g AS q, 'answer ' || g AS a "
                              "FROM generate_series(1, 200000) AS g"))
            conn.execute(text("GRANT SELECT ON articles, big TO reader"))
        admin.dispose()
        yield server


def spec(pg, query: str = "SELECT id, title, body, answer FROM articles ORDER BY id", port: int | None = None,
         **extra) -> SqlSource:
    return SqlSource(name="kb", kind="sql", url=f"postgresql+psycopg://reader@127.0.0.1:{port or pg['port']}/postgres",
                     password_env="KB_PASSWORD", query=query, key="id",
                     columns=Columns(instruction="title", input="body", output="answer"), **extra)


def test_rows_round_trip_with_key_locators(pg, monkeypatch, tmp_path):
    monkeypatch.setenv("KB_PASSWORD", READER_PASSWORD)
    rows = list(read_source(spec(pg), tmp_path))
    assert all(isinstance(r, Example) for r in rows)
    assert [(r.meta["locator"], r.instruction, r.output) for r in rows] == [
        ("row id=1", "How do I invite a teammate?", "Use Members → Invite."),
        ("row id=2", "如何重置密码？", "在登录页点击“忘记密码”。"), ("row id=3", "Empty", "")]


def test_connection_is_read_only(pg, monkeypatch, tmp_path):
    monkeypatch.setenv("KB_PASSWORD", READER_PASSWORD)
    with _engine(spec(pg), tmp_path) as engine, engine.connect() as conn:
        with pytest.raises(Exception, match="read-only transaction"):
            conn.execute(text("CREATE TABLE sneaky (x int)"))


def test_wrong_password_and_unreachable_server_never_show_the_password(pg, monkeypatch, tmp_path):
    monkeypatch.setenv("KB_PASSWORD", "wrong-pw-123")
    with pytest.raises(Exception) as wrong:
        list(read_source(spec(pg), tmp_path))
    assert "password authentication failed" in str(wrong.value) and "wrong-pw-123" not in str(wrong.value)
    monkeypatch.setenv("KB_PASSWORD", READER_PASSWORD)
    with pytest.raises(Exception) as down:
        list(read_source(spec(pg, port=1), tmp_path))
    assert "connect" in str(down.value).lower() and READER_PASSWORD not in str(down.value)


@pytest.mark.parametrize("query,message", [("SELECT id, FROM articles", "syntax error"),
                                           ("SELECT id, title, body FROM articles", "no column(s) ['answer']")])
def test_bad_query_or_missing_column_is_one_clear_error(pg, monkeypatch, tmp_path, query, message):
    monkeypatch.setenv("KB_PASSWORD", READER_PASSWORD)
    with pytest.raises(Exception, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        list(read_source(spec(pg, query=query), tmp_path))


def test_a_large_table_streams(pg, monkeypatch, tmp_path):
    monkeypatch.setenv("KB_PASSWORD", READER_PASSWORD)
    source = SqlSource(name="big", kind="sql", url=f"postgresql+psycopg://reader@127.0.0.1:{pg['port']}/postgres",
                       password_env="KB_PASSWORD", query="SELECT id, q, a FROM big ORDER BY id", key="id",
                       columns=Columns(instruction="q", input=None, output="a"))
    count = 0
    for count, row in enumerate(read_source(source, tmp_path), 1):  # noqa: B007
        pass
    assert count == 200_000 and row.meta["locator"] == "row id=200000" and row.output == "answer 200000"


def test_statement_timeout_cancels_a_runaway_query(pg, monkeypatch, tmp_path):
    from formats.limits import Limits

    monkeypatch.setenv("KB_PASSWORD", READER_PASSWORD)
    runaway = spec(pg, query="SELECT a.id, a.q AS title, b.a AS body, b.a AS answer FROM big a CROSS JOIN big b "
                             "ORDER BY md5(a.q || b.a)")
    started = time.perf_counter()
    with pytest.raises(Exception, match="statement timeout"):
        list(read_source(runaway, tmp_path, Limits(statement_timeout_s=1)))
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize("query", ["SELECT pg_terminate_backend(pg_backend_pid()) AS id, '' AS title, '' AS body, "
                                   "'' AS answer", "SELECT set_config('statement_timeout', '0', false) AS id",
                                   "SELECT id, title, '--' AS body, answer FROM articles; DROP TABLE articles; --'"])
def test_side_effecting_queries_never_reach_the_server(pg, monkeypatch, tmp_path, query):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="query"):
        spec(pg, query=query)
    monkeypatch.setenv("KB_PASSWORD", READER_PASSWORD)
    assert len(list(read_source(spec(pg), tmp_path))) == 3  # the table and this session are still there
