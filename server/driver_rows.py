"""Rows as the database driver returns them, and the few conversions a read needs.

SQLAlchemy converts every value of every row through its column's type; for reads of
thousands of rows (a month's coverage) or of a few hundred on a page asked for every
minute (the duty board), that costs more than the database takes to answer. These
helpers run a statement through the session as usual but hand back the driver's
tuples, and convert the values a caller uses with one call into C each: SQLite returns
dates and times as ISO text, psycopg as naive ``date``/``datetime`` objects. The
readers take the dialect's name (``dialect_name()``), looked up once per read.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Callable

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from server.db import db


def session_rows(statement) -> list[tuple]:
    """Every row of a statement run through the session as usual (its transaction, the SQL and
    bound values SQLAlchemy writes), as the driver returns them."""
    result = db.session.connection().execute(statement)  # Core: a cursor result even if ORM columns appear
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def dialect_name() -> str:
    """The session's database: "sqlite" or "postgresql"."""
    return db.session.get_bind().dialect.name


_fromisoformat, _combine = datetime.fromisoformat, datetime.combine


def _utc_from_text(value):
    if value is None:
        return None
    try:
        return _fromisoformat(value + "+00:00")  # as stored by SQLAlchemy: naive, microseconds
    except ValueError:  # some other text; read as UTCDateTime reads it
        return utc_from_naive(_fromisoformat(value))


def utc_from_naive(value):
    """A naive UTC datetime (or None), as psycopg returns a stored time, made aware."""
    # combine(), not replace(tzinfo=...): a fifth of the time, which counts over a few hundred rows.
    return None if value is None else _combine(value, value.time(), timezone.utc)


def utc_reader(dialect: str) -> Callable[[Any], datetime | None]:
    """A stored UTC time (or NULL) to an aware UTC datetime, as UTCDateTime reads it."""
    return _utc_from_text if dialect == "sqlite" else utc_from_naive


def naive_reader(dialect: str) -> Callable[[Any], datetime] | None:
    """A stored UTC time, never NULL, to the naive datetime it is stored as; None where the
    driver already returns that (psycopg), so a loop over thousands of rows can skip the call."""
    return _fromisoformat if dialect == "sqlite" else None


class aware(FunctionElement):
    """A UTC column that is never NULL, selected so that ``aware_reader()`` makes an aware
    datetime of it in one call into C: on SQLite its text with the offset appended."""

    name = "aware"
    inherit_cache = True


@compiles(aware)
def _aware(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(aware, "sqlite")
def _aware_sqlite(element, compiler, **kw):
    return f"({compiler.process(element.clauses, **kw)} || '+00:00')"


def aware_reader(dialect: str) -> Callable[[Any], datetime]:
    """Reads a column selected through ``aware``."""
    return _fromisoformat if dialect == "sqlite" else utc_from_naive


def date_reader(dialect: str) -> Callable[[Any], date]:
    """A date that is never NULL to a date."""
    return date.fromisoformat if dialect == "sqlite" else _same


def _same(value):
    return value
