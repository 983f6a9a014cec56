"""Photo upload, as ``wx.uploadFile`` sends it: multipart/form-data with the
picture in the field named ``file`` and text fields in ``formData``.

The body limit is Flask's MAX_CONTENT_LENGTH: werkzeug refuses a larger body
with 413 while parsing it, before any of it is kept, and the app's error
handler turns that into the JSON ``PAYLOAD_TOO_LARGE``.
"""
from __future__ import annotations

from flask import request

from miniprogram_api import bp
from server import callers
from server.evidence import photos
from server.clock import utcnow
from server.errors import ValidationError
from server.inputs import photo_upload
from server.models.photos import PHOTO_KINDS


@bp.post("/shifts/<int:shift_id>/photos")
def upload_photo(shift_id: int):
    upload = photo_upload()
    kind = (request.form.get("kind") or "duty").strip()
    if kind not in PHOTO_KINDS:
        raise ValidationError("照片类型只能是 start、duty 或 end", field="kind")
    photo, created = photos.upload(callers.current(), shift_id, upload.data, kind, upload.latitude,
                                   upload.longitude, utcnow())
    return photo, 201 if created else 200

