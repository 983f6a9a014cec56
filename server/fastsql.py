"""SQLAlchemy Core statements compiled once and run on a DB-API cursor.

The scan path (every volunteer, twice a shift) spends more time in
SQLAlchemy's per-request machinery (session, pool checkout and reset,
per-execution bookkeeping) than in the database: a prepared SELECT costs
~15 µs through ``Connection.execute`` and ~4 µs on the cursor. This module
keeps SQLAlchemy for what it is good at — writing the SQL for each dialect and
converting values with the columns' own types (UTC datetimes, JSON) — and
runs it on one connection per thread of each worker, taken out of the pool
once (with the pool's connect-time settings applied) and kept in autocommit
mode: reads see the latest commit, writes go in explicit ``transaction()``
blocks. Use it only on measured hot paths; everything else goes through the
session as usual.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable


import sqlalchemy as sa

from server.db import db


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional_names: tuple[str, ...] | None
    bind_processors: dict[str, Callable | None]
    bind_defaults: dict[str, Any]  # literals in the statement, e.g. status = 'open'
    column_keys: tuple[str, ...]
    column_types: tuple  # SQLAlchemy types of the selected columns
    result_processors: list  # filled from the first cursor's description (drivers report type codes)


class Prepared:
    """One statement; compiled lazily per dialect, then executed without SQLAlchemy's overhead."""

    def __init__(self, statement) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = self._compile(dialect)
        return compiled

    def _compile(self, dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        binds = {name: bind.type.dialect_impl(dialect).bind_processor(dialect)
                 for name, bind in compiled.binds.items()}
        columns = getattr(self.statement, "selected_columns", None)
        if columns is None and getattr(self.statement, "_returning", None):
            columns = self.statement._returning  # INSERT/UPDATE ... RETURNING
        columns = list(columns or [])
        return _Compiled(
            sql=compiled.string,
            positional_names=tuple(compiled.positiontup) if dialect.positional else None,
            bind_processors=binds,
            bind_defaults={name: bind.effective_value for name, bind in compiled.binds.items()
                           if not bind.required and bind.callable is None},
            column_keys=tuple(c.key for c in columns),
            column_types=tuple(c.type.dialect_impl(dialect) for c in columns),
            result_processors=[],
        )

    def execute(self, params: dict[str, Any]):
        """Run on this thread's hot connection; returns the DB-API cursor."""
        compiled = self._for(db.engine.dialect)
        values = {}
        for name, processor in compiled.bind_processors.items():
            value = params[name] if name in params else compiled.bind_defaults[name]
            values[name] = processor(value) if processor is not None and value is not None else value
        args = tuple(values[n] for n in compiled.positional_names) if compiled.positional_names is not None \
            else values
        cursor = connection().cursor()
        cursor.execute(compiled.sql, args)
        return cursor

    def first(self, params: dict[str, Any]) -> dict | None:
        """The first row as a dict keyed like the statement's columns, values converted by their types."""
        cursor = self.execute(params)
        row = cursor.fetchone()
        dialect = db.engine.dialect
        compiled = self._for(dialect)
        if not compiled.result_processors:
            compiled.result_processors.extend(
                type_.result_processor(dialect, column[1])
                for type_, column in zip(compiled.column_types, cursor.description))
        cursor.close()
        if row is None:
            return None
        return {key: (proc(value) if proc is not None else value)
                for key, proc, value in zip(compiled.column_keys, compiled.result_processors, row)}


_local = threading.local()


def _forget_connections() -> None:
    """A forked worker must open its own connections, never share its parent's."""
    global _local
    _local = threading.local()


os.register_at_fork(after_in_child=_forget_connections)


def connection():
    """This thread's autocommit DB-API connection for the current app's database."""
    engine = db.engine
    # Weak keys: an app (and its engine) that goes away takes its connection with it.
    conns = _local.__dict__.setdefault("by_engine", weakref.WeakKeyDictionary())
    conn = conns.get(engine)
    if conn is None or not _usable(conn):
        pooled = engine.raw_connection()  # connect-time settings (SQLite pragmas) applied
        conn = pooled.driver_connection
        pooled.detach()  # ours from now on, outside the pool
        if engine.dialect.name == "sqlite":
            conn.isolation_level = None
        else:
            conn.autocommit = True
        conns[engine] = conn
    return conn


def _usable(conn) -> bool:
    """A broken connection is replaced on the next request instead of failing every request
    for the rest of the worker's life: psycopg marks one broken after the server went away;
    a closed sqlite3 connection refuses even to say whether it is in a transaction."""
    if getattr(conn, "broken", False) or getattr(conn, "closed", False) is True:
        return False
    if isinstance(conn, sqlite3.Connection):
        try:
            conn.in_transaction
        except sqlite3.ProgrammingError:
            return False
    return True


@contextmanager
def transaction():
    """BEGIN … COMMIT on the hot connection; ROLLBACK if anything in the block raises.

    SQLite begins IMMEDIATE, taking the write lock up front, so a read inside the
    block (the re-read before an update) cannot be invalidated by another writer."""
    conn = connection()
    cursor = conn.cursor()
    cursor.execute("BEGIN IMMEDIATE" if db.engine.dialect.name == "sqlite" else "BEGIN")
    try:
        yield
    except BaseException:
        cursor.execute("ROLLBACK")
        raise
    else:
        cursor.execute("COMMIT")
    finally:
        cursor.close()


def integrity_error() -> type[Exception]:
    """The driver's IntegrityError (sqlite3's or psycopg's), for unique-index races."""
    return db.engine.dialect.dbapi.IntegrityError


def named_binds(table: sa.Table, names) -> dict:
    """``{column: bindparam(column)}`` for an INSERT/UPDATE whose values come at execution."""
    return {table.c[name]: sa.bindparam(name, type_=table.c[name].type) for name in names}
