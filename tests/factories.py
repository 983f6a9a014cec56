"""Factories for test data, one per role, and helpers to call the API as a user."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from server import tokens
from server.checkin import posts as post_service
from datetime import datetime
from zoneinfo import ZoneInfo

from server.clock import local_date, utcnow
from server.db import db
from server.models import District, Post, Shift, Unit, User
from werkzeug.security import generate_password_hash

_seq = itertools.count(1)
PASSWORD = "correct horse battery"
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")  # fast for tests

# Near the People's Square of a county seat; GCJ-02.
BASE_LAT, BASE_LNG = 29.2480, 117.8617


def unit(name: str | None = None) -> Unit:
    u = Unit(name=name or f"单位{next(_seq)}", created_at=utcnow())
    db.session.add(u)
    db.session.commit()
    return u


def district(name: str | None = None) -> District:
    d = District(name=name or f"片区{next(_seq)}", created_at=utcnow())
    db.session.add(d)
    db.session.commit()
    return d


def post(district_: District, *, name: str | None = None, lat: float = BASE_LAT, lng: float = BASE_LNG,
         radius: int = 100, kind: str = "intersection", active: bool = True) -> Post:
    p = post_service.create(name=name or f"路口{next(_seq)}", kind=kind, district_id=district_.id,
                            latitude=lat, longitude=lng, radius_m=radius, now=utcnow())
    if not active:
        p.active = False
        db.session.commit()
    return p


def volunteer(unit_: Unit | None, *, name: str | None = None, registered: bool = True,
              status: str = "active") -> User:
    n = next(_seq)
    u = User(openid=f"openid-{n}", role="volunteer", status=status, created_at=utcnow())
    if registered:
        u.name, u.phone, u.unit_id, u.registered_at = name or f"志愿者{n}", f"139{n:08d}", unit_.id, utcnow()
    db.session.add(u)
    db.session.commit()
    return u


def console_user(role: str, *, unit_: Unit | None = None, district_: District | None = None,
                 username: str | None = None) -> User:
    n = next(_seq)
    u = User(username=username or f"{role}{n}", name=f"{role}{n}", role=role, status="active",
             scope_unit_id=unit_.id if unit_ else None, scope_district_id=district_.id if district_ else None,
             password_hash=_PASSWORD_HASH, created_at=utcnow())
    db.session.add(u)
    db.session.commit()
    return u


def headers(user: User, kind: str | None = None) -> dict:
    kind = kind or ("console" if user.username else "mp")
    token, _ = tokens.issue(user.id, kind)
    return {"Authorization": f"Bearer {token}"}


def qr_text(p: Post) -> str:
    return post_service.qr_url(p)


_fixes = itertools.count(1)


def near(p: Post) -> tuple[float, float, float]:
    """A phone's fix a few metres from the post, as a real one is: never the surveyed point
    itself, never twice the same (location_signals.py flags both), accuracy 8-14 m."""
    n = next(_fixes)
    metres = 3 + (n % 20) * 0.5
    north = 1 if n % 2 else -1
    return (p.latitude + north * metres / 111_320, p.longitude + (n % 13) * 1e-6,
            8.0 + n % 7)


def at_post(p: Post, **extra) -> dict:
    """A scan body standing at the post (a realistic fix a few metres off)."""
    lat, lng, accuracy = near(p)
    body = {"qr": qr_text(p), "latitude": lat, "longitude": lng, "accuracy": accuracy}
    body.update(extra)
    return body


@dataclass
class County:
    unit_a: Unit
    unit_b: Unit
    east: District
    west: District
    post_east: Post
    post_east2: Post
    post_west: Post

    @classmethod
    def build(cls) -> "County":
        east, west = district("城东片区"), district("城西片区")
        return cls(
            unit_a=unit("县财政局"), unit_b=unit("县教育局"), east=east, west=west,
            post_east=post(east, name="人民路与解放路交叉口"),
            post_east2=post(east, name="朱子广场", lat=BASE_LAT + 0.01, kind="park"),
            post_west=post(west, name="星江公园南门", lat=BASE_LAT - 0.01, kind="park"),
        )


def shift(volunteer: User, post_: Post, started_at: datetime, ended_at: datetime | None, *,
          tz: ZoneInfo = ZoneInfo("Asia/Shanghai"), **columns) -> Shift:
    """A shift already on record, written straight to the database (not scanned).

    Open when ``ended_at`` is None, else closed and credited its whole minutes;
    ``columns`` set anything else (status, credited_minutes, flags, review_state...)."""
    minutes = int((ended_at - started_at).total_seconds() // 60) if ended_at else 0
    row = Shift(volunteer_id=volunteer.id, unit_id=volunteer.unit_id, post_id=post_.id,
                status="open" if ended_at is None else "closed", source="scan",
                started_at=started_at, ended_at=ended_at, local_date=local_date(started_at, tz),
                credited_minutes=minutes, persuasions=0, flags=[], review_state="none")
    for key, value in columns.items():
        setattr(row, key, value)
    db.session.add(row)
    db.session.commit()
    return row
