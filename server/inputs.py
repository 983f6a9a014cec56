"""Parsing request input into plain values; anything malformed is a 400 or a 422 naming the field."""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass
from datetime import date, datetime

from flask import request

from server import json_provider
from server import textsafety
from server.errors import ApiError, BadRequest, ValidationError

_MISSING = object()


JSON_BODY_LIMIT = 64 * 1024  # API bodies are a few hundred bytes; photos come as multipart
# Dates a county's duty records can hold; anything else is a typo or a probe (0001-01-01, 9999-12-31
# overflow date arithmetic further down).
YEAR_MIN, YEAR_MAX = 2000, 2100
# People talked out of jaywalking in one shift (at most MAX_SHIFT_MINUTES, 4 h): one every 15 s
# at a busy crossing is under 1,000; 100,000 is a typo or an attempt to top the rankings.
PERSUASIONS_MAX = 1000


def in_years(value, field: str, label: str | None = None):
    """422 naming the field for a date or time outside YEAR_MIN..YEAR_MAX."""
    if value is not None and not YEAR_MIN <= value.year <= YEAR_MAX:
        raise ValidationError(f"{label or field}超出范围（{YEAR_MIN}～{YEAR_MAX} 年）", field=field)
    return value


def parse_date(raw: str, field: str, label: str | None = None) -> date:
    """2026-11-26 in ASCII digits, within the years above."""
    try:
        if not raw.isascii():
            raise ValueError(raw)
        value = date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{label or field}应为日期，如 2026-11-26", field=field)
    return in_years(value, field, label)


def refuse_repeated_query_parameters(app) -> None:
    """Under /api/ a query parameter is given once: ``?limit=5&limit=x`` is a client's mistake
    (Flask would silently read the first), so it is a 422 naming the parameter."""

    @app.before_request
    def _once():
        if not request.path.startswith("/api/"):
            return
        for name, values in request.args.lists():
            if len(values) > 1:
                raise ValidationError(f"参数 {name} 只能出现一次", field=name)


def limit_json_bodies(app) -> None:
    """A JSON body under /api/ may be at most JSON_BODY_LIMIT bytes however it arrives: with a
    Content-Length, or chunked (no length to refuse up front), and whichever way the view reads it
    (json_body or request.get_json). Werkzeug then stops reading past the limit with a 413."""

    @app.before_request
    def _limit():
        if not (request.path.startswith("/api/") and request.mimetype == "application/json"):
            return
        if request.content_length is not None:
            request.max_content_length = JSON_BODY_LIMIT
            return
        # Chunked: read at most one byte past the limit now, and keep it for the view.
        data = request.stream.read(JSON_BODY_LIMIT + 1)
        if len(data) > JSON_BODY_LIMIT:
            raise ApiError("请求内容过大", code="PAYLOAD_TOO_LARGE", status=413, max_bytes=JSON_BODY_LIMIT)
        request._cached_data = data  # what request.get_data() and get_json() return from now on


def json_body() -> dict:
    """The request's JSON object. Read straight from the WSGI input when its length is known:
    werkzeug's general-purpose stream wrapper costs more than parsing on the scan path."""
    req = request._get_current_object()  # one context lookup, not one per attribute
    length = req.content_length
    if not req.is_json:
        raise BadRequest("请求体必须是 JSON 对象", code="BAD_REQUEST")
    if length is not None and length > JSON_BODY_LIMIT:
        raise ApiError("请求内容过大", code="PAYLOAD_TOO_LARGE", status=413)
    # Chunked bodies were read (and bounded) before the view, by limit_json_bodies.
    raw = req.environ["wsgi.input"].read(length) if length is not None else req.get_data()
    try:
        body = json_provider.decode(raw)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise BadRequest("请求体必须是 JSON 对象", code="BAD_REQUEST")
    textsafety.walk_json(body)  # control characters never get in, whatever field they hide in
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
           label: str | None = None, choices: tuple[str, ...] | None = None,
           multiline: bool = False) -> str | None:
    """A text field, trimmed; line breaks and tabs only where ``multiline`` (notes, reasons)."""
    value = body.get(field, _MISSING)
    if value is _MISSING or value is None or (isinstance(value, str) and not value.strip() and required):
        if required:
            raise ValidationError(f"缺少{label or field}", field=field)
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{label or field}必须是文字", field=field)
    value = value.strip()
    textsafety.refuse_controls(value, field, label, multiline=multiline)
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
    return parse_date(raw, field, label)


def query_date(field: str) -> date | None:
    raw = request.args.get(field)
    if raw is None or raw == "":
        return None
    return parse_date(raw, field)


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
        if not raw.isascii():  # int() reads full-width and Arabic-Indic digits too
            raise ValueError(raw)
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
        started, row_id = base64.urlsafe_b64decode(cursor.encode()).decode("ascii").split("|")
        when = datetime.fromisoformat(started)
        if when.tzinfo is None or not YEAR_MIN <= when.year <= YEAR_MAX:
            raise ValueError(started)  # compared with UTC columns further down
        return when, int(row_id)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("分页游标无效", field=field)


PHOTO_FIELD = "file"  # as wx.uploadFile names it


def uploaded_photo() -> bytes:
    """The picture of a multipart upload. Reading the form parses the body: a too-large one is a 413 here."""
    upload = request.files.get(PHOTO_FIELD)
    if upload is None:
        raise ApiError("请选择要上传的照片（表单字段 file）", code="PHOTO_MISSING", status=400, field=PHOTO_FIELD)
    return upload.read()


@dataclass(frozen=True)
class PhotoUpload:
    """A photo as wx.uploadFile sends it: the picture and, when the phone gave them, where it was taken."""
    data: bytes
    latitude: float | None = None
    longitude: float | None = None


def photo_upload() -> PhotoUpload:
    """The picture (field ``file``) and the optional latitude and longitude of a multipart upload."""
    data = uploaded_photo()
    latitude, longitude = form_coordinates(request.form)
    return PhotoUpload(data, latitude, longitude)


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
