"""Benchmark sections for duty queries and coverage, run by bench/reports.py on its data set.

    .venv/bin/python bench/reports.py --database sqlite|postgresql [--reuse]   (all sections)
    .venv/bin/python bench/duty.py    --database sqlite|postgresql [--reuse]   (only these)

Adds to the last-line JSON:

- ``duty_at_ms``: who was on duty at a post at an instant (random posts and instants of the year);
- ``duty_day_ms``: a post's day timeline; ``duty_served_ms``: where a volunteer served in a month;
- ``duty_at_coordinator_ms``: duty_at for a unit coordinator (scope checked in the query);
- ``duty_now_ms``: the board of who is on duty now, with ~300 people on duty and 100 slots running;
- ``coverage_month_ms``: a month's coverage of 100 posts (3 slots a day each, 9,000 slots).

The last two stand beside their floors (``duty_now_floor_ms``, ``coverage_month_floor_ms`` and
the ``_ratio`` of each; bench/floors.py): the same question as one hand-written SQL statement
through the bare driver. For the board: the open shifts with their people, units, posts and
latest photo, and the slots running now with their posts and the people assigned. For coverage:
each slot's covered person-minutes, the sweep of min(needed, people present) over the shifts
at its post, one person counted once where their records overlap, and the first arrival,
done in window functions. (Like the app's, its shifts are those started within
LONG_SHIFT_HOURS before a slot; the app also reads the rare longer ones, which this data set
has none of.)

The data set has no rosters and nobody on duty now, so this adds them: slots for
100 posts through June of the data set's year, and open shifts (marked with
client_request_id "bench-now-…", replaced on every run so "now" is now) with
slots running now. Neither touches the hour reports: open shifts credit
nothing and lie outside the data set's year.
"""
from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import floors  # noqa: E402

COVERED_POSTS = 100
SLOT_TIMES = (((7, 0), (9, 0), 2), ((11, 30), (13, 30), 1), ((17, 0), (19, 0), 2))
ON_DUTY_NOW = 300
QUERIES = 200


def _median_each_ms(calls: list, warm: int = 20) -> float:
    for call in calls[:warm]:
        call()
    times = []
    for call in calls:
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 3)


def _month(ctx) -> tuple[date, date]:
    return date(ctx.dataset.year, 6, 1), date(ctx.dataset.year, 6, 30)


def _ensure_june_slots(ctx) -> int:
    """9,000 slots at posts 1..100 through June; kept between runs."""
    from server.clock import county_zone
    from server.db import db
    from server.models import DutySlot

    first, last = _month(ctx)
    slots_t = DutySlot.__table__
    have = db.session.execute(sa.select(sa.func.count()).select_from(slots_t).where(
        slots_t.c.local_date >= first, slots_t.c.local_date <= last)).scalar_one()
    if have:
        return have
    tz, rows, created = county_zone(), [], datetime.now(timezone.utc)
    day = first
    while day <= last:
        for post_id in range(1, COVERED_POSTS + 1):
            for (h1, m1), (h2, m2), needed in SLOT_TIMES:
                starts = datetime(day.year, day.month, day.day, h1, m1, tzinfo=tz).astimezone(timezone.utc)
                ends = datetime(day.year, day.month, day.day, h2, m2, tzinfo=tz).astimezone(timezone.utc)
                rows.append({"post_id": post_id, "unit_id": (post_id - 1) % ctx.dataset.units + 1,
                             "local_date": day, "starts_at": starts, "ends_at": ends, "needed": needed,
                             "created_at": created})
        day += timedelta(days=1)
    db.session.execute(sa.insert(slots_t), rows)
    db.session.commit()
    return len(rows)


def _people_on_duty_now(ctx, now: datetime) -> None:
    """~300 open shifts started in the last three hours, and a slot now at each of 100 posts."""
    from server.clock import county_zone, local_date
    from server.db import db
    from server.models import DutySlot, Shift

    shifts_t, slots_t = Shift.__table__, DutySlot.__table__
    db.session.execute(sa.delete(shifts_t).where(shifts_t.c.client_request_id.like("bench-now-%")))
    today = local_date(now, county_zone())
    db.session.execute(sa.delete(slots_t).where(slots_t.c.local_date >= today - timedelta(days=1),
                                                slots_t.c.note == "bench-now"))
    rng = random.Random(7)
    volunteers = rng.sample(range(1, ctx.dataset.volunteers + 1), ON_DUTY_NOW)
    db.session.execute(sa.insert(shifts_t), [{
        "volunteer_id": v, "unit_id": (v - 1) % ctx.dataset.units + 1,
        "post_id": rng.randint(1, ctx.dataset.posts), "status": "open", "source": "scan",
        "started_at": now - timedelta(minutes=rng.randint(1, 180)), "local_date": today, "credited_minutes": 0,
        "persuasions": 0, "flags": [], "review_state": "none", "client_request_id": f"bench-now-{v}"}
        for v in volunteers])
    db.session.execute(sa.insert(slots_t), [{
        "post_id": post_id, "unit_id": None, "local_date": today, "starts_at": now - timedelta(minutes=30),
        "ends_at": now + timedelta(minutes=90), "needed": 2, "note": "bench-now", "created_at": now}
        for post_id in range(1, COVERED_POSTS + 1)])
    db.session.commit()


def duty(ctx) -> dict:
    from server.duty import on_duty as duty_service
    from server.callers import Caller
    from server.clock import county_zone, day_bounds

    tz, rng = county_zone(), random.Random(3)
    now = datetime.now(timezone.utc)
    year = ctx.dataset.year
    coordinator = Caller(0, "coordinator", "active", False, None, 1, None, "bench")

    def instant() -> datetime:
        day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
        return datetime(day.year, day.month, day.day, rng.randint(6, 19), rng.randrange(60),
                        rng.randrange(60), tzinfo=tz).astimezone(timezone.utc)

    probes = [(rng.randint(1, ctx.dataset.posts), instant()) for _ in range(QUERIES)]
    found = [len(duty_service.at_post(ctx.leader, p, at, now)["shifts"]) for p, at in probes[:50]]
    at_ms = _median_each_ms([lambda p=p, at=at: duty_service.at_post(ctx.leader, p, at, now) for p, at in probes])
    # A unit coordinator asks about posts its unit served at (home posts: 80% of its people's shifts).
    own = [(p, at) for p, at in probes if _served(p, 1)][:QUERIES // 2] or probes[:1]
    coordinator_ms = _median_each_ms(
        [lambda p=p, at=at: duty_service.at_post(coordinator, p, at, now) for p, at in own], warm=5)
    day_ms = _median_each_ms([lambda p=p, at=at: duty_service.day_at_post(
        ctx.leader, p, at.astimezone(tz).date(), now, tz) for p, at in probes[:100]])
    served = []
    for _ in range(100):
        volunteer, month = rng.randint(1, ctx.dataset.volunteers), rng.randint(1, 12)
        first, _ = day_bounds(date(year, month, 1), date(year, month, 1), tz)
        served.append(lambda v=volunteer, f=first: duty_service.served_by(ctx.leader, v, f, f + timedelta(days=31),
                                                                          now))
    served_ms = _median_each_ms(served)
    return {"duty_at_ms": at_ms, "duty_at_found_avg": round(sum(found) / len(found), 2),
            "duty_at_coordinator_ms": coordinator_ms, "duty_day_ms": day_ms, "duty_served_ms": served_ms}


def _served(post_id: int, unit_id: int) -> bool:
    from server.db import db
    from server.models import Shift

    return db.session.execute(sa.select(Shift.id).where(Shift.post_id == post_id, Shift.unit_id == unit_id)
                              .limit(1)).first() is not None


# The open shifts through the (status, start) index, as a subquery: written as a join condition,
# SQLite's planner starts from the users and walks every one of them (seconds, not milliseconds).
DUTY_NOW_SQL = """
SELECT 'shift', s.id, s.post_id, s.volunteer_id, s.unit_id, s.started_at, NULL, s.source, u.name, un.name,
       p.code, p.name, p.district_id, ph.id, ph.sha256, ph.kind, ph.width, ph.height, ph.bytes, ph.captured_at
FROM shifts s
JOIN users u ON u.id = s.volunteer_id
JOIN posts p ON p.id = s.post_id
LEFT JOIN units un ON un.id = s.unit_id
LEFT JOIN photos ph ON ph.id = (SELECT max(id) FROM photos WHERE shift_id = s.id)
WHERE s.id IN (SELECT o.id FROM shifts o
               WHERE o.status = 'open' AND o.started_at <= :now AND o.review_state != 'rejected')
UNION ALL
SELECT 'slot', sl.id, sl.post_id, a.volunteer_id, sl.unit_id, sl.starts_at, sl.ends_at, CAST(sl.needed AS VARCHAR(8)),
       au.name, sl.note,
       p.code, p.name, p.district_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM duty_slots sl
JOIN posts p ON p.id = sl.post_id
LEFT JOIN slot_assignments a ON a.slot_id = sl.id
LEFT JOIN users au ON au.id = a.volunteer_id
WHERE sl.local_date IN (:yesterday, :today) AND sl.starts_at <= :now AND sl.ends_at > :now"""


def _stamp(ctx, instant: datetime):
    """A UTC instant as the driver compares it with stored times (naive UTC; text on SQLite)."""
    naive = instant.astimezone(timezone.utc).replace(tzinfo=None)
    return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if floors.dialect(ctx.raw) == "sqlite" else naive


def _day(ctx, day: date):
    return day.isoformat() if floors.dialect(ctx.raw) == "sqlite" else day


def duty_now(ctx) -> dict:
    from server.duty import on_duty as duty_service
    from server.clock import county_zone, local_date

    now = datetime.now(timezone.utc)
    _people_on_duty_now(ctx, now)
    tz = county_zone()
    today = local_date(now, tz)
    params = {"now": _stamp(ctx, now), "today": _day(ctx, today), "yesterday": _day(ctx, today - timedelta(days=1))}
    board = duty_service.now_board(ctx.leader, now, tz, timedelta(minutes=15))
    rows = floors.fetch(ctx.raw, DUTY_NOW_SQL, params)
    on_duty = sum(len(entry["on_duty"]) for entry in board["posts"])
    _agree("duty_now", (on_duty, sum(len(e["slots"]) for e in board["posts"])),
           (sum(1 for r in rows if r[0] == "shift"), len({r[1] for r in rows if r[0] == "slot"})))
    figures = floors.paired_each("duty_now", [(
        lambda: duty_service.now_board(ctx.leader, now, tz, timedelta(minutes=15)),
        lambda: floors.fetch(ctx.raw, DUTY_NOW_SQL, params))] * 30, warm=3)
    return {**figures, "duty_now_posts": len(board["posts"]), "duty_now_unstaffed": len(board["unstaffed"])}


# Per dialect: the later and earlier of two times, an instant 12 hours before, seconds between two times.
_SQL_TIME = {
    "sqlite": {"later": "max", "earlier": "min", "lookback": "datetime({0}, '-12 hours')",
               "seconds": "round((julianday({1}) - julianday({0})) * 86400.0, 3)"},
    "postgresql": {"later": "greatest", "earlier": "least", "lookback": "{0} - interval '12 hours'",
                   "seconds": "extract(epoch FROM {1} - {0})"},
}


def coverage_sql(dialect: str) -> str:
    t = _SQL_TIME[dialect]
    lookback = t["lookback"].format("slot.starts_at")
    seconds = t["seconds"].format("t", "next_t")
    return f"""
WITH slot AS (
  SELECT id, post_id, starts_at, ends_at, needed FROM duty_slots WHERE local_date >= :first AND local_date <= :last),
span AS (  -- each shift's part of each slot it overlaps; an open shift runs to now
  SELECT slot.id AS slot_id, slot.needed, s.volunteer_id,
         {t["later"]}(s.started_at, slot.starts_at) AS a,
         {t["earlier"]}(coalesce(s.ended_at, :now), slot.ends_at) AS b
  FROM slot JOIN shifts s ON s.post_id = slot.post_id AND s.started_at < slot.ends_at AND s.started_at > {lookback}
  WHERE s.status != 'voided' AND s.review_state != 'rejected' AND coalesce(s.ended_at, :now) > slot.starts_at),
marked AS (  -- 1 where a person's span starts apart from their earlier ones in the slot
  SELECT slot_id, needed, volunteer_id, a, b,
         CASE WHEN a <= max(b) OVER (PARTITION BY slot_id, volunteer_id ORDER BY a, b
                                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) THEN 0 ELSE 1 END AS apart
  FROM span),
island AS (
  SELECT slot_id, needed, volunteer_id, a, b,
         sum(apart) OVER (PARTITION BY slot_id, volunteer_id ORDER BY a, b ROWS UNBOUNDED PRECEDING) AS n
  FROM marked),
merged AS (SELECT slot_id, needed, min(a) AS a, max(b) AS b FROM island GROUP BY slot_id, needed, volunteer_id, n),
event AS (SELECT slot_id, needed, a AS t, 1 AS d FROM merged UNION ALL SELECT slot_id, needed, b, -1 FROM merged),
step AS (
  SELECT slot_id, needed, t, sum(d) OVER w AS present, lead(t) OVER w AS next_t
  FROM event WINDOW w AS (PARTITION BY slot_id ORDER BY t, d ROWS UNBOUNDED PRECEDING)),
covered AS (
  SELECT slot_id, min(t) AS first_arrival,
         sum(CASE WHEN present > 0 AND next_t IS NOT NULL THEN {t["earlier"]}(present, needed) * {seconds} ELSE 0 END)
           AS seconds
  FROM step GROUP BY slot_id)
SELECT slot.id, slot.needed, slot.starts_at, slot.ends_at, covered.seconds, covered.first_arrival
FROM slot LEFT JOIN covered ON covered.slot_id = slot.id"""


def coverage_month(ctx) -> dict:
    from server.duty import coverage

    slots = _ensure_june_slots(ctx)
    first, last = _month(ctx)
    now = datetime.now(timezone.utc)
    sql = coverage_sql(floors.dialect(ctx.raw))
    params = {"first": _day(ctx, first), "last": _day(ctx, last), "now": _stamp(ctx, now)}
    report = coverage.report(None, first, last, now, 5)
    floor_rows = floors.fetch(ctx.raw, sql, params)
    _agree("coverage_month", (len(report["slots"]), report["totals"]["covered_person_minutes"]),
           (len(floor_rows), sum(int(float(r[4] or 0) // 60) for r in floor_rows)))
    # 15 turns, not 5: with five, one burst of load elsewhere on a shared machine moved the median
    # (a run on PostgreSQL gave 1.57 where the runs either side gave 1.20 and 1.24).
    figures = floors.paired("coverage_month", lambda: coverage.report(None, first, last, now, 5),
                            lambda: floors.fetch(ctx.raw, sql, params), 15)
    totals = report["totals"]
    return {**figures, "coverage_month_slots": slots, "coverage_month_posts": len(report["posts"]),
            "coverage_month_share": totals["share"], "coverage_month_missed": totals["missed"]}


def _agree(name: str, app, floor) -> None:
    if app != floor:
        raise SystemExit(f"{name}: the app and its floor disagree: {app} != {floor}")


SECTIONS = [duty, duty_now, coverage_month]


if __name__ == "__main__":
    from bench import reports

    reports.SECTIONS[:] = SECTIONS
    reports.main()
