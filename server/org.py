"""Work units and districts (片区): adding and listing them.

Names are unique in the database; adding a name that exists is a 409 naming the
row that has it, so whoever typed it learns the id they were after.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.db import db
from server.errors import Conflict, ValidationError
from server.models import District, Unit

_LABELS = {Unit: "单位", District: "片区"}


def add_unit(name: str, now: datetime) -> Unit:
    return _add(Unit, name, now)


def add_district(name: str, now: datetime) -> District:
    return _add(District, name, now)


def units() -> list[Unit]:
    return list(db.session.execute(sa.select(Unit).order_by(Unit.id)).scalars())


def districts() -> list[District]:
    return list(db.session.execute(sa.select(District).order_by(District.id)).scalars())


def as_json(row: Unit | District) -> dict:
    return {"id": row.id, "name": row.name}


def _add(model, name: str, now: datetime):
    label = _LABELS[model]
    name = (name or "").strip()
    if not name:
        raise ValidationError(f"请填写{label}名称", field="name")
    if len(name) > 100:
        raise ValidationError(f"{label}名称不能超过 100 个字", field="name")
    _refuse_taken(model, name)
    row = model(name=name, created_at=now)
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # added by someone else between the check and the insert
        db.session.rollback()
        _refuse_taken(model, name)
        raise
    return row


def _refuse_taken(model, name: str) -> None:
    existing = db.session.execute(sa.select(model.id).where(model.name == name)).scalar()
    if existing is not None:
        raise Conflict(f"{_LABELS[model]}“{name}”已存在，编号 {existing}", code="NAME_TAKEN", id=existing)
