"""The coordinator's daily digest: late, missed and auto-closed shifts of one day.

As JSON for programs and as plain Chinese text to paste into a work chat
(企业微信/钉钉 group), which renders no markup: numbered lines only.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from server import permissions
from server.duty import coverage
from server.duty import late_missed
from server.callers import Caller
from server.clock import local_iso, weekday_name
from server.db import db
from server.models import Post, Shift, Unit, User

s = Shift.__table__.c


def daily(caller: Caller | None, day: date, now: datetime, tz, late_after: timedelta) -> dict:
    """``caller=None`` is the whole county (the command office's digest)."""
    slot_rows = coverage.slots(caller, day, day)
    unit_id = caller.scope_unit_id if caller is not None and caller.role == "coordinator" else None
    checked = late_missed.attendance(late_missed.assignments(slot_rows, unit_id=unit_id), now, late_after)
    late = [_pair(row, tz) for row in checked if row["state"] == "late"]
    missed = [_pair(row, tz) for row in checked if row["state"] == "missed"]
    auto = _auto_closed(caller, day, tz)
    digest = {"date": day.isoformat(), "generated_at": local_iso(now, tz), "late": late, "missed": missed,
              "auto_closed": auto,
              "counts": {"assigned": len(checked), "late": len(late), "missed": len(missed),
                         "auto_closed": len(auto)}}
    digest["text"] = text(digest, day)
    return digest


def _pair(row: dict, tz) -> dict:
    slot = row["slot"]
    return {"volunteer": {"id": row["volunteer_id"], "name": row["name"]},
            "unit": {"id": row["unit_id"], "name": row["unit_name"]} if row["unit_id"] else None,
            "post": {"id": slot["post_id"], "code": slot["post_code"], "name": slot["post_name"]},
            "slot": {"id": slot["id"], "starts_at": local_iso(slot["starts_at"], tz),
                     "ends_at": local_iso(slot["ends_at"], tz), "time": _span(slot, tz)},
            "arrived_at": local_iso(row["arrived_at"], tz), "late_minutes": row["late_minutes"]}


def _auto_closed(caller: Caller | None, day: date, tz) -> list[dict]:
    query = (sa.select(s.id, s.volunteer_id, s.started_at, s.ended_at, User.name, Unit.name.label("unit_name"),
                       Post.name.label("post_name"), Post.code.label("post_code"))
             .join(User, User.id == s.volunteer_id).join(Post, Post.id == s.post_id)
             .outerjoin(Unit, Unit.id == s.unit_id)
             .where(s.local_date == day, s.status == "auto_closed").order_by(s.started_at))
    if caller is not None:
        query = query.where(permissions.shift_filter(caller))
    return [{"shift_id": row.id, "volunteer": {"id": row.volunteer_id, "name": row.name},
             "unit_name": row.unit_name, "post": {"code": row.post_code, "name": row.post_name},
             "started_at": local_iso(row.started_at, tz), "ended_at": local_iso(row.ended_at, tz)}
            for row in db.session.execute(query)]


def _span(slot: dict, tz) -> str:
    return f"{slot['starts_at'].astimezone(tz):%H:%M}-{slot['ends_at'].astimezone(tz):%H:%M}"


def text(digest: dict, day: date) -> str:
    lines = [f"【红马甲每日通报】{day.year}年{day.month}月{day.day}日（星期{weekday_name(day)}）"]
    counts = digest["counts"]
    lines.append(f"排班 {counts['assigned']} 人次，迟到 {counts['late']} 人次，缺岗 {counts['missed']} 人次，"
                 f"未扫码下岗 {counts['auto_closed']} 条。")
    if digest["late"]:
        lines.append("一、迟到")
        for n, row in enumerate(digest["late"], 1):
            arrived = "至今未到岗" if row["arrived_at"] is None else f"迟到 {row['late_minutes']} 分钟"
            lines.append(f"{n}. {_who(row)} {row['post']['name']} {row['slot']['time']}，{arrived}")
    if digest["missed"]:
        lines.append("二、缺岗")
        for n, row in enumerate(digest["missed"], 1):
            lines.append(f"{n}. {_who(row)} {row['post']['name']} {row['slot']['time']}，未到岗")
    if digest["auto_closed"]:
        lines.append("三、未扫码下岗（系统自动结束，时长待审核）")
        for n, row in enumerate(digest["auto_closed"], 1):
            unit = f"（{row['unit_name']}）" if row["unit_name"] else ""
            lines.append(f"{n}. {row['volunteer']['name']}{unit} {row['post']['name']} "
                         f"{row['started_at'][11:16]} 上岗")
    if not (digest["late"] or digest["missed"] or digest["auto_closed"]):
        lines.append("全部按时到岗，无异常。")
    return "\n".join(lines)


def _who(row: dict) -> str:
    unit = f"（{row['unit']['name']}）" if row["unit"] else ""
    return f"{row['volunteer']['name']}{unit}"
