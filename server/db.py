"""The SQLAlchemy handle and per-connection database settings."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase

# Constraint names are fixed so migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


class UTCDateTime(sa.types.TypeDecorator):
    """Stores naive UTC, hands back aware UTC; refuses naive input so no local time sneaks in."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, str):  # raw SQL on SQLite
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=timezone.utc)


def install_sqlite_pragmas(engine: sa.Engine, busy_timeout_ms: int) -> None:
    """WAL lets readers run beside the writer; busy_timeout makes writers wait, not fail."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


# --- one writer at a time on SQLite, handed over without sleeping ---------------
#
# SQLite lets one connection write at a time; a second writer waits in SQLite's
# busy handler, which polls by sleeping 1, 2, 5, 10 ms... Under load those naps,
# not the writes (tens of microseconds), dominate the scan path's latency. The
# hot path therefore queues on an OS file lock (and a thread lock for threads of
# one process) that wakes the next writer the moment the previous one commits.
# PostgreSQL needs none of this.
import fcntl  # noqa: E402
import os  # noqa: E402
import threading  # noqa: E402
from contextlib import contextmanager  # noqa: E402

_thread_lock = threading.Lock()
_lock_files: dict[str, int] = {}
# A forked child must open its own: flock locks belong to the open file, which a child shares.
os.register_at_fork(after_in_child=_lock_files.clear)


def sqlite_file(engine: sa.Engine) -> str | None:
    """The database file of a SQLite engine; None for PostgreSQL and in-memory databases."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return os.path.abspath(database)


def acquire_writer(path: str | None) -> int | None:
    """Queue for the right to write the SQLite file at ``path`` (no-op for None); pass what
    this returns to ``release_writer``."""
    if path is None:
        return None
    _thread_lock.acquire()
    try:
        fd = _lock_files.get(path)
        if fd is None:
            fd = _lock_files[path] = os.open(path + ".writelock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        _thread_lock.release()
        raise
    return fd


def release_writer(fd: int | None) -> None:
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        _thread_lock.release()


@contextmanager
def write_lock():
    """The writer hand-off lock of the current app's database, for writes through the session."""
    fd = acquire_writer(sqlite_file(db.engine))
    try:
        yield
    finally:
        release_writer(fd)
