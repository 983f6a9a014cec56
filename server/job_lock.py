"""One run at a time of a periodic job, whichever server starts it.

Every app server may carry the same timers (it keeps the servers identical). A job that is not
idempotent by itself runs inside ``exclusive(name)``: on PostgreSQL a session-level advisory
lock, which the server drops by itself if the holder dies; on SQLite (one host) a file lock
beside the database. A second run finds the lock taken and skips, which is not an error.

Which jobs take the lock and which are idempotent instead is written in docs/deploy.md.
"""
from __future__ import annotations

import fcntl
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from server.db import db, sqlite_file


def _key(name: str) -> int:
    # A stable 32-bit number per job (Python's hash() differs between processes).
    return zlib.crc32(f"redvest:{name}".encode())


@contextmanager
def exclusive(name: str) -> Iterator[bool]:
    """Yield True while this process holds the job's lock, False if another run holds it."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            got = conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": _key(name)}).scalar_one()
            conn.commit()
            try:
                yield bool(got)
            finally:
                if got:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _key(name)})
                    conn.commit()
        return
    path = (sqlite_file(engine) or os.path.join(os.getcwd(), "redvest")) + f".{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
