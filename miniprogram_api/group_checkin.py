"""A post leader checks members in and out with their printed cards (server/checkin/group_checkin.py)."""
from __future__ import annotations

from flask import current_app

from miniprogram_api import bp
from server import callers
from server.checkin import group_checkin, shifts
from server.clock import county_zone, utcnow
from server.errors import ValidationError
from server.inputs import json_body, number, string


def _rules() -> shifts.Rules:
    return shifts.Rules.from_config(current_app.config, county_zone())


def _where(body: dict) -> shifts.Scan:
    """Where the leader's phone is: the group's place."""
    return shifts.Scan(
        qr="",
        latitude=number(body, "latitude", low=-90, high=90, label="纬度"),
        longitude=number(body, "longitude", low=-180, high=180, label="经度"),
        accuracy=number(body, "accuracy", low=-100000, high=100000, required=False, label="定位精度"),
        coordinate_system=string(body, "coordinate_system", max_length=8, required=False,
                                 label="坐标系", choices=("gcj02", "wgs84")) or "gcj02",
    )


def _post_id(body: dict) -> int:
    value = body.get("post_id")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
        raise ValidationError("缺少岗位 post_id", field="post_id")
    return value


@bp.post("/shifts/group")
def start_group():
    body = json_body()
    post_id, scan = _post_id(body), _where(body)
    request_id = string(body, "client_request_id", max_length=48, required=False, label="请求编号")
    return group_checkin.start(callers.current_id(), post_id, body.get("cards"), body.get("photo_id"), scan,
                               request_id, utcnow(), _rules(), group_checkin.Limits.from_config(current_app.config))


@bp.post("/shifts/group/end")
def end_group():
    body = json_body()
    post_id, scan = _post_id(body), _where(body)
    return group_checkin.end(callers.current_id(), post_id, body.get("cards"), scan, utcnow(), _rules(),
                             group_checkin.Limits.from_config(current_app.config))


@bp.get("/me/leading")
def my_leading():
    return group_checkin.overview(callers.current_id(), utcnow(), _rules())
