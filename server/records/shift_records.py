"""Shift-by-shift records for the console and its exports (the 办法 Art 7 service record).

Each record carries what Art 7 asks of a service record: the activity (from
the post's kind), the date, the place (the post), the content, the hours,
the organising unit (the volunteer's unit at the time) and the person in
charge (the coordinator of the post's district, else of the unit); and
whether the minutes came from scans or were added by hand. Rows stream from
the database cursor; nothing is collected in a list.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Iterator

import sqlalchemy as sa

from server import permissions
from server.driver_rows import utc_from_naive as utc
from server.checkin import hours as rules
from server.callers import Caller
from server.clock import county_zone, day_bounds, local_iso
from server.db import db
from server.models import District, GroupCheckin, Post, Shift, Unit, User
from server.records.reports import Filters, check_filters, shift_conditions
from server.checkin.serialize import mask_phone

s = Shift.__table__.c
shifts_t, posts_t, units_t, users_t, districts_t = (
    Shift.__table__, Post.__table__, Unit.__table__, User.__table__, District.__table__)
groups_t, leaders_t = GroupCheckin.__table__, User.__table__.alias("leader")

STATUS_LABELS = {"open": "进行中", "closed": "已结束", "auto_closed": "未下岗自动结束", "voided": "已作废"}
REVIEW_LABELS = {"none": "无需审核", "pending": "待审核", "approved": "已通过", "adjusted": "已调整",
                 "rejected": "已驳回"}
SOURCE_LABELS = {"scan": "扫码", "manual": "补录", "leader": "岗长代签"}
FLAG_LABELS = {
    "too_short": "时长不足", "capped": "超过上限已封顶", "auto_closed": "未下岗自动结束",
    "outside_geofence_end": "下岗时不在岗位范围", "photo_reused": "照片重复使用",
    "photo_time_mismatch": "照片时间不符", "no_photo": "缺少照片", "manual": "补录",
    "correction_requested": "志愿者申请更正",
    "photo_content_risky": "照片内容存疑", "spot_check_unanswered": "督查抽查未回复",
    "spot_check_photo_not_live": "抽查照片非现场拍摄",
    "location_at_post_exact": "位置与岗位坐标完全一致", "location_repeated": "位置与另一天完全相同",
    "location_static": "上下岗位置完全不变", "location_jump": "位置跳变（超过 120 公里/小时）",
    "accuracy_implausible": "定位精度异常", "persuasions_implausible": "劝导人次不合理",
    "unrostered": "不在排班时段", "start_photo_pending": "等待上岗照片", "no_start_photo": "缺少上岗照片",
    "offline_sync": "离线扫码后补传",
    "leader_checkin": "岗长代签待核（不在排班或岗长本人班次待审）",
}

# What a post is for decides the activity (志愿服务项目) a shift served.
ACTIVITY_BY_KIND = {
    "intersection": "文明交通劝导",
    "park": "文明游园引导",
    "community": "社区文明劝导",
    "street": "市容秩序劝导",
    "other": "文明城市创建志愿服务",
}

_SPARE = timedelta(days=2)
_COLUMNS = (
    s.id, s.local_date, sa.type_coerce(s.started_at, sa.DateTime).label("started_at"),
    sa.type_coerce(s.ended_at, sa.DateTime).label("ended_at"), s.status, s.source, s.credited_minutes, s.persuasions,
    s.questionnaires, s.note, s.flags, s.review_state, s.review_reason, s.original_minutes, s.volunteer_id,
    s.unit_id, s.post_id, users_t.c.name.label("volunteer_name"), users_t.c.phone, units_t.c.name.label("unit_name"),
    posts_t.c.code.label("post_code"), posts_t.c.name.label("post_name"), posts_t.c.kind.label("post_kind"),
    posts_t.c.district_id, districts_t.c.name.label("district_name"),
    groups_t.c.leader_id, leaders_t.c.name.label("leader_name"),
)


def records(caller: Caller, first: date, last: date, filters: Filters, *, counted_only: bool = False,
            after: tuple[datetime, int] | None = None, limit: int | None = None) -> Iterator[dict]:
    """Finished shifts in the period and scope, oldest first (open shifts are not records yet).

    ``counted_only`` keeps just the shifts whose hours count (the national export);
    otherwise pending, rejected and voided ones are listed too, with their state.
    """
    check_filters(caller, filters)
    return _stream(caller, first, last, filters, counted_only, after, limit)


def _stream(caller, first, last, filters, counted_only, after, limit) -> Iterator[dict]:
    conditions = shift_conditions(caller, first, last, filters)
    # A shift's local date is the county's date of its start, so its start lies within the
    # period's bounds (two days to spare for any change of time zone). Said outright, this lets
    # the database walk the (started_at, id) index in the order asked for instead of sorting the
    # whole period first (a year: a million rows) before the first row comes out.
    since, until = day_bounds(first, last, county_zone())
    conditions += [s.started_at >= since - _SPARE, s.started_at < until + _SPARE]
    if counted_only:
        conditions += [rules.finished(Shift.__table__), s.review_state.in_(rules.COUNTED_REVIEW_STATES)]
    else:
        conditions.append(s.status != "open")
    if after is not None:
        started, shift_id = after
        conditions.append(sa.or_(s.started_at > started, sa.and_(s.started_at == started, s.id > shift_id)))
    query = (sa.select(*_COLUMNS)
             .select_from(shifts_t.join(users_t, users_t.c.id == s.volunteer_id)
                          .join(posts_t, posts_t.c.id == s.post_id)
                          .join(districts_t, districts_t.c.id == posts_t.c.district_id)
                          .outerjoin(units_t, units_t.c.id == s.unit_id)
                          .outerjoin(groups_t, groups_t.c.shift_id == s.id)
                          .outerjoin(leaders_t, leaders_t.c.id == groups_t.c.leader_id))
             .where(*conditions).order_by(s.started_at, s.id))
    if limit is not None:
        query = query.limit(limit)
    full_phone = permissions.sees_full_phone(caller)
    by_district, by_unit = people_in_charge()
    # Rows as tuples, the times read as the naive UTC they are stored as and made aware here in one
    # C call: SQLAlchemy's mappings and UTC type cost an export of 100,000 rows more than the database.
    result = db.session.execute(query.execution_options(yield_per=2000))
    keys = list(result.keys())
    for row in result:
        record = dict(zip(keys, row))
        record["started_at"], record["ended_at"] = utc(record["started_at"]), utc(record["ended_at"])
        if not full_phone:
            record["phone"] = mask_phone(record["phone"])
        record["activity"] = ACTIVITY_BY_KIND.get(record["post_kind"], ACTIVITY_BY_KIND["other"])
        record["content"] = _content(record)
        record["person_in_charge"] = by_district.get(record["district_id"]) or by_unit.get(record["unit_id"])
        yield record


def _content(record: dict) -> str:
    content = f"在{record['post_name']}开展{record['activity']}"
    if record["persuasions"]:
        content += f"，劝导不文明行为 {record['persuasions']} 人次"
    if record["questionnaires"]:
        content += f"，发放问卷 {record['questionnaires']} 份"
    return content


def people_in_charge() -> tuple[dict[int, str], dict[int, str]]:
    """The coordinator of each district (for its posts) and of each unit, the first by id."""
    rows = db.session.execute(
        sa.select(users_t.c.name, users_t.c.username, users_t.c.scope_unit_id, users_t.c.scope_district_id)
        .where(users_t.c.role == "coordinator", users_t.c.status == "active").order_by(users_t.c.id)).all()
    by_district: dict[int, str] = {}
    by_unit: dict[int, str] = {}
    for row in rows:
        name = row.name or row.username
        if row.scope_district_id is not None:
            by_district.setdefault(row.scope_district_id, name)
        if row.scope_unit_id is not None:
            by_unit.setdefault(row.scope_unit_id, name)
    return by_district, by_unit


def source_label(record: dict, labels: dict[str, str] = SOURCE_LABELS) -> str:
    """扫码, 补录, or 岗长代签：<the leader's name> for a shift a post leader started from a card."""
    if record["source"] == "leader" and record.get("leader_name"):
        return f"岗长代签：{record['leader_name']}"
    return labels.get(record["source"], record["source"])


def duration_minutes(record: dict) -> int | None:
    if record["ended_at"] is None:
        return None
    return rules.elapsed_minutes(record["started_at"], record["ended_at"])


def flag_labels(flags) -> str:
    return "、".join(FLAG_LABELS.get(f, f) for f in (flags or []))


def as_json(record: dict, tz) -> dict:
    return {
        "id": record["id"],
        "local_date": record["local_date"].isoformat(),
        "started_at": local_iso(record["started_at"], tz),
        "ended_at": local_iso(record["ended_at"], tz),
        "duration_minutes": duration_minutes(record),
        "credited_minutes": record["credited_minutes"],
        "hours": rules.as_hours(record["credited_minutes"]),
        "source": record["source"],
        "leader": ({"id": record["leader_id"], "name": record["leader_name"]}
                   if record["leader_id"] is not None else None),
        "status": record["status"],
        "persuasions": record["persuasions"],
        "questionnaires": record["questionnaires"],
        "note": record["note"],
        "flags": list(record["flags"] or []),
        "review": {"state": record["review_state"], "reason": record["review_reason"],
                   "original_minutes": record["original_minutes"]},
        "volunteer": {"id": record["volunteer_id"], "name": record["volunteer_name"], "phone": record["phone"]},
        "unit": {"id": record["unit_id"], "name": record["unit_name"]},
        "post": {"id": record["post_id"], "code": record["post_code"], "name": record["post_name"],
                 "kind": record["post_kind"]},
        "district": {"id": record["district_id"], "name": record["district_name"]},
        "activity": record["activity"],
        "content": record["content"],
        "person_in_charge": record["person_in_charge"],
    }


def local_naive(instant: datetime | None, tz) -> datetime | None:
    """Excel has no time zones: cells get the county's wall-clock time."""
    if instant is None:
        return None
    return instant.astimezone(tz).replace(tzinfo=None)


def as_export_row(record: dict, tz) -> dict:
    """Flat values for the standard CSV/XLSX layout."""
    return {
        "id": record["id"],
        "local_date": record["local_date"],
        "volunteer_name": record["volunteer_name"],
        "phone": record["phone"],
        "unit_name": record["unit_name"],
        "district_name": record["district_name"],
        "post_code": record["post_code"],
        "post_name": record["post_name"],
        "activity": record["activity"],
        "person_in_charge": record["person_in_charge"],
        "started_at": local_naive(record["started_at"], tz),
        "ended_at": local_naive(record["ended_at"], tz),
        "duration_minutes": duration_minutes(record),
        "credited_minutes": record["credited_minutes"],
        "hours": rules.as_hours(record["credited_minutes"]),
        "source": source_label(record),
        "persuasions": record["persuasions"],
        "questionnaires": record["questionnaires"],
        "status": STATUS_LABELS.get(record["status"], record["status"]),
        "review": REVIEW_LABELS.get(record["review_state"], record["review_state"]),
        "original_minutes": record["original_minutes"],
        "flags": flag_labels(record["flags"]),
        "note": record["note"],
    }
