"""Helpers for photo tests: pictures that behave like phone photos, uploads as
wx.uploadFile sends them, and looks into the database and the storage."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from PIL import Image

from server.clock import utcnow
from server.db import db
from server.models import Photo, Shift
from server.evidence.photo_files import storage
from tests import factories
from tests.factories import at_post
from tests.images import camera_exif, encode, make_scene  # noqa: F401  (re-exported)

START = "/api/mp/v1/shifts"
CST_FORMAT = "%Y:%m:%d %H:%M:%S"


def photo_url(shift_id: int) -> str:
    return f"/api/mp/v1/shifts/{shift_id}/photos"


def scene_jpeg(seed: int, size: tuple[int, int] = (800, 600), **params) -> bytes:
    return encode(make_scene(size, seed=seed), "JPEG", **params)


def start_shift(client, user, post) -> int:
    res = client.post(START, headers=factories.headers(user), json=at_post(post))
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def end_shift(client, user, post, shift_id: int):
    return client.post(f"{START}/{shift_id}/end", headers=factories.headers(user), json=at_post(post))


def upload(client, user, shift_id: int, data: bytes, *, field: str = "file", filename: str = "tmp_wx.jpg",
           **form):
    """POST multipart/form-data the way wx.uploadFile does (name: 'file', formData: {...})."""
    body = {field: (io.BytesIO(data), filename, "image/jpeg")}
    body.update({name: str(value) for name, value in form.items()})
    return client.post(photo_url(shift_id), headers=factories.headers(user), data=body,
                       content_type="multipart/form-data")


def photo_rows() -> list[dict]:
    db.session.rollback()  # see what the requests committed
    return [dict(r) for r in db.session.execute(sa.select(Photo.__table__).order_by(Photo.id)).mappings()]


def shift_row(shift_id: int) -> dict:
    db.session.rollback()
    return dict(db.session.execute(sa.select(Shift.__table__).where(Shift.id == shift_id)).mappings().one())


def set_shift_times(shift_id: int, started_at: datetime, ended_at: datetime | None = None) -> None:
    db.session.rollback()
    db.session.execute(sa.update(Shift.__table__).where(Shift.id == shift_id)
                       .values(started_at=started_at, ended_at=ended_at))
    db.session.commit()


def close_shift_minutes_ago(client, user, post, shift_id: int, minutes: float) -> None:
    """An hour on duty ended by scanning out, then moved into the past."""
    set_shift_times(shift_id, utcnow() - timedelta(hours=1))
    assert end_shift(client, user, post, shift_id).status_code == 200
    ended = utcnow() - timedelta(minutes=minutes)
    set_shift_times(shift_id, ended - timedelta(hours=1), ended)


def stored_keys(app: Flask) -> set[str]:
    return set(storage(app).iter_keys())


def read_stored(app: Flask, key: str) -> Image.Image:
    image = Image.open(io.BytesIO(storage(app).get(key)))
    image.load()
    return image


def local_exif_time(instant: datetime) -> str:
    """How a phone in the county writes this instant into EXIF (local wall-clock time)."""
    from zoneinfo import ZoneInfo
    return instant.astimezone(ZoneInfo("Asia/Shanghai")).strftime(CST_FORMAT)


def with_exif(image: Image.Image, **exif_args) -> bytes:
    return encode(image, "JPEG", exif=camera_exif(**exif_args))
