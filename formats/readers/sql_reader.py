"""Rows from any SQLAlchemy database, streamed, read-only, with credentials kept out of every log."""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError

from formats.columns import map_row, missing_columns
from formats.example import Example, Reject
from formats.sources import Columns, SourceBase, SourceKind
from formats.threads import Thread, ThreadCollector, only_one_mapping

_WRITE_WORDS = re.compile(
    r"\b(insert|update|delete|merge|upsert|drop|create|alter|truncate|grant|revoke|attach|detach|"
    r"pragma|vacuum|copy|call|exec|execute|into)\b", re.IGNORECASE)
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_STRINGS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"")


def check_read_only(query: str) -> None:
    """Refuse anything but one SELECT (or WITH … SELECT) before it reaches a database."""
    code = _STRINGS.sub("''", _COMMENTS.sub(" ", query)).strip().rstrip(";").strip()
    if ";" in code:
        raise ValueError("only a single statement is allowed (found ';' between statements)")
    first = code.split(None, 1)[0].lower() if code else ""
    if first not in ("select", "with"):
        raise ValueError(f"only SELECT or WITH … SELECT queries are allowed, got {first.upper() or 'nothing'}")
    word = _WRITE_WORDS.search(code)
    if word:
        raise ValueError(f"the query contains {word.group(0).upper()!r}: only read-only queries are allowed")


class SqlSource(SourceBase):
    kind: Literal["sql"]
    url: str = Field(description="SQLAlchemy URL; relative sqlite paths are relative to the config file")
    query: str
    columns: Columns = Columns()
    thread: Thread | None = Field(None, description="one row per message: group rows into conversations")
    key: str | list[str] | None = Field(None, description="key column(s) used as the row locator")
    script: str | None = Field(None, description="sqlite only: a .sql file loaded into a fresh database first")
    password_env: str | None = Field(None, description="environment variable that holds the password")

    @field_validator("query")
    @classmethod
    def _select_only(cls, query: str) -> str:
        check_read_only(query)
        return query

    _one_mapping = model_validator(mode="after")(only_one_mapping)

BATCH_ROWS = 10_000


def masked(url: str | URL) -> str:
    """The URL as it may appear in logs and reports: password replaced by ***."""
    return make_url(url).render_as_string(hide_password=True)


def resolve_url(spec: SqlSource, base_dir: Path) -> URL:
    """Relative sqlite paths are relative to the config file; the password may come from the environment."""
    url = make_url(spec.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        url = url.set(database=str(db if db.is_absolute() else (base_dir / db).resolve()))
    if spec.password_env:
        url = url.set(password=os.environ.get(spec.password_env, ""))
    return url


@contextmanager
def _engine(spec: SqlSource, base_dir: Path) -> Iterator[Engine]:
    url = resolve_url(spec, base_dir)
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
    else:
        engine = create_engine(url, pool_pre_ping=True,
                               execution_options={"postgresql_readonly": True}
                               if url.get_backend_name() == "postgresql" else {})
    try:
        yield engine
    finally:
        engine.dispose()
        if scratch:
            os.unlink(scratch.name)


def read_sql(spec: SqlSource, base_dir: Path) -> Iterator[Example | Reject]:
    check_read_only(spec.query)
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
    if make_url(spec.url).get_backend_name() != "sqlite":
        return None  # a database server: its rows are read every run; the clean stage's cache catches unchanged shards
    if spec.script:
        return [spec.script]  # the database is built from this script on every read
    database = make_url(spec.url).database or ""
    return [database, f"{database}-wal"]  # a write shows in the file or its write-ahead log


def _check(spec: SqlSource, base_dir: Path) -> list[str]:
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
