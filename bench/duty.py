"""Benchmark sections for duty queries and coverage, run by bench/reports.py on its data set.

    .venv/bin/python bench/reports.py --database sqlite|postgresql [--reuse]   (all sections)
    .venv/bin/python bench/duty.py    --database sqlite|postgresql [--reuse]   (only these)

Adds to the last-line JSON:

- ``duty_at_ms``: who was on duty at a post at an instant (random posts and instants of the year);
- ``duty_day_ms``: a post's day timeline; ``duty_served_ms``: where a volunteer served in a month;
- ``duty_at_coordinator_ms``: duty_at for a unit coordinator (scope checked in the query);
- ``duty_now_ms``: the board of who is on duty now, with ~300 people on duty and 100 slots running;
- ``coverage_month_ms``: a month's coverage of 100 posts (3 slots a day each, 9,000 slots).

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


def duty_now(ctx) -> dict:
    from server.duty import on_duty as duty_service
    from server.clock import county_zone

    now = datetime.now(timezone.utc)
    _people_on_duty_now(ctx, now)
    tz = county_zone()
    board = duty_service.now_board(ctx.leader, now, tz, timedelta(minutes=15))
    ms = _median_each_ms([lambda: duty_service.now_board(ctx.leader, now, tz, timedelta(minutes=15))] * 30, warm=3)
    return {"duty_now_ms": ms, "duty_now_posts": len(board["posts"]), "duty_now_unstaffed": len(board["unstaffed"])}


def coverage_month(ctx) -> dict:
    from server.duty import coverage

    slots = _ensure_june_slots(ctx)
    first, last = _month(ctx)
    now = datetime.now(timezone.utc)
    report = coverage.report(None, first, last, now, 5)
    times = []
    for _ in range(3):
        began = time.perf_counter()
        coverage.report(None, first, last, now, 5)
        times.append((time.perf_counter() - began) * 1000)
    totals = report["totals"]
    return {"coverage_month_ms": round(statistics.median(times), 1), "coverage_month_slots": slots,
            "coverage_month_posts": len(report["posts"]), "coverage_month_share": totals["share"],
            "coverage_month_missed": totals["missed"]}


SECTIONS = [duty, duty_now, coverage_month]


if __name__ == "__main__":
    from bench import reports

    reports.SECTIONS[:] = SECTIONS
    reports.main()
