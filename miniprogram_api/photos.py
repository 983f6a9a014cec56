"""Photo upload, as ``wx.uploadFile`` sends it: multipart/form-data with the
picture in the field named ``file`` and text fields in ``formData``.

The body limit is Flask's MAX_CONTENT_LENGTH: werkzeug refuses a larger body
with 413 while parsing it, before any of it is kept, and the app's error
handler turns that into the JSON ``PAYLOAD_TOO_LARGE``.
"""
from __future__ import annotations

import math

from flask import request

from miniprogram_api import bp
from server import callers
from server.evidence import photos
from server.clock import utcnow
from server.errors import ApiError, ValidationError
from server.models.photos import PHOTO_KINDS

FILE_FIELD = "file"


@bp.post("/shifts/<int:shift_id>/photos")
def upload_photo(shift_id: int):
    upload = request.files.get(FILE_FIELD)  # parses the body: a too-large one is a 413 here
    if upload is None:
        raise ApiError("请选择要上传的照片（表单字段 file）", code="PHOTO_MISSING", status=400,
                       field=FILE_FIELD)
    form = request.form
    kind = (form.get("kind") or "duty").strip()
    if kind not in PHOTO_KINDS:
        raise ValidationError("照片类型只能是 start、duty 或 end", field="kind")
    latitude = _coordinate(form, "latitude", 90, "纬度")
    longitude = _coordinate(form, "longitude", 180, "经度")
    if (latitude is None) != (longitude is None):
        raise ValidationError("纬度和经度需同时提供", field="latitude" if latitude is None else "longitude")
    photo, created = photos.upload(callers.current(), shift_id, upload.read(), kind, latitude, longitude,
                                   utcnow())
    return photo, 201 if created else 200


def _coordinate(form, field: str, limit: float, label: str) -> float | None:
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
