"""Rows from any SQLAlchemy database, streamed, read-only, with credentials kept out of every log.

SQLAlchemy and sqlglot (~0.5 s to import) are imported when a SQL source is validated or read, not with the module:
every run imports this module (the config's source union), few configs have a SQL source.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from formats.columns import map_row, missing_columns
from formats.example import Example, Reject
from formats.limits import current
from formats.sources import Columns, SourceBase, SourceKind
from formats.threads import Thread, ThreadCollector, only_one_mapping

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine
    from sqlglot import exp

# Functions that act on the server, the file system or other sessions even inside a SELECT (exact names and name
# prefixes, lower case). The read-only transaction stops some of them, not all (pg_terminate_backend, pg_sleep,
# advisory locks, dblink to another database and query_to_xml's inner SQL are allowed in a read-only transaction).
SIDE_EFFECT_FUNCTIONS = frozenset({
    "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_rotate_logfile", "pg_promote",
    "pg_switch_wal", "pg_start_backup", "pg_stop_backup", "pg_backup_start", "pg_backup_stop", "pg_notify",
    "pg_import_system_collations", "pg_truncate_visibility_map", "set_config", "nextval", "setval", "txid_current",
    "query_to_xml", "query_to_xml_and_xmlschema", "query_to_xmlschema", "cursor_to_xml", "cursor_to_xmlschema",
    "lowrite", "loread", "load_extension", "writefile", "readfile", "edit", "fts3_tokenizer",
    "sleep", "benchmark", "get_lock", "release_lock", "release_all_locks", "load_file", "sys_exec", "sys_eval"})
SIDE_EFFECT_PREFIXES = ("lo_", "dblink", "pg_advisory", "pg_try_advisory", "pg_sleep", "pg_stat_reset",
                        "pg_replication", "pg_create_", "pg_drop_", "pg_file_", "pg_read_", "pg_ls_", "pg_wal_",
                        "pg_logical_", "pg_copy_")


@lru_cache(maxsize=1)
def _not_read_only() -> tuple[type, ...]:
    """Nodes that write, lock, change the session or run a statement the parser could not read."""
    from sqlglot import exp

    return (exp.DML, exp.DDL, exp.Into, exp.Lock, exp.Command, exp.Set, exp.Pragma, exp.Transaction, exp.Commit,
            exp.Rollback, exp.Copy, exp.Use, exp.Execute, exp.Merge, exp.Grant, exp.Alter, exp.Kill, exp.Attach,
            exp.Detach, exp.LoadData, exp.Cache, exp.Uncache, exp.Refresh, exp.Analyze)

# SQLAlchemy backend name -> sqlglot dialect (others are parsed with sqlglot's generic dialect).
_DIALECTS = {"postgresql": "postgres", "sqlite": "sqlite", "mysql": "mysql", "mariadb": "mysql", "mssql": "tsql",
             "oracle": "oracle", "duckdb": "duckdb", "snowflake": "snowflake", "bigquery": "bigquery"}


def _function_name(func: exp.Func) -> str:
    from sqlglot import exp

    return (func.name if isinstance(func, exp.Anonymous) else func.sql_name()).lower()


def side_effect_function(name: str) -> bool:
    name = name.lower().rsplit(".", 1)[-1]
    return name in SIDE_EFFECT_FUNCTIONS or name.startswith(SIDE_EFFECT_PREFIXES)


@lru_cache(maxsize=4096)  # 10,000 sources often share a handful of queries
def check_read_only(query: str, backend: str | None = None) -> None:
    """Refuse anything but one read-only query before it reaches a database, on a real SQL parse (sqlglot, in the
    backend's dialect): one statement, a SELECT / WITH … SELECT / UNION / VALUES at the top, no write, lock or
    session node anywhere in the tree (a `WITH x AS (DELETE …)` too), no side-effecting function. Strings and
    comments are the parser's business, so `'--'` or `/* … */` cannot hide a second statement."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    dialect = _DIALECTS.get(backend or "")
    try:
        parsed = sqlglot.parse(query, read=dialect)
    except (ParseError, TokenError) as err:
        first = str(err).splitlines()[0]
        raise ValueError(f"the query does not parse as {dialect or 'generic'} SQL: {first}") from None
    statements = [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]
    if len(statements) != 1:
        raise ValueError(f"only a single statement is allowed (found {len(statements)})")
    root = statements[0]
    if not isinstance(root, exp.Query | exp.Values):
        raise ValueError(f"only SELECT or WITH … SELECT queries are allowed, got {root.key.upper()}")
    for node in root.walk():
        if isinstance(node, _not_read_only()):
            raise ValueError(f"the query contains {node.key.upper()}: only read-only queries are allowed")
        if isinstance(node, exp.Func) and side_effect_function(_function_name(node)):
            raise ValueError(f"the query calls {_function_name(node)}(), which has side effects; "
                             "only read-only queries are allowed")


class SqlSource(SourceBase):
    kind: Literal["sql"]
    url: str = Field(description="SQLAlchemy URL; relative sqlite paths are relative to the config file")
    query: str
    columns: Columns = Columns()
    thread: Thread | None = Field(None, description="one row per message: group rows into conversations")
    key: str | list[str] | None = Field(None, description="key column(s) used as the row locator")
    script: str | None = Field(None, description="sqlite only: a .sql file loaded into a fresh database first")
    password_env: str | None = Field(None, description="environment variable that holds the password")

    @model_validator(mode="after")
    def _select_only(self) -> SqlSource:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            backend = make_url(self.url).get_backend_name()
        except ArgumentError:
            backend = None  # the url check says what is wrong with it
        try:
            check_read_only(self.query, backend)
        except ValueError as err:
            raise ValueError(f"query: {err}") from None
        return self

    _one_mapping = model_validator(mode="after")(only_one_mapping)


BATCH_ROWS = 10_000


def masked(url: str | URL) -> str:
    """The URL as it may appear in logs and reports: password replaced by ***."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def resolve_url(spec: SqlSource, base_dir: Path) -> URL:
    """Relative sqlite paths are relative to the config file; the password may come from the environment."""
    from sqlalchemy.engine import make_url

    url = make_url(spec.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        url = url.set(database=str(db if db.is_absolute() else (base_dir / db).resolve()))
    if spec.password_env:
        url = url.set(password=os.environ.get(spec.password_env, ""))
    return url


@contextmanager
def _engine(spec: SqlSource, base_dir: Path) -> Iterator[Engine]:
    from sqlalchemy import create_engine, event
    from sqlalchemy.engine import make_url

    url = resolve_url(spec, base_dir)
    timeout = current().statement_timeout_s
    scratch = None
    if url.get_backend_name() == "sqlite":
        database = url.database or ":memory:"
        if spec.script:
            # Load the sample's SQL script into a throwaway database, then read that one.
            scratch = tempfile.NamedTemporaryFile(suffix=".sqlite", delete=False)
            scratch.close()
            with sqlite3.connect(scratch.name) as conn:
                conn.executescript((base_dir / spec.script).read_text(encoding="utf-8"))
            database = scratch.name
        # mode=ro: SQLite itself refuses writes, and a missing file is an error instead of a new empty db.
        url = make_url(f"sqlite:///file:{database}?mode=ro&uri=true")
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_deadline(timeout))
    elif url.get_backend_name() == "postgresql":
        # The server cancels a query that runs past the limit; the transaction is read-only besides.
        engine = create_engine(url, pool_pre_ping=True, execution_options={"postgresql_readonly": True},
                               connect_args={"options": f"-c statement_timeout={int(timeout * 1000)}"})
    else:
        engine = create_engine(url, pool_pre_ping=True)
    try:
        yield engine
    finally:
        engine.dispose()
        if scratch:
            os.unlink(scratch.name)


def _sqlite_deadline(seconds: float) -> Any:
    """SQLite has no statement timeout: a progress handler aborts a connection's work after `seconds`."""
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        deadline = time.monotonic() + seconds
        dbapi_connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    return on_connect


def read_sql(spec: SqlSource, base_dir: Path) -> Iterator[Example | Reject]:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    check_read_only(spec.query, make_url(spec.url).get_backend_name())
    keys = [spec.key] if isinstance(spec.key, str) else list(spec.key or [])
    with _engine(spec, base_dir) as engine, engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(text(spec.query))
        names = list(result.keys())
        needed = [c for c in spec.thread.columns() if c not in names] if spec.thread else \
            missing_columns(spec.columns, names)
        missing = needed + [k for k in keys if k not in names]
        if missing:
            raise ValueError(f"query result has no column(s) {missing}; it returns {names}")
        threads = ThreadCollector(spec.name, spec.thread) if spec.thread else None
        for number, values in enumerate(result, 1):
            row = dict(zip(names, values, strict=True))
            locator = ("row " + ",".join(f"{k}={row[k]}" for k in keys)) if keys else f"row {number}"
            if threads is not None:
                threads.add(row, locator)
                continue
            instruction, context, output = map_row(row, spec.columns)
            yield Example.from_fields(spec.name, locator, instruction, context, output)
    if threads is not None:
        yield from threads.examples()


def _input_files(spec: SqlSource) -> list[str] | None:
    from sqlalchemy.engine import make_url

    if make_url(spec.url).get_backend_name() != "sqlite":
        return None  # a database server: its rows are read every run; the clean stage's cache catches unchanged shards
    if spec.script:
        return [spec.script]  # the database is built from this script on every read
    database = make_url(spec.url).database or ""
    return [database, f"{database}-wal"]  # a write shows in the file or its write-ahead log


def _check(spec: SqlSource, base_dir: Path) -> list[str]:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(spec.url)
    except ArgumentError as err:
        return [f"url: not a database URL ({err})"]
    if url.get_backend_name() != "sqlite":
        return ["script: only sqlite sources can load a script"] if spec.script else []
    if spec.script:
        return [] if (base_dir / spec.script).is_file() else [f"script: file not found: {base_dir / spec.script}"]
    if url.database in (None, "", ":memory:"):
        return ["url: an in-memory sqlite database has no rows; give a file or script"]
    if not (base_dir / url.database).is_file():
        return [f"url: sqlite database does not exist: {base_dir / url.database}"]
    return []


def _summary(spec: SqlSource) -> dict[str, Any]:
    return {"url": masked(spec.url)}


KIND = SourceKind(model=SqlSource, read=read_sql, input_files=_input_files, check=_check, summary=_summary)
