"""Volunteers added by hand (no smartphone, no WeChat): a coordinator enters name, mobile and
unit, and the volunteer serves with a printed card that their post's leader scans
(server/checkin/cards.py, group_checkin.py).

Such a volunteer is registered at once and has no openid: nobody can log in as them. Should
they later register in the mini-program with the same mobile, that is refused as PHONE_TAKEN
(an administrator would merge the two by hand). ``caller`` None is the command line.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server import accounts, audit, permissions
from server.callers import Caller
from server.db import db
from server.errors import Conflict, Forbidden
from server.models import User


def add(caller: Caller | None, *, name, phone, unit_id, now: datetime) -> int:
    """The new volunteer's id. A unit coordinator adds to their own unit; admins to any."""
    if caller is not None and not permissions.may_import_volunteers(caller):
        raise Forbidden("只有单位协调员和管理员可以添加志愿者", code="FORBIDDEN")
    name, phone = accounts.volunteer_fields(name, phone, unit_id)
    if caller is not None and caller.role == "coordinator" and caller.scope_unit_id != unit_id:
        raise Forbidden("单位协调员只能添加本单位的志愿者", code="FORBIDDEN")
    if db.session.execute(sa.select(User.id).where(User.phone == phone)).first() is not None:
        raise Conflict("该手机号已被其他志愿者登记", code="PHONE_TAKEN", field="phone")
    user = User(name=name, phone=phone, unit_id=unit_id, role="volunteer", status="active",
                registered_at=now, created_at=now, card_version=1)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:  # the same mobile entered at the same moment elsewhere
        db.session.rollback()
        raise Conflict("该手机号已被其他志愿者登记", code="PHONE_TAKEN", field="phone")
    # The audit trail holds no phone number: personal data stays in its own row.
    audit.record(actor_id=caller.id if caller else None, action="volunteer_add", entity_type="user",
                 entity_id=user.id, before=None, after={"name": name, "unit_id": unit_id, "card": True},
                 reason=None, now=now)
    db.session.commit()
    return user.id
