"""SQLAlchemy Core statements compiled once and run on the DB-API cursor.

The scan path (every volunteer, twice a shift) spends more time in
SQLAlchemy's per-execution machinery than in the database: a prepared SELECT
costs ~15 µs through ``Connection.execute`` and ~4 µs on the cursor. This
module keeps SQLAlchemy for what it is good at — writing the SQL for each
dialect and converting values with the columns' own types (UTC datetimes,
JSON) — and skips the rest. Use it only on measured hot paths; everything
else goes through the session as usual.
"""
from __future__ import annotations

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
        """Run on the session's connection; returns the DB-API cursor."""
        connection = db.session.connection()
        compiled = self._for(connection.dialect)
        values = {}
        for name, processor in compiled.bind_processors.items():
            value = params[name] if name in params else compiled.bind_defaults[name]
            values[name] = processor(value) if processor is not None and value is not None else value
        args = tuple(values[n] for n in compiled.positional_names) if compiled.positional_names is not None \
            else values
        cursor = connection.connection.driver_connection.cursor()
        cursor.execute(compiled.sql, args)
        return cursor

    def first(self, params: dict[str, Any]) -> dict | None:
        """The first row as a dict keyed like the statement's columns, values converted by their types."""
        cursor = self.execute(params)
        row = cursor.fetchone()
        dialect = db.session.connection().dialect
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


def commit() -> None:
    """Commit on the DB-API connection the prepared statements ran on."""
    db.session.connection().connection.driver_connection.commit()


def rollback() -> None:
    db.session.connection().connection.driver_connection.rollback()


def integrity_error() -> type[Exception]:
    """The driver's IntegrityError (sqlite3's or psycopg's), for unique-index races."""
    return db.session.connection().dialect.dbapi.IntegrityError


def named_binds(table: sa.Table, names) -> dict:
    """``{column: bindparam(column)}`` for an INSERT/UPDATE whose values come at execution."""
    return {table.c[name]: sa.bindparam(name, type_=table.c[name].type) for name in names}
