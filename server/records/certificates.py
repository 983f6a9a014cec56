"""Service-hour certificates (志愿服务时长证明): issued, registered, and checkable by QR code.

Issuing freezes the figures in a numbered row; the PDF prints them with a QR
code of ``{PUBLIC_BASE_URL}/verify/<token>``, the token being the row's id
signed with SECRET_KEY. The verification page shows the registered figures,
so a paper whose hours were altered disagrees with its own QR code, and a
made-up token is refused. Asking twice on one day for the same figures gives
the same certificate, not a new number.

The period defaults to the volunteer's first counted shift up to today, and
an end after today is cut to today: a certificate attests what happened.
"""
from __future__ import annotations

import hashlib
import os

from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from server import textsafety
from server.checkin import hours as rules
from server.clock import local_date
from server.db import db
from server.errors import ValidationError
from server.models import Certificate, GroupCheckin, Shift, User

s = Shift.__table__.c
groups_t, users_t = GroupCheckin.__table__, User.__table__
_SALT = "redvest/certificate/v1"
SCANNED_SOURCES = ("scan", "leader")
STAR_NAMES = ("未评星", "一星", "二星", "三星", "四星", "五星")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def token(certificate_id: int) -> str:
    return _serializer().dumps(certificate_id)


def read_token(text: str) -> int | None:
    try:
        value = _serializer().loads(text)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def verify_url(certificate: Certificate) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/verify/{token(certificate.id)}"


def period(volunteer_id: int, first: date | None, last: date | None, today: date) -> tuple[date, date]:
    last = min(last or today, today)
    if first is None:
        first = db.session.execute(sa.select(sa.func.min(s.local_date)).where(
            s.volunteer_id == volunteer_id, rules.finished(Shift.__table__),
            s.review_state.in_(rules.COUNTED_REVIEW_STATES))).scalar() or last
        first = min(first, last)
    if first > last:
        raise ValidationError("开始日期不能晚于结束日期（或今天）", field="from")
    return first, last


def figures(volunteer_id: int, first: date, last: date) -> dict:
    """Counted minutes in the period, scanned and manual apart, and the lifetime star level."""
    counted = sa.and_(s.volunteer_id == volunteer_id, rules.finished(Shift.__table__),
                      s.review_state.in_(rules.COUNTED_REVIEW_STATES))
    in_period = sa.and_(s.local_date >= first, s.local_date <= last)

    def total(condition, value):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)

    row = db.session.execute(sa.select(
        # A post leader's check-in from the volunteer's card is a scanned record too.
        total(sa.and_(in_period, s.source.in_(SCANNED_SOURCES)), s.credited_minutes).label("scanned"),
        total(sa.and_(in_period, s.source.not_in(SCANNED_SOURCES)), s.credited_minutes).label("manual"),
        total(sa.and_(in_period, s.source == "leader"), s.credited_minutes).label("by_leader"),
        total(in_period, 1).label("shift_count"),
        total(sa.true(), s.credited_minutes).label("lifetime"),
    ).where(counted)).one()
    scanned, manual = int(row.scanned), int(row.manual)
    return {"scanned_minutes": scanned, "manual_minutes": manual, "credited_minutes": scanned + manual,
            "shift_count": int(row.shift_count), "star_level": rules.star_level(int(row.lifetime)),
            "leader_minutes": int(row.by_leader),
            "leader_names": _leader_names(counted, in_period) if row.by_leader else None}


def _leader_names(counted, in_period) -> str:
    """The leaders who checked the volunteer in during the period, as printed: at most three."""
    names = list(db.session.execute(
        sa.select(users_t.c.name).join(groups_t, groups_t.c.leader_id == users_t.c.id)
        .join(Shift.__table__, s.id == groups_t.c.shift_id)
        .where(counted, in_period, s.source == "leader").group_by(users_t.c.name)
        .order_by(sa.func.count().desc(), users_t.c.name)).scalars())
    names = [textsafety.strip_controls(n) for n in names if n]
    return "、".join(names[:3]) + ("等" if len(names) > 3 else "")


def issue(volunteer: dict, first: date, last: date, now: datetime, tz, issued_by_id: int | None) -> Certificate:
    """Register a certificate for ``volunteer`` (id, name, unit_name) and return it."""
    numbers = figures(volunteer["id"], first, last)
    # A name entered before input was checked may hold a line break; a certificate prints one line.
    name = textsafety.strip_controls(volunteer["name"] or "")
    unit_name = textsafety.strip_controls(volunteer["unit_name"]) if volunteer.get("unit_name") else None
    issued_on = local_date(now, tz)
    organisation = current_app.config["ISSUING_ORGANISATION"]
    same = db.session.execute(sa.select(Certificate).where(
        Certificate.volunteer_id == volunteer["id"], Certificate.issued_on == issued_on,
        Certificate.period_from == first, Certificate.period_to == last,
        Certificate.credited_minutes == numbers["credited_minutes"],
        Certificate.scanned_minutes == numbers["scanned_minutes"],
        Certificate.shift_count == numbers["shift_count"], Certificate.star_level == numbers["star_level"],
        Certificate.leader_minutes == numbers["leader_minutes"],
        Certificate.volunteer_name == name, Certificate.organisation == organisation,
    ).order_by(Certificate.id).limit(1)).scalar_one_or_none()
    if same is not None:
        return same
    certificate = Certificate(
        volunteer_id=volunteer["id"], period_from=first, period_to=last, volunteer_name=name,
        unit_name=unit_name, organisation=organisation, issued_on=issued_on, issued_at=now,
        issued_by_id=issued_by_id, **numbers)
    db.session.add(certificate)
    db.session.commit()
    return certificate


def lookup(text: str) -> tuple[Certificate, dict] | None:
    """The certificate a token names and the figures as they stand today (None: forged or unknown)."""
    certificate_id = read_token(text)
    if certificate_id is None:
        return None
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        return None
    return certificate, figures(certificate.volunteer_id, certificate.period_from, certificate.period_to)


def as_json(certificate: Certificate) -> dict:
    return {
        "number": certificate.number,
        "name": certificate.volunteer_name,
        "unit": certificate.unit_name,
        "from": certificate.period_from.isoformat(),
        "to": certificate.period_to.isoformat(),
        "credited_minutes": certificate.credited_minutes,
        "hours": rules.as_hours(certificate.credited_minutes),
        "scanned_hours": rules.as_hours(certificate.scanned_minutes),
        "manual_hours": rules.as_hours(certificate.manual_minutes),
        "shift_count": certificate.shift_count,
        "star_level": certificate.star_level,
        "organisation": certificate.organisation,
        "issued_on": certificate.issued_on.isoformat(),
    }


def filename(certificate: Certificate) -> str:
    return f"志愿服务时长证明_{certificate.volunteer_name}_{certificate.number}.pdf"


def cache_path(certificate: Certificate) -> str:
    """Where the rendered PDF of this certificate is kept (it holds a name: erasure deletes it).
    Named by everything the PDF prints, so a changed row, or another database, never reads it."""
    printed = "|".join(str(part) for part in (
        certificate.id, certificate.number, certificate.volunteer_id, certificate.volunteer_name,
        certificate.unit_name, certificate.period_from, certificate.period_to, certificate.issued_on,
        certificate.credited_minutes, certificate.scanned_minutes, certificate.shift_count,
        certificate.star_level, certificate.organisation, verify_url(certificate),
        certificate.leader_minutes, certificate.leader_names))
    folder = current_app.config["CERTIFICATE_CACHE_DIR"] or os.path.join(current_app.instance_path,
                                                                         "certificate-cache")
    return os.path.join(folder, f"{certificate.volunteer_id}-{hashlib.sha256(printed.encode()).hexdigest()}.pdf")
