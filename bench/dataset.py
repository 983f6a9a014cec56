"""A synthetic county for benchmarks: units, districts, posts, volunteers and a year of shifts.

    from bench.dataset import generate
    ds = generate("sqlite:////tmp/redvest-bench/reports.sqlite3", shifts=1_000_000)

The schema comes from the real migrations; rows go in with executemany
(SQLite) or COPY (PostgreSQL) in batches, never through the ORM, with the
shifts table's secondary indexes dropped during the load and rebuilt after
(what a restore does), then ANALYZE (VACUUM ANALYZE on PostgreSQL). ``reuse=True`` keeps a database whose
recorded parameters match, so a second run skips the minutes of loading.

Shape (defaults): 20,000 volunteers in 200 units, 500 posts in 10 districts,
1,000,000 shifts spread over one year, mostly 07:00-19:00 local time, 30-180
minutes; about 3% pending review, 1% rejected, 1% voided, 1% auto-closed,
3% added by hand. Each volunteer serves mostly at one home post. Seeded, so
two runs build the same county.
"""
from __future__ import annotations

import json
import os
import random
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa

TZ = ZoneInfo("Asia/Shanghai")
BATCH = 50_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞宇浩然欣怡子涵思琪梓轩"
KINDS = ("intersection", "intersection", "intersection", "park", "community", "street", "other")


@dataclass(frozen=True)
class Dataset:
    url: str
    shifts: int
    volunteers: int
    units: int
    posts: int
    districts: int
    year: int
    seed: int

    @property
    def first(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last(self) -> date:
        return date(self.year, 12, 31)


def engine_for(url: str) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return sa.create_engine(url)


def generate(url: str, *, shifts: int = 1_000_000, volunteers: int = 20_000, units: int = 200, posts: int = 500,
             districts: int = 10, year: int = 2025, seed: int = 1, reuse: bool = False,
             log=print) -> Dataset:
    dataset = Dataset(url, shifts, volunteers, units, posts, districts, year, seed)
    if reuse and _recorded(url) == _params(dataset):
        log(f"reusing {shifts:,} shifts in {_safe(url)}")
        return dataset
    began = time.perf_counter()
    _fresh_schema(url)
    engine = engine_for(url)
    rng = random.Random(seed)
    with engine.begin() as conn:
        _org(conn, dataset, rng)
    log(f"schema and people ready in {time.perf_counter() - began:.1f}s; loading {shifts:,} shifts")
    indexes = _drop_shift_indexes(engine)
    _load_shifts(engine, dataset, rng, log)
    log(f"rebuilding {len(indexes)} indexes")
    with engine.begin() as conn:
        for statement in indexes:
            conn.exec_driver_sql(statement)
    _vacuum_analyze(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS bench_meta (k VARCHAR(32) PRIMARY KEY, v TEXT)")
        conn.exec_driver_sql("DELETE FROM bench_meta")
        conn.execute(sa.text("INSERT INTO bench_meta (k, v) VALUES ('params', :v)"), {"v": _params(dataset)})
    engine.dispose()
    log(f"dataset ready in {time.perf_counter() - began:.1f}s")
    return dataset


def _vacuum_analyze(engine: sa.Engine) -> None:
    """Statistics for the planner, and on PostgreSQL the visibility map that index-only
    scans need: what autovacuum does a while after a bulk load, done now."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE")


def _safe(url: str) -> str:
    return url.split("@")[-1]


def _params(dataset: Dataset) -> str:
    params = asdict(dataset)
    params.pop("url")
    return json.dumps(params, sort_keys=True)


def _recorded(url: str) -> str | None:
    try:
        engine = engine_for(url)
        with engine.connect() as conn:
            value = conn.exec_driver_sql("SELECT v FROM bench_meta WHERE k = 'params'").scalar()
        engine.dispose()
        return value
    except sa.exc.SQLAlchemyError:
        return None


def _fresh_schema(url: str) -> None:
    """An empty database migrated to every head, as the app would have it."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        for suffix in ("", "-wal", "-shm", ".writelock"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
    else:
        _create_postgres_database(url)
        engine = engine_for(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        engine.dispose()
    from flask_migrate import upgrade

    from server import create_app
    from server.db import db

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench-secret-key-long-enough"})
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()


def _create_postgres_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    admin = engine_for(base + "/postgres").execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first()
        if exists is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()


def _utc_naive(local: datetime) -> datetime:
    return local.replace(tzinfo=TZ).astimezone(timezone.utc).replace(tzinfo=None)


def _org(conn, ds: Dataset, rng: random.Random) -> None:
    now = datetime(ds.year, 1, 1)
    conn.execute(sa.text("INSERT INTO districts (id, name, created_at) VALUES (:id, :name, :at)"),
                 [{"id": i, "name": f"第{i}片区", "at": now} for i in range(1, ds.districts + 1)])
    conn.execute(sa.text("INSERT INTO units (id, name, created_at) VALUES (:id, :name, :at)"),
                 [{"id": i, "name": f"县直单位{i:03d}", "at": now} for i in range(1, ds.units + 1)])
    conn.execute(sa.text(
        "INSERT INTO posts (id, code, name, kind, district_id, latitude, longitude, radius_m, active, qr_version,"
        " created_at) VALUES (:id, :code, :name, :kind, :district, :lat, :lng, 100, :active, 1, :at)"),
        [{"id": i, "code": f"P{i:04d}", "name": f"岗位{i:03d}号路口", "kind": KINDS[i % len(KINDS)],
          "district": (i - 1) % ds.districts + 1, "lat": 29.2 + rng.random() / 10, "lng": 117.8 + rng.random() / 10,
          "active": True, "at": now} for i in range(1, ds.posts + 1)])
    people = []
    for i in range(1, ds.volunteers + 1):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        people.append({"id": i, "openid": f"bench-{i}", "username": None, "name": name, "phone": f"139{i:08d}",
                       "unit": (i - 1) % ds.units + 1, "role": "volunteer", "su": None, "sd": None, "at": now})
    next_id = ds.volunteers + 1
    for unit in range(1, ds.units + 1):
        people.append({"id": next_id, "openid": None, "username": f"unit{unit}", "name": f"单位{unit}协调员",
                       "phone": None, "unit": None, "role": "coordinator", "su": unit, "sd": None, "at": now})
        next_id += 1
    for district in range(1, ds.districts + 1):
        people.append({"id": next_id, "openid": None, "username": f"district{district}",
                       "name": f"片区{district}协调员", "phone": None, "unit": None, "role": "coordinator",
                       "su": None, "sd": district, "at": now})
        next_id += 1
    for role in ("leader", "admin"):
        people.append({"id": next_id, "openid": None, "username": role, "name": role, "phone": None, "unit": None,
                       "role": role, "su": None, "sd": None, "at": now})
        next_id += 1
    conn.execute(sa.text(
        "INSERT INTO users (id, openid, username, name, phone, unit_id, role, scope_unit_id, scope_district_id,"
        " status, registered_at, created_at) VALUES (:id, :openid, :username, :name, :phone, :unit, :role, :su,"
        " :sd, 'active', :registered, :at)"),
        [{**p, "registered": p["at"] if p["role"] == "volunteer" else None} for p in people])
    if conn.dialect.name == "postgresql":
        for table in ("districts", "units", "posts", "users"):
            conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


SHIFT_COLUMNS = ("volunteer_id", "unit_id", "post_id", "status", "source", "started_at", "ended_at", "local_date",
                 "credited_minutes", "persuasions", "flags", "review_state", "original_minutes")


def _shift_rows(ds: Dataset, rng: random.Random, count: int):
    """Rows for the shifts table, in batches; started_at/ended_at naive UTC as the app stores them."""
    home = [rng.randint(1, ds.posts) for _ in range(ds.volunteers + 1)]
    days = (ds.last - ds.first).days + 1
    batch = []
    for _ in range(count):
        volunteer = rng.randint(1, ds.volunteers)
        post = home[volunteer] if rng.random() < 0.8 else rng.randint(1, ds.posts)
        day = ds.first + timedelta(days=rng.randrange(days))
        local_start = datetime(day.year, day.month, day.day, rng.choice((7, 7, 8, 11, 12, 17, 18)),
                               rng.randrange(60))
        minutes = rng.randint(30, 180)
        started = _utc_naive(local_start)
        status, review, source, credited, flags, original = "closed", "none", "scan", minutes, "[]", None
        roll = rng.random()
        if roll < 0.03:
            review, flags = "pending", '["outside_geofence_end"]'
        elif roll < 0.04:
            review, credited, original = "rejected", 0, minutes
        elif roll < 0.05:
            status = "voided"
        elif roll < 0.06:
            status, review, flags, credited = "auto_closed", "approved", '["auto_closed"]', 0
            minutes = 240
        elif roll < 0.09:
            source, review, flags = "manual", "approved", '["manual"]'
        elif roll < 0.10:
            review, credited, original = "adjusted", max(0, minutes - 20), minutes
        batch.append((volunteer, (volunteer - 1) % ds.units + 1, post, status, source, started,
                      started + timedelta(minutes=minutes), day, credited, rng.randrange(40), flags, review,
                      original))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _drop_shift_indexes(engine: sa.Engine) -> list[str]:
    """Drop the shifts table's secondary indexes, returning the statements that rebuild them."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'shifts' "
                "AND sql IS NOT NULL").all()
        else:
            rows = conn.exec_driver_sql(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'shifts' "
                "AND i.schemaname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                "WHERE c.conname = i.indexname)").all()
        for name, _ in rows:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [statement for _, statement in rows]


def _load_shifts(engine: sa.Engine, ds: Dataset, rng: random.Random, log) -> None:
    loaded = 0
    columns = ", ".join(SHIFT_COLUMNS)
    with engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        cursor = raw.cursor()
        if conn.dialect.name == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
            marks = ", ".join("?" * len(SHIFT_COLUMNS))
            statement = f"INSERT INTO shifts ({columns}) VALUES ({marks})"
            for batch in _shift_rows(ds, rng, ds.shifts):
                cursor.executemany(statement, [_sqlite_row(r) for r in batch])
                loaded += len(batch)
                if loaded % 200_000 == 0:
                    log(f"  {loaded:,}")
        else:
            with cursor.copy(f"COPY shifts ({columns}) FROM STDIN") as copy:
                for batch in _shift_rows(ds, rng, ds.shifts):
                    for row in batch:
                        copy.write_row(row)
                    loaded += len(batch)
                    if loaded % 200_000 == 0:
                        log(f"  {loaded:,}")
        cursor.close()


def _sqlite_row(row: tuple) -> tuple:
    """SQLAlchemy's SQLite text formats for DATETIME and DATE, which the app reads back."""
    (volunteer, unit, post, status, source, started, ended, day, credited, persuasions, flags, review,
     original) = row
    return (volunteer, unit, post, status, source, started.strftime("%Y-%m-%d %H:%M:%S.000000"),
            ended.strftime("%Y-%m-%d %H:%M:%S.000000"), day.isoformat(), credited, persuasions, flags, review,
            original)
