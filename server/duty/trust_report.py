"""Trust of the record, for leaders: how many of a period's scanned shifts carry a sign that they
were not earned at the post (location signals, presence checks, stricter post settings), as
rates by unit, by post and by volunteer, with the volunteers whose shifts were flagged most.

A rate, not a count: a large unit has more flagged shifts simply by serving more. Scope comes
from server/permissions.py inside the query (a coordinator sees the shifts of their unit or
district); volunteers may not see it.
"""
from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import date

import sqlalchemy as sa

from server import permissions
from server.callers import Caller
from server.checkin import hours, location_signals, post_rules
from server.db import db
from server.models import Post, Shift, Unit, User

s = Shift.__table__.c
TRUST_FLAGS = frozenset(location_signals.FLAGS) | {
    post_rules.NO_START_PHOTO, "spot_check_unanswered", "spot_check_photo_not_live", "outside_geofence_end"}
TOP_VOLUNTEERS = 10


def report(caller: Caller | None, first: date, last: date, top: int = TOP_VOLUNTEERS) -> dict:
    """The period's scanned shifts and their trust flags; ``caller=None``: every row (the bulletin)."""
    if caller is not None:
        permissions.require_console(caller)
    by = {"unit": defaultdict(_Tally), "post": defaultdict(_Tally), "volunteer": defaultdict(_Tally)}
    total = _Tally()

    def tallies(row) -> tuple:
        return total, by["unit"][row.unit_id], by["post"][row.post_id], by["volunteer"][row.volunteer_id]

    scanned = [s.source == "scan"] + ([permissions.shift_filter(caller)] if caller is not None else [])
    in_period = [s.local_date >= first, s.local_date <= last, *scanned]
    for key, column in (("unit", s.unit_id), ("post", s.post_id), ("volunteer", s.volunteer_id)):
        for value, count in _finished_counts(in_period, column):
            by[key][value].shifts += count
    total.shifts = sum(tally.shifts for tally in by["unit"].values())
    still_open = _still_open(scanned, first, last)
    for row in still_open:
        for tally in tallies(row):
            tally.shifts += 1
    for row in itertools.chain(_finished_flagged(in_period), still_open):
        flags = [flag for flag in (row.flags or []) if flag in TRUST_FLAGS]
        if flags:
            for tally in tallies(row):
                tally.flag(flags)
    names = _names(by)
    volunteers = [dict(names["volunteer"].get(key, {"id": key}), **tally.json())
                  for key, tally in by["volunteer"].items()]
    return {
        "from": first.isoformat(), "to": last.isoformat(), "totals": total.json(),
        "units": _rows(by["unit"], names["unit"]),
        "posts": _rows(by["post"], names["post"]),
        "volunteers": _rows(by["volunteer"], names["volunteer"]),
        "most_flagged_volunteers": sorted((v for v in volunteers if v["flagged"]),
                                          key=lambda v: (-v["flagged"], -v["rate"], v["id"]))[:top],
    }


# The period's scanned shifts, not voided, read in three ways shaped for the indexes. A month of a
# county is ~25,000 shifts: counting them takes 11 ms on the covering report index (whose condition
# is literal SQL, which SQLite needs to use a partial index), 90 ms read from the table, and as
# many again to turn them into rows in Python; so the finished ones are counted by the database,
# their flags are read only where a flag can be, and the few still open are read whole.


def _finished_counts(in_period: list, column) -> list[tuple]:
    return db.session.execute(sa.select(column, sa.func.count()).where(*in_period, hours.finished(Shift.__table__))
                              .group_by(column)).all()


def _finished_flagged(in_period: list) -> list:
    """Only shifts that entered review can carry a trust flag: every trust flag is a review flag,
    and a shift given one gets review_state 'pending' (then approved, adjusted or rejected; back
    to 'none' only when no review flag is left: shift_flags.raise_flags, post_rules; a test holds
    the trust flags to being review flags)."""
    return db.session.execute(sa.select(s.unit_id, s.post_id, s.volunteer_id, s.flags).where(
        *in_period, hours.finished(Shift.__table__), s.review_state != "none")).all()


def _still_open(scanned: list, first: date, last: date) -> list:
    """Open shifts by the open-shift index alone, their dates checked here: given the period as
    well, SQLite walks the month's rows by another index (27 ms for a county's 4 open shifts)."""
    query = sa.select(s.unit_id, s.post_id, s.volunteer_id, s.flags, s.local_date).where(
        *scanned, sa.text("shifts.status = 'open'"))
    return [row for row in db.session.execute(query) if first <= row.local_date <= last]


class _Tally:
    __slots__ = ("shifts", "flagged", "flags")

    def __init__(self) -> None:
        self.shifts, self.flagged, self.flags = 0, 0, None  # a Counter once flagged: most never are

    def flag(self, flags: list[str]) -> None:
        self.flagged += 1
        self.flags = self.flags or Counter()
        self.flags.update(flags)

    def json(self) -> dict:
        return {"shifts": self.shifts, "flagged": self.flagged,
                "rate": round(self.flagged / self.shifts, 4) if self.shifts else 0.0,
                "by_flag": dict(self.flags.most_common()) if self.flags else {}}


def _rows(tallies: dict, names: dict) -> list[dict]:
    rows = [dict(names.get(key, {"id": key}), **tally.json()) for key, tally in tallies.items()]
    return sorted(rows, key=lambda row: (-row["rate"], -row["flagged"], str(row.get("name") or "")))


def _names(by: dict) -> dict:
    def lookup(model, ids, *columns):
        ids = [i for i in ids if i is not None]
        if not ids:
            return {}
        return {row.id: {"id": row.id, **{c: getattr(row, c) for c in columns}}
                for row in db.session.execute(sa.select(model.id, *(getattr(model, c) for c in columns))
                                              .where(model.id.in_(ids)))}
    units = lookup(Unit, by["unit"], "name")
    units[None] = {"id": None, "name": "未分配单位"}
    return {"unit": units, "post": lookup(Post, by["post"], "code", "name"),
            "volunteer": lookup(User, by["volunteer"], "name")}


def unit_line(row: dict) -> str:
    """A unit's line in the weekly bulletin."""
    return (f"{row['name']}：扫码上岗 {row['shifts']} 人次，存疑 {row['flagged']} 人次（{row['rate'] * 100:.1f}%）"
            + (f"，主要为{_top_flag(row)}" if row["flagged"] else ""))


LABELS = {
    "location_at_post_exact": "位置与岗位坐标完全一致", "location_repeated": "位置与另一天完全相同",
    "location_static": "上下岗位置完全不变", "location_jump": "位置跳变", "accuracy_implausible": "定位精度异常",
    "persuasions_implausible": "劝导人次不合理", "unrostered": "不在排班时段", "no_start_photo": "缺少上岗照片",
    "spot_check_unanswered": "抽查未回复", "spot_check_photo_not_live": "抽查照片非现场拍摄",
    "outside_geofence_end": "下岗时不在岗位范围",
}


def _top_flag(row: dict) -> str:
    flag = next(iter(row["by_flag"]))
    return LABELS.get(flag, flag)
