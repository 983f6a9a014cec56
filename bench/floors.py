"""Floors for the benchmarks: the same question, answered as cheaply as the database can.

A figure alone moves with the machine and with whatever else it is doing; a figure
beside a floor measured in the same run, the two timed in turns, gives a ratio that
holds under load. For the reports, duty and coverage the floor is one hand-written
SQL statement on the same database, run through the bare DB-API driver (``sqlite3`` or
psycopg, no SQLAlchemy, no Flask), reading the best index the schema has and fetching
every row; what the app adds on top (names turned into JSON, star levels, states) is
what the ratio measures.

    from bench import floors
    conn = floors.connect(url)
    figures = floors.paired("month_by_unit", run_app, lambda: floors.fetch(conn, SQL, params), repeat=7)
    # {"month_by_unit_ms": .., "month_by_unit_floor_ms": .., "month_by_unit_ratio": ..}
"""
from __future__ import annotations

import re
import statistics
import time
from typing import Callable

# Which shifts reports read, as the report indexes' partial condition (verbatim, or SQLite
# would not use them) and the review states that count or wait.
FINISHED = "status IN ('closed', 'auto_closed')"
NOT_REJECTED = "review_state IN ('none', 'approved', 'adjusted', 'pending')"
COUNTED = "review_state IN ('none', 'approved', 'adjusted')"


def connect(url: str):
    """A bare DB-API connection to the bench's database (autocommit on PostgreSQL)."""
    if url.startswith("sqlite:///"):
        import sqlite3

        return sqlite3.connect(url[len("sqlite:///"):])
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def dialect(conn) -> str:
    return "sqlite" if type(conn).__module__.startswith("sqlite3") else "postgresql"


def fetch(conn, sql: str, params: dict) -> list:
    """Run one statement and fetch every row. ``sql`` uses :name placeholders (sqlite3's);
    for psycopg they become %(name)s."""
    if dialect(conn) == "postgresql":
        sql = re.sub(r"(?<!:):([a-z_]+)", r"%(\1)s", sql)
    cursor = conn.cursor()
    cursor.execute(sql, params)
    rows = cursor.fetchall()
    cursor.close()
    return rows


def paired(name: str, app: Callable[[], object], floor: Callable[[], object], repeat: int,
           warm: int = 1) -> dict:
    """Median wall-clock ms of the app and of its floor, timed in turns (app, floor, app, ...)
    after ``warm`` runs of each, so a burst of load elsewhere hits both alike."""
    for _ in range(warm):
        app()
        floor()
    app_ms, floor_ms = [], []
    for _ in range(repeat):
        for run, into in ((app, app_ms), (floor, floor_ms)):
            began = time.perf_counter()
            run()
            into.append((time.perf_counter() - began) * 1000)
    return figures(name, statistics.median(app_ms), statistics.median(floor_ms))


def paired_each(name: str, calls: list[tuple[Callable[[], object], Callable[[], object]]], warm: int = 10) -> dict:
    """Like ``paired`` for many small questions (one pair per probe): medians over the probes."""
    for app, floor in calls[:warm]:
        app()
        floor()
    app_ms, floor_ms = [], []
    for app, floor in calls:
        for run, into in ((app, app_ms), (floor, floor_ms)):
            began = time.perf_counter()
            run()
            into.append((time.perf_counter() - began) * 1000)
    return figures(name, statistics.median(app_ms), statistics.median(floor_ms), digits=3)


def figures(name: str, app_ms: float, floor_ms: float, digits: int = 1) -> dict:
    return {f"{name}_ms": round(app_ms, digits), f"{name}_floor_ms": round(floor_ms, digits),
            f"{name}_ratio": round(app_ms / floor_ms, 2) if floor_ms else None}


def ratio_line(result: dict) -> str:
    """The figures with a floor, one per line: name, app ms, floor ms, ratio."""
    lines = []
    for key, value in result.items():
        name = key[: -len("_floor_ms")]
        if key.endswith("_floor_ms") and name + "_ms" in result:
            lines.append(f"{name:24s} {result.get(name + '_ms')!s:>10} ms  floor {value!s:>10} ms  "
                         f"ratio {result.get(name + '_ratio')}")
    return "\n".join(lines)
