"""Trust of the record, for leaders: how many of a period's scanned shifts carry a sign that they
were not earned at the post (location signals, presence checks, stricter post settings), as
rates by unit, by post and by volunteer, with the volunteers whose shifts were flagged most.

A rate, not a count: a large unit has more flagged shifts simply by serving more. Scope comes
from server/permissions.py inside the query (a coordinator sees the shifts of their unit or
district); volunteers may not see it.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

import sqlalchemy as sa

from server import permissions
from server.callers import Caller
from server.checkin import location_signals, post_rules
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
    query = (sa.select(s.id, s.unit_id, s.post_id, s.volunteer_id, s.flags)
             .where(s.local_date >= first, s.local_date <= last, s.source == "scan", s.status != "voided"))
    if caller is not None:
        query = query.where(permissions.shift_filter(caller))
    rows = db.session.execute(query).all()
    by = {"unit": defaultdict(_Tally), "post": defaultdict(_Tally), "volunteer": defaultdict(_Tally)}
    total = _Tally()
    for row in rows:
        flags = [flag for flag in (row.flags or []) if flag in TRUST_FLAGS]
        for tally in (total, by["unit"][row.unit_id], by["post"][row.post_id], by["volunteer"][row.volunteer_id]):
            tally.add(flags)
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


class _Tally:
    __slots__ = ("shifts", "flagged", "flags")

    def __init__(self) -> None:
        self.shifts, self.flagged, self.flags = 0, 0, Counter()

    def add(self, flags: list[str]) -> None:
        self.shifts += 1
        if flags:
            self.flagged += 1
            self.flags.update(flags)

    def json(self) -> dict:
        return {"shifts": self.shifts, "flagged": self.flagged,
                "rate": round(self.flagged / self.shifts, 4) if self.shifts else 0.0,
                "by_flag": dict(self.flags.most_common())}


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
