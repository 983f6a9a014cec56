"""Shifts written straight into the database for report tests, and the test's own arithmetic.

The expected figures are computed here from the list of shifts the test made,
with the rules spelled out again in plain Python, never by calling the code
under test.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from tests import factories

TZ = ZoneInfo("Asia/Shanghai")
COUNTED = {"none", "approved", "adjusted"}


@dataclass
class Made:
    id: int
    volunteer_id: int
    unit_id: int
    post_id: int
    district_id: int
    local_date: date
    status: str
    review_state: str
    source: str
    credited: int
    persuasions: int

    @property
    def finished(self) -> bool:
        return self.status in ("closed", "auto_closed")

    @property
    def counted(self) -> bool:
        return self.finished and self.review_state in COUNTED

    @property
    def pending(self) -> bool:
        return self.finished and self.review_state == "pending"


def add_shift(volunteer, post, local_start: datetime, minutes: int, *, status: str = "closed",
              review_state: str = "none", source: str = "scan", credited: int | None = None,
              persuasions: int = 0, flags: list[str] | None = None, unit_id: int | None = None) -> Made:
    """A shift that started at ``local_start`` (naive, county time) and lasted ``minutes``."""
    started = local_start.replace(tzinfo=TZ).astimezone(timezone.utc)
    ended = None if status == "open" else started + timedelta(minutes=minutes)
    credited = minutes if credited is None else credited
    if flags is None:
        flags = ["manual"] if source == "manual" else (["too_short"] if review_state == "pending" else [])
    shift = factories.shift(volunteer, post, started, ended, tz=TZ, unit_id=unit_id or volunteer.unit_id,
                            status=status, source=source, credited_minutes=0 if status == "open" else credited,
                            persuasions=persuasions, flags=flags, review_state=review_state)
    return Made(shift.id, volunteer.id, shift.unit_id, post.id, post.district_id, local_start.date(), status,
                review_state, source, shift.credited_minutes, persuasions)


def expected(made: list[Made], key, first: date, last: date) -> dict:
    """{group key: figures} by the rules: counted vs pending apart; rejected, voided, open nowhere."""
    groups: dict = {}
    for m in made:
        if not first <= m.local_date <= last or not m.finished or m.review_state == "rejected":
            continue
        g = groups.setdefault(key(m), {"scanned_minutes": 0, "manual_minutes": 0, "shift_count": 0,
                                       "persuasions": 0, "volunteers": set(), "pending_shift_count": 0,
                                       "pending_minutes": 0})
        if m.counted:
            g["scanned_minutes" if m.source == "scan" else "manual_minutes"] += m.credited
            g["shift_count"] += 1
            g["persuasions"] += m.persuasions
            g["volunteers"].add(m.volunteer_id)
        elif m.pending:
            g["pending_shift_count"] += 1
            g["pending_minutes"] += m.credited
    for g in groups.values():
        g["volunteers"] = len(g["volunteers"])
        g["credited_minutes"] = g["scanned_minutes"] + g["manual_minutes"]
        g["hours"] = round(g["credited_minutes"] / 60, 2)
    return groups


def expected_totals(made: list[Made], first: date, last: date) -> dict:
    return expected(made, lambda m: "all", first, last).get("all") or {
        "scanned_minutes": 0, "manual_minutes": 0, "credited_minutes": 0, "hours": 0, "shift_count": 0,
        "persuasions": 0, "volunteers": 0, "pending_shift_count": 0, "pending_minutes": 0}


FIGURES = ("scanned_minutes", "manual_minutes", "credited_minutes", "hours", "shift_count", "persuasions",
           "volunteers", "pending_shift_count", "pending_minutes")


def figures(row: dict) -> dict:
    return {name: row[name] for name in FIGURES}


def build_month(county, people: dict, year: int = 2026, month: int = 11, seed: int = 5) -> list[Made]:
    """A month of shifts across both units and all three posts, with every kind of state,
    manual additions, and shifts on both sides of the month's local midnights.

    ``people``: {"a": [volunteers of unit A], "b": [volunteers of unit B]}.
    """
    rng = random.Random(seed)
    posts = [county.post_east, county.post_east2, county.post_west]
    everyone = people["a"] + people["b"]
    first = date(year, month, 1)
    made: list[Made] = []
    day = first
    while day.month == month:
        for _ in range(rng.randint(1, 4)):
            volunteer, post = rng.choice(everyone), rng.choice(posts)
            start = datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.choice([7, 8, 12, 17]),
                                                                          minutes=rng.randint(0, 50))
            minutes = rng.randint(20, 180)
            kind = rng.random()
            options = {}
            if kind < 0.08:
                options = dict(review_state="pending", credited=0, flags=["too_short"])
            elif kind < 0.13:
                options = dict(review_state="rejected", credited=0)
            elif kind < 0.17:
                options = dict(status="voided")
            elif kind < 0.22:
                options = dict(source="manual", review_state="approved")
            elif kind < 0.27:
                options = dict(review_state="adjusted", credited=max(0, minutes - 15))
            elif kind < 0.30:
                options = dict(status="auto_closed", review_state="approved", credited=minutes)
            made.append(add_shift(volunteer, post, start, minutes, persuasions=rng.randint(0, 40), **options))
        day += timedelta(days=1)
    a1, b1 = people["a"][0], people["b"][0]
    boundary = [
        # 07:30 on the 1st is still the previous day in UTC: it belongs to the 1st.
        (a1, county.post_east, datetime(year, month, 1, 7, 30), 60),
        # Started 23:30 the evening before the month: not this month, though it ends in it.
        (a1, county.post_west, datetime(year, month, 1, 0, 0) - timedelta(minutes=30), 90),
        # Started 23:50 on the last day, ends after midnight: this month.
        (b1, county.post_east2, datetime(year, month, _last_day(year, month), 23, 50), 70),
        # 00:10 on the 1st of next month (still the last day in UTC): next month.
        (b1, county.post_east, datetime(year, month, _last_day(year, month), 0, 10) + timedelta(days=1), 45),
    ]
    for volunteer, post, start, minutes in boundary:
        made.append(add_shift(volunteer, post, start, minutes, persuasions=3))
    # One open shift right now: never counted anywhere.
    made.append(add_shift(people["a"][1], county.post_east, datetime(year, month, 15, 9, 0), 0, status="open"))
    return made


def _last_day(year: int, month: int) -> int:
    return ((date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
