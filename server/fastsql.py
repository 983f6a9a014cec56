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

import logging
import operator
import os
import select
import sqlite3
import threading
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa
from flask import current_app

from server.db import acquire_writer, db, release_writer, sqlite_file


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: bool  # "?" placeholders (SQLite) or named ones (psycopg)
    names: tuple[str, ...]  # of the placeholders, in the order the driver wants them
    defaults: dict[str, Any]  # literals in the statement (status = 'open'), by name
    pick: Callable[[dict], list]  # the values of all binds, in driver order, from a dict by name
    processors: tuple[tuple[int, Callable], ...]  # (position, processor) of the binds that have one
    column_keys: tuple[str, ...]
    column_types: tuple  # SQLAlchemy types of the selected columns
    # [((key, processor) of each selected column that has one)], filled from the first
    # cursor's description (drivers report type codes).
    result_processors: list


def _picker(names: tuple[str, ...]) -> Callable[[dict], list]:
    """``lambda d: [d[name] for name in names]``, a KeyError naming a missing one, but in C."""
    if not names:
        return lambda values: []
    get = operator.itemgetter(*names)
    if len(names) == 1:
        return lambda values: [get(values)]
    return lambda values: list(get(values))


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
        names = tuple(compiled.positiontup) if dialect.positional else tuple(compiled.binds)
        binds = [compiled.binds[name] for name in names]
        processors = [bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds]
        columns = getattr(self.statement, "selected_columns", None)
        if columns is None and getattr(self.statement, "_returning", None):
            columns = self.statement._returning  # INSERT/UPDATE ... RETURNING
        columns = list(columns or [])
        return _Compiled(
            sql=compiled.string,
            positional=bool(dialect.positional),
            names=names,
            defaults={name: bind.effective_value for name, bind in zip(names, binds)
                      if not bind.required and bind.callable is None},
            pick=_picker(names),
            processors=tuple((i, processor) for i, processor in enumerate(processors) if processor is not None),
            column_keys=tuple(c.key for c in columns),
            column_types=tuple(c.type.dialect_impl(dialect) for c in columns),
            result_processors=[],
        )

    def execute(self, params: dict[str, Any]):
        """Run on this thread's hot connection; returns the DB-API cursor."""
        return self._execute(_hot(), params)

    def _execute(self, hot: "_Hot", params: dict[str, Any]):
        compiled = self._compiled.get(hot.dialect_name) or self._for(hot.dialect)
        # In C (dict merge, itemgetter) rather than a Python loop per bind: a scan-in has 24.
        values = compiled.pick({**compiled.defaults, **params} if compiled.defaults else params)
        for i, processor in compiled.processors:  # most columns need no conversion
            if values[i] is not None:
                values[i] = processor(values[i])
        args = values if compiled.positional else dict(zip(compiled.names, values))
        return _run(hot, compiled.sql, args)

    def first(self, params: dict[str, Any]) -> dict | None:
        """The first row as a dict keyed like the statement's columns, values converted by their types."""
        hot = _hot()
        cursor = self._execute(hot, params)
        row = cursor.fetchone()
        compiled = self._compiled[hot.dialect_name]
        if not compiled.result_processors:
            processors = [(key, type_.result_processor(hot.dialect, column[1]))
                          for key, type_, column in zip(compiled.column_keys, compiled.column_types,
                                                        cursor.description)]
            compiled.result_processors.append(tuple((key, proc) for key, proc in processors if proc is not None))
        cursor.close()
        if row is None:
            return None
        result = dict(zip(compiled.column_keys, row))
        for key, proc in compiled.result_processors[0]:  # most columns need no conversion
            result[key] = proc(result[key])
        return result


def dialect_name() -> str:
    """The hot connection's database, "sqlite" or "postgresql", to read its rows by
    (server/driver_rows.py): one attribute, where asking the session makes one on a request
    that had none (driver_rows.dialect_name(), for rows read through the session)."""
    return _hot().dialect_name


def rows(statement: Prepared, params: dict[str, Any]) -> list[tuple]:
    """Every row of a SELECT as the driver returns it, unconverted: a read that turns a few
    hundred rows into JSON converts only the columns it shows (server/driver_rows.py)."""
    cursor = statement.execute(params)
    found = cursor.fetchall()
    cursor.close()
    return found


class _Hot:
    """This thread's connection to one app's database, and what the hot path needs to know of it."""

    __slots__ = ("app_ref", "conn", "dialect", "dialect_name", "sqlite_path", "writing", "commits")

    def __init__(self, app, engine) -> None:
        self.app_ref = weakref.ref(app)
        self.writing = False  # in a transaction or a write: a lost statement is never resent
        self.commits = 0  # since this connection last checkpointed the WAL (SQLite)
        self.dialect = engine.dialect
        self.dialect_name = engine.dialect.name
        self.sqlite_path = sqlite_file(engine)
        self.conn = None
        self.reopen(engine)

    def reopen(self, engine) -> None:
        """A new connection in place of the current one, which is gone or was never opened."""
        pooled = engine.raw_connection()  # connect-time settings (SQLite pragmas) applied
        self.conn = pooled.driver_connection
        pooled.detach()  # ours from now on, outside the pool
        if self.dialect_name == "sqlite":
            self.conn.isolation_level = None
            # This connection checkpoints outside the writer lock (see _committed()).
            self.conn.execute("PRAGMA wal_autocheckpoint=0")
        else:
            self.conn.autocommit = True

    def usable(self) -> bool:
        """A broken connection is replaced on the next request instead of failing every request
        for the rest of the worker's life: psycopg marks one broken after the server went away;
        a closed sqlite3 connection refuses even to say whether it is in a transaction."""
        conn = self.conn
        if self.dialect_name == "sqlite":
            try:
                conn.in_transaction
            except sqlite3.ProgrammingError:
                return False
            return True
        return not (conn.broken or conn.closed)


_local = threading.local()


def _forget_connections() -> None:
    """A forked worker must open its own connections, never share its parent's."""
    global _local
    _local = threading.local()


os.register_at_fork(after_in_child=_forget_connections)


def _hot() -> _Hot:
    """The current app's hot connection for this thread.

    Looked up on every statement, so the common case (same app as the last
    statement on this thread) costs one attribute read: asking Flask-SQLAlchemy
    for the engine costs more than SQLite takes to run a primary-key SELECT."""
    app = current_app._get_current_object()
    hot = getattr(_local, "last", None)
    if hot is None or hot.app_ref() is not app:
        # Weak keys: an app that goes away (one per test) takes its connection with it.
        by_app = _local.__dict__.setdefault("by_app", weakref.WeakKeyDictionary())
        hot = by_app.get(app)
        if hot is None:
            hot = by_app[app] = _Hot(app, db.engine)
        _local.last = hot
    if not hot.usable():
        hot.reopen(db.engine)
    return hot


@contextmanager
def transaction():
    """A write transaction on the hot connection: BEGIN … COMMIT, ROLLBACK if the block raises.

    On SQLite the block first queues for the writer hand-off lock (server/db.py)
    and then begins IMMEDIATE, taking SQLite's write lock up front, so a read
    inside the block (the re-read before an update) cannot be invalidated by
    another writer. On PostgreSQL, use SELECT … FOR UPDATE for the same effect."""
    hot = _hot()
    writer = acquire_writer(hot.sqlite_path)  # not a nested `with`: this runs twice per scan
    try:
        cursor = _run(hot, "BEGIN IMMEDIATE" if hot.dialect_name == "sqlite" else "BEGIN", ())
        hot.writing = True
        try:
            yield
        except BaseException:
            if hot.usable():
                cursor.execute("ROLLBACK")
            raise
        else:
            cursor.execute("COMMIT")
        finally:
            hot.writing = False
            cursor.close()
    finally:
        release_writer(writer)
    _committed(hot)


def write(statement: Prepared, params: dict[str, Any]) -> tuple[list, int]:
    """One statement that writes, as its own transaction; returns (RETURNING rows, rowcount).

    On a SQLite file a single statement is atomic and takes the write lock
    before it reads, so it runs on its own, without BEGIN and COMMIT; its rows
    are fetched before the writer lock is released (SQLite commits when the
    statement finishes). On PostgreSQL likewise, in autocommit mode
    (``_write_autocommit``): one round trip, and a write is never sent twice
    unless the server said it ran none of it."""
    hot = _hot()
    if hot.sqlite_path is None:
        return _write_autocommit(hot, statement, params)
    writer = acquire_writer(hot.sqlite_path)
    hot.writing = True
    try:
        result = _fetch(statement._execute(hot, params))
    finally:
        hot.writing = False
        release_writer(writer)
    _committed(hot)
    return result


# SQLSTATEs of a server that ended the session before running what it was sent: admin_shutdown
# (pg_terminate_backend, a fast shutdown or restart), crash_shutdown, cannot_connect_now.
_SESSION_ENDED = frozenset({"57P01", "57P02", "57P03"})


def _write_autocommit(hot: _Hot, statement: Prepared, params: dict[str, Any]) -> tuple[list, int]:
    """PostgreSQL: the statement alone, in autocommit mode, one round trip instead of three
    (BEGIN, the statement, COMMIT): a single statement is its own transaction.

    A connection the server ended while it sat idle is replaced before anything is sent: the
    server's goodbye (a FATAL message, then EOF) is already waiting on the socket, which a
    zero-timeout poll sees without a round trip. If the server ends the session just as the
    statement arrives, it says so with a SQLSTATE of class 57P before committing anything, and
    the statement is sent again on a new connection. Any other lost connection leaves it unknown
    whether the statement committed: that error stands (a 503 the client retries with its
    client_request_id), never a second write."""
    if _ended_by_server(hot):
        log.warning("database connection ended by the server; reconnecting")
        hot.reopen(db.engine)
    hot.writing = True
    try:
        try:
            return _fetch(statement._execute(hot, params))
        except hot.dialect.dbapi.OperationalError as err:
            if getattr(err, "sqlstate", None) not in _SESSION_ENDED:
                raise
            log.warning("database session ended before the write (%s); reconnecting", err.sqlstate)
            hot.reopen(db.engine)
            return _fetch(statement._execute(hot, params))
    finally:
        hot.writing = False


def _ended_by_server(hot: _Hot) -> bool:
    """True if the idle connection has something to read: on a session we never LISTEN on,
    that can only be the server's termination notice or the end of the stream."""
    if not hot.usable():
        return True
    try:
        readable, _, _ = select.select([hot.conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _fetch(cursor) -> tuple[list, int]:
    rows = cursor.fetchall() if cursor.description else []
    rowcount = cursor.rowcount
    cursor.close()
    return rows, rowcount


def _committed(hot: _Hot) -> None:
    if hot.sqlite_path is not None:
        hot.commits += 1
        if hot.commits >= CHECKPOINT_EVERY_COMMITS:
            _checkpoint(hot)


# SQLite's own automatic checkpoint runs inside the COMMIT that crosses its threshold, that is
# while the writer lock is held: every writer queued behind it waited for the copy into the
# database file and its fsyncs (milliseconds, in the p99 of the scans). Hot connections
# therefore checkpoint themselves, after releasing the lock, every so many commits; a passive
# checkpoint blocks no writer and waits for no reader. Connections of the session keep SQLite's
# automatic checkpoint (1000 pages) for writes that do not come through here.
CHECKPOINT_EVERY_COMMITS = 500


def _checkpoint(hot: _Hot) -> None:
    hot.commits = 0
    try:
        hot.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").close()
    except sqlite3.OperationalError as err:  # another checkpoint is running: it does the work
        log.debug("checkpoint skipped: %s", err)


def _run(hot: _Hot, sql: str, args):
    """Execute on the hot connection; a connection that died since its last statement (the
    database restarted) is replaced and the statement sent again: it never reached the server.
    While writing the error stands: a transaction is lost with the connection, and a write on
    its own may have been applied."""
    cursor = hot.conn.cursor()
    try:
        cursor.execute(sql, args)
    except hot.dialect.dbapi.OperationalError:
        if hot.writing or hot.usable():
            raise
        log.warning("database connection lost; reconnecting")
        hot.reopen(db.engine)
        cursor = hot.conn.cursor()
        cursor.execute(sql, args)
    return cursor


def integrity_error() -> type[Exception]:
    """The driver's IntegrityError (sqlite3's or psycopg's), for unique-index races."""
    return _hot().dialect.dbapi.IntegrityError


def named_binds(table: sa.Table, names) -> dict:
    """``{column: bindparam(column)}`` for an INSERT/UPDATE whose values come at execution."""
    return {table.c[name]: sa.bindparam(name, type_=table.c[name].type) for name in names}
