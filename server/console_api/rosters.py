"""Rosters: slots one by one, as a weekly pattern, from a sheet; assigning volunteers."""
from __future__ import annotations

from datetime import date, timedelta

from flask import request

from server import callers
from server.duty import roster_import
from server.duty import roster_json
from server.duty import roster_queries
from server.duty import rosters
from server.clock import county_zone, local_date, utcnow
from server.console_api import bp
from server.errors import ApiError, NotFound, ValidationError
from server.inputs import date_field, integer, json_body, query_date, query_int, string

_ID_MAX = 2**31 - 1
MAX_PATTERN_DAYS = 366


def _clock(body: dict, field: str, label: str):
    raw = string(body, field, max_length=8, label=label)
    try:
        return rosters.parse_clock(raw)
    except ValueError:
        raise ValidationError(f"{label}应为时刻，如 07:30", field=field)


def _volunteer_ids(body: dict) -> tuple[int, ...]:
    ids = body.get("volunteer_ids") or []
    if not isinstance(ids, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in ids):
        raise ValidationError("volunteer_ids 应为志愿者编号的数组", field="volunteer_ids")
    return tuple(ids)


def _common(body: dict) -> dict:
    return dict(
        post_id=integer(body, "post_id", low=1, high=_ID_MAX, label="岗位") or _missing("post_id", "岗位"),
        start=_clock(body, "start", "开始时间"),
        end=_clock(body, "end", "结束时间"),
        needed=integer(body, "needed", low=1, high=50, default=None, label="需要人数"),
        unit_id=integer(body, "unit_id", low=1, high=_ID_MAX, label="单位"),
        volunteer_ids=_volunteer_ids(body),
        note=string(body, "note", max_length=200, required=False, label="备注", multiline=True),
    )


def _missing(field: str, label: str):
    raise ValidationError(f"缺少{label}", field=field)


def _spec(common: dict, day: date) -> rosters.SlotSpec:
    needed = common["needed"] or max(1, len(common["volunteer_ids"]))
    return rosters.SlotSpec(local_date=day, **{**common, "needed": needed})


def _refused(err: rosters.PlanRefused, labels: list[str], *, single: bool) -> ApiError:
    """One slot: its first problem as a plain error (out of scope is 404). Several: all, by date."""
    if single:
        first = err.problems[0]
        if first.code == "NOT_FOUND":
            return NotFound(first.message)
        status = 409 if first.code in ("DOUBLE_BOOKED", "DUPLICATE_SLOT") else 422
        return ApiError(first.message, code=first.code, status=status, field=first.field, **first.details)
    return ApiError(f"{len({p.index for p in err.problems})} 个时段有问题，未保存任何排班", code="ROSTER_REFUSED",
                    status=422, problems=[{"date": labels[p.index], "field": p.field, "code": p.code,
                                           "reason": p.message, **p.details} for p in err.problems])


def _created(ids: list[int]) -> dict:
    caller, tz = callers.current(), county_zone()
    slots = [rosters.get(caller, slot_id) for slot_id in ids]
    assigned = roster_queries.assignees(ids)
    return {"items": [roster_json.slot(s, tz, assigned=assigned.get(s.id, [])) for s in slots]}


@bp.post("/slots")
def create_slot():
    body = json_body()
    spec = _spec(_common(body), date_field(body, "date", label="日期"))
    try:
        ids = rosters.plan(callers.current(), [spec], utcnow(), county_zone())
    except rosters.PlanRefused as err:
        raise _refused(err, [spec.local_date.isoformat()], single=True)
    return _created(ids)["items"][0], 201


@bp.post("/slots/weekly")
def create_weekly():
    """The same slot on chosen weekdays (1 = Monday … 7 = Sunday) from one date to another."""
    body = json_body()
    common = _common(body)
    first, last = date_field(body, "from", label="开始日期"), date_field(body, "to", label="结束日期")
    if last < first:
        raise ValidationError("结束日期不能早于开始日期", field="to")
    if (last - first).days >= MAX_PATTERN_DAYS:
        raise ValidationError(f"周期最长 {MAX_PATTERN_DAYS} 天", field="to")
    weekdays = body.get("weekdays") or [1, 2, 3, 4, 5, 6, 7]
    if not isinstance(weekdays, list) or not all(isinstance(d, int) and 1 <= d <= 7 for d in weekdays):
        raise ValidationError("weekdays 应为 1～7 的数组（1 为星期一）", field="weekdays")
    days = rosters.weekly(first, last, set(weekdays))
    if not days:
        raise ValidationError("所选日期范围内没有所选的星期", field="weekdays")
    specs = [_spec(common, day) for day in days]
    try:
        ids = rosters.plan(callers.current(), specs, utcnow(), county_zone())
    except rosters.PlanRefused as err:
        raise _refused(err, [d.isoformat() for d in days], single=False)
    return {"created": len(ids), **_created(ids)}, 201


@bp.post("/slots/import")
def import_slots():
    """A CSV or XLSX sheet in the multipart field ``file``; ``?dry_run=1`` only checks it."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError("请上传排班表（字段 file）", field="file")
    data = upload.read(roster_import.MAX_BYTES + 1)
    dry_run = request.args.get("dry_run") in ("1", "true", "yes")
    result = roster_import.import_sheet(callers.current(), data, utcnow(), county_zone(), dry_run=dry_run)
    return result, 200 if dry_run else 201


@bp.get("/slots")
def list_slots():
    tz = county_zone()
    today = local_date(utcnow(), tz)
    first = query_date("from") or today
    last = query_date("to") or first + timedelta(days=6)
    if last < first or (last - first).days > 62:
        raise ValidationError("日期范围应在 62 天以内，且开始不晚于结束", field="to")
    slots = roster_queries.slots_between(
        callers.current(), first, last, post_id=query_int("post_id", low=1, high=_ID_MAX, default=None),
        district_id=query_int("district_id", low=1, high=_ID_MAX, default=None))
    assigned = roster_queries.assignees([s.id for s in slots])
    return {"from": first.isoformat(), "to": last.isoformat(),
            "items": [roster_json.slot(s, tz, assigned=assigned.get(s.id, [])) for s in slots]}


@bp.get("/slots/<int:slot_id>")
def get_slot(slot_id: int):
    slot = rosters.get(callers.current(), slot_id)
    return roster_json.slot(slot, county_zone(), assigned=roster_queries.assignees([slot_id]).get(slot_id, []))


@bp.delete("/slots/<int:slot_id>")
def delete_slot(slot_id: int):
    rosters.delete(callers.current(), slot_id, utcnow())
    return "", 204


@bp.post("/slots/<int:slot_id>/assignments")
def assign(slot_id: int):
    body = json_body()
    volunteer_id = integer(body, "volunteer_id", low=1, high=_ID_MAX, label="志愿者") \
        or _missing("volunteer_id", "志愿者")
    rosters.assign(callers.current(), slot_id, volunteer_id, utcnow())
    return get_slot(slot_id), 201


@bp.delete("/slots/<int:slot_id>/assignments/<int:volunteer_id>")
def unassign(slot_id: int, volunteer_id: int):
    rosters.unassign(callers.current(), slot_id, volunteer_id, utcnow())
    return "", 204
