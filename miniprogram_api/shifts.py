from __future__ import annotations

from flask import current_app

from miniprogram_api import bp
from server import callers
from server.checkin import serialize
from server.evidence import photos
from server.checkin import shift_reads, shifts
from server.clock import county_zone, parse_instant, utcnow
from server.errors import ApiError, ValidationError
from server.inputs import (PERSUASIONS_MAX, boolean, encode_cursor, integer, json_body, number, query_cursor,
                           query_int, string)


def _rules() -> shifts.Rules:
    return shifts.Rules.from_config(current_app.config, county_zone())


def _scan(body: dict) -> shifts.Scan:
    qr = body.get("qr")
    if not isinstance(qr, str):
        raise ValidationError("缺少扫码内容 qr", field="qr")
    if len(qr) > 2048:  # a post code is under 100 characters; anything this long is not one
        raise ApiError("二维码无效，请扫描岗位上张贴的红马甲二维码", code="INVALID_QR", status=400)
    return shifts.Scan(
        qr=qr,
        latitude=number(body, "latitude", low=-90, high=90, label="纬度"),
        longitude=number(body, "longitude", low=-180, high=180, label="经度"),
        accuracy=number(body, "accuracy", low=-100000, high=100000, required=False,  # <= 0: flagged, not refused
                        label="定位精度"),
        coordinate_system=string(body, "coordinate_system", max_length=8, required=False,
                                 label="坐标系", choices=("gcj02", "wgs84")) or "gcj02",
        scanned_at=_scanned_at(body),
    )


def _scanned_at(body: dict):
    """The phone's time of a scan it kept while offline (ISO 8601); None for a live scan."""
    text = string(body, "scanned_at", max_length=40, required=False, label="扫码时间")
    if text is None:
        return None
    try:
        return parse_instant(text, county_zone())
    except ValueError:
        raise ValidationError("扫码时间格式不正确（ISO 8601）", field="scanned_at")


@bp.post("/shifts")
def start_shift():
    body = json_body()
    scan = _scan(body)
    request_id = string(body, "client_request_id", max_length=64, required=False, label="请求编号")
    rules = _rules()
    shift, created = shifts.start(callers.current_id(), scan, request_id, utcnow(), rules)
    return serialize.shift(shift, rules.tz), 201 if created else 200


@bp.post("/shifts/<int:shift_id>/end")
def end_shift(shift_id: int):
    body = json_body()
    scan = _scan(body)
    rules = _rules()
    shift = shifts.end(
        callers.current_id(), shift_id, scan, utcnow(), rules,
        persuasions=integer(body, "persuasions", low=0, high=PERSUASIONS_MAX, default=0, label="劝导人次"),
        questionnaires=integer(body, "questionnaires", low=0, high=100000, default=0, label="问卷份数"),
        note=string(body, "note", max_length=500, required=False, label="备注", multiline=True),
        allow_outside=boolean(body, "allow_outside"),
    )
    return serialize.shift(shift, rules.tz)


@bp.get("/shifts")
def list_shifts():
    limit = query_int("limit", low=1, high=100, default=20)
    before = query_cursor()
    rows = shift_reads.list_own(callers.current(), before=before, limit=limit + 1)
    tz = county_zone()
    items = [serialize.shift(row, tz) for row in rows[:limit]]
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return {"items": items, "next_cursor": next_cursor}


@bp.get("/shifts/<int:shift_id>")
def get_shift(shift_id: int):
    caller = callers.current()
    body = serialize.shift(shift_reads.get_own(caller, shift_id), county_zone())
    body["photos"] = photos.for_own_shift(caller, shift_id, utcnow())
    return body
