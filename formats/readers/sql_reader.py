"""Rows from any SQLAlchemy database, streamed, read-only, with credentials kept out of every log."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url

from formats.columns import map_row, missing_columns
from formats.example import Example, Reject
from formats.sources import SqlSource, check_read_only

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
        missing = missing_columns(spec.columns, names) + [k for k in keys if k not in names]
        if missing:
            raise ValueError(f"query result has no column(s) {missing}; it returns {names}")
        for number, values in enumerate(result, 1):
            row = dict(zip(names, values, strict=True))
            locator = ("row " + ",".join(f"{k}={row[k]}" for k in keys)) if keys else f"row {number}"
            instruction, context, output = map_row(row, spec.columns)
            yield Example.from_fields(spec.name, locator, instruction, context, output)
