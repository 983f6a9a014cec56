"""Helpers for problem tests: reporting, photos as wx.uploadFile sends them, console calls."""
from __future__ import annotations

import io
from datetime import date, timedelta

from tests import factories
from tests.photo_helpers import scene_jpeg

MP = "/api/mp/v1"
CONSOLE = "/api/console/v1"
BROKEN_RAILING = "人行道护栏断裂，有安全隐患"


def category_id(client, user, name: str) -> int:
    res = client.get(f"{MP}/problem-categories", headers=factories.headers(user, "mp"))
    assert res.status_code == 200, res.get_json()
    return next(c["id"] for c in res.get_json()["items"] if c["name"] == name)


def report(client, user, post, *, category: str = "公共设施", description: str = BROKEN_RAILING, **extra):
    body = {"category": category, "description": description, "latitude": post.latitude + 0.0001,
            "longitude": post.longitude, **extra}
    return client.post(f"{MP}/problems", headers=factories.headers(user, "mp"), json=body)


def photo(client, user, path: str, seed: int):
    body = {"file": (io.BytesIO(scene_jpeg(seed)), "tmp_wx.jpg", "image/jpeg")}
    return client.post(path, headers=factories.headers(user), data=body, content_type="multipart/form-data")


def console(client, user, method: str, path: str, **kwargs):
    return client.open(f"{CONSOLE}{path}", method=method, headers=factories.headers(user), **kwargs)


def working_days_after(day: date, count: int) -> date:
    """Monday to Friday, as a county with no calendar entered counts them."""
    while count:
        day += timedelta(days=1)
        count -= day.weekday() < 5
    return day
