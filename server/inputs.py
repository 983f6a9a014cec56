"""Parsing request input into plain values; anything malformed is a 400 or a 422 naming the field."""
from __future__ import annotations

import base64
import math
from datetime import date, datetime

from flask import request

from server import json_provider
from server.errors import ApiError, BadRequest, ValidationError

_MISSING = object()


JSON_BODY_LIMIT = 64 * 1024  # API bodies are a few hundred bytes; photos come as multipart


def json_body() -> dict:
    """The request's JSON object. Read straight from the WSGI input when its length is known:
    werkzeug's general-purpose stream wrapper costs more than parsing on the scan path."""
    req = request._get_current_object()  # one context lookup, not one per attribute
    length = req.content_length
    if not req.is_json:
        raise BadRequest("请求体必须是 JSON 对象", code="BAD_REQUEST")
    if length is not None and length > JSON_BODY_LIMIT:
        raise ApiError("请求内容过大", code="PAYLOAD_TOO_LARGE", status=413)
    try:
        raw = req.environ["wsgi.input"].read(length) if length is not None else req.get_data()
        body = json_provider.decode(raw)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise BadRequest("请求体必须是 JSON 对象", code="BAD_REQUEST")
    return body


def number(body: dict, field: str, *, low: float, high: float, required: bool = True,
           label: str | None = None) -> float | None:
    value = body.get(field, _MISSING)
    if value is _MISSING or value is None:
        if required:
            raise ValidationError(f"缺少{label or field}", field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"{label or field}必须是数字", field=field)
    if not low <= value <= high:
        raise ValidationError(f"{label or field}超出范围（{low}～{high}）", field=field)
    return float(value)


def integer(body: dict, field: str, *, low: int, high: int, default: int | None = None,
            label: str | None = None) -> int | None:
    value = body.get(field, _MISSING)
    if value is _MISSING or value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{label or field}必须是整数", field=field)
    if not low <= value <= high:
        raise ValidationError(f"{label or field}超出范围（{low}～{high}）", field=field)
    return value


def string(body: dict, field: str, *, max_length: int, required: bool = True,
           label: str | None = None, choices: tuple[str, ...] | None = None) -> str | None:
    value = body.get(field, _MISSING)
    if value is _MISSING or value is None or (isinstance(value, str) and not value.strip() and required):
        if required:
            raise ValidationError(f"缺少{label or field}", field=field)
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{label or field}必须是文字", field=field)
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(f"{label or field}不能超过 {max_length} 个字符", field=field)
    if choices is not None and value not in choices:
        raise ValidationError(f"{label or field}只能是 {'、'.join(choices)} 之一", field=field)
    return value


def boolean(body: dict, field: str, default: bool = False) -> bool:
    value = body.get(field, default)
    if not isinstance(value, bool):
        raise ValidationError(f"{field}必须是 true 或 false", field=field)
    return value


def date_field(body: dict, field: str, *, label: str, required: bool = True) -> date | None:
    """A date in a JSON body, written 2026-11-26."""
    raw = string(body, field, max_length=10, label=label, required=required)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{label}应为日期，如 2026-11-26", field=field)


def query_date(field: str) -> date | None:
    raw = request.args.get(field)
    if raw is None or raw == "":
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{field} 应为日期，如 2026-11-26", field=field)


def query_float(field: str, *, low: float, high: float) -> float:
    raw = request.args.get(field)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValidationError(f"缺少或无效的 {field}", field=field)
    if not math.isfinite(value) or not low <= value <= high:
        raise ValidationError(f"{field} 超出范围", field=field)
    return value


def query_int(field: str, *, low: int, high: int, default: int) -> int:
    raw = request.args.get(field)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{field} 必须是整数", field=field)
    if not low <= value <= high:
        raise ValidationError(f"{field} 超出范围（{low}～{high}）", field=field)
    return value


def encode_cursor(row: dict) -> str:
    """An opaque keyset cursor for lists ordered by (started_at, id), newest first."""
    raw = f"{row['started_at'].isoformat()}|{row['id']}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def query_cursor(field: str = "cursor") -> tuple[datetime, int] | None:
    """The (started_at, id) a list continues after; 422 naming the field for a forged cursor."""
    cursor = request.args.get(field)
    if not cursor:
        return None
    try:
        started, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(started), int(row_id)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("分页游标无效", field=field)


PHOTO_FIELD = "file"  # as wx.uploadFile names it


def uploaded_photo() -> bytes:
    """The picture of a multipart upload. Reading the form parses the body: a too-large one is a 413 here."""
    upload = request.files.get(PHOTO_FIELD)
    if upload is None:
        raise ApiError("请选择要上传的照片（表单字段 file）", code="PHOTO_MISSING", status=400, field=PHOTO_FIELD)
    return upload.read()


def form_coordinates(form) -> tuple[float | None, float | None]:
    """Optional latitude and longitude in a multipart form (a photo upload's formData), both or neither."""
    latitude = _form_coordinate(form, "latitude", 90, "纬度")
    longitude = _form_coordinate(form, "longitude", 180, "经度")
    if (latitude is None) != (longitude is None):
        raise ValidationError("纬度和经度需同时提供", field="latitude" if latitude is None else "longitude")
    return latitude, longitude


def _form_coordinate(form, field: str, limit: float, label: str) -> float | None:
    raw = (form.get(field) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError(f"{label}必须是数字", field=field)
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise ValidationError(f"{label}超出范围（-{limit}～{limit}）", field=field)
    return value
