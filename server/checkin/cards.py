"""Volunteers' printed cards (志愿者卡): the signed code a post leader scans, its revocation,
and the A4 sheets of 8 that a coordinator prints (per unit, or chosen volunteers).

Every registered volunteer has a card, whether they use the mini-program or were added by hand
(server/records/hand_added.py). The code holds the volunteer's id and card version, signed like
a post's code (qr/card_payload.py); a lost card is revoked by bumping the version, after which
the old card answers 410 CARD_REVOKED. A card is never a post code, nor the reverse.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Sequence

import sqlalchemy as sa
from flask import current_app

from qr import card_payload
from server import audit, permissions
from server.callers import Caller
from server.config import qr_secret
from server.db import db
from server.errors import ApiError, Forbidden, NotFound, ValidationError
from server.models import Unit, User

if TYPE_CHECKING:
    from qr.card_sheet import CardInfo

users_t, units_t = User.__table__, Unit.__table__
MAX_CARDS_PER_PRINT = 2000


def invalid() -> ApiError:
    return ApiError("这不是有效的红马甲志愿者卡，请核对后重扫", code="INVALID_CARD", status=400)


def token(volunteer_id: int, card_version: int) -> str:
    return card_payload.make_token(qr_secret(current_app.config), volunteer_id, card_version)


def verify(scanned) -> card_payload.CardCode:
    """The card's volunteer and version, if the signature holds; 400 INVALID_CARD otherwise
    (also for a post's code, which is never a card)."""
    if not isinstance(scanned, str) or len(scanned) > 100:
        raise invalid()
    try:
        return card_payload.verify(qr_secret(current_app.config), scanned)
    except card_payload.InvalidCard:
        raise invalid() from None


_HOLDER = (users_t.c.id, users_t.c.name, users_t.c.status, users_t.c.unit_id, users_t.c.registered_at,
           users_t.c.erased_at, users_t.c.card_version, users_t.c.role)


def holder(code: card_payload.CardCode) -> dict:
    """The volunteer a genuine card names, if the card is current: 410 CARD_REVOKED for an older
    version, 400 INVALID_CARD for someone gone, 403 ACCOUNT_SUSPENDED for a suspended volunteer."""
    row = db.session.execute(sa.select(*_HOLDER).where(users_t.c.id == code.volunteer_id)).mappings().first()
    if row is None or row["registered_at"] is None or row["erased_at"] is not None \
            or code.card_version > row["card_version"]:
        raise invalid()
    if code.card_version < row["card_version"]:
        raise ApiError("这张志愿者卡已作废（已补办新卡），请使用新卡", code="CARD_REVOKED", status=410,
                       volunteer_id=row["id"])
    if row["status"] != "active":
        raise Forbidden("该志愿者账号已被停用", code="ACCOUNT_SUSPENDED")
    return dict(row)


def revoke(caller: Caller | None, volunteer_id: int, now: datetime, reason: str | None = None) -> dict:
    """A new card version: the printed card stops working at once. Scope 404, then role 403."""
    query = sa.select(*_HOLDER).where(users_t.c.id == volunteer_id, users_t.c.registered_at.is_not(None),
                                      users_t.c.erased_at.is_(None))
    if caller is not None:
        query = query.where(permissions.volunteer_filter(caller))
    row = db.session.execute(query).mappings().first()
    if row is None:
        raise NotFound("找不到该志愿者")
    if caller is not None and not permissions.may_manage_volunteer(caller, row["unit_id"]):
        raise Forbidden("只有该志愿者所在单位的协调员或管理员可以作废志愿者卡", code="FORBIDDEN")
    version = row["card_version"] + 1
    db.session.execute(sa.update(users_t).where(users_t.c.id == volunteer_id)
                       .values(card_version=users_t.c.card_version + 1))
    audit.record(actor_id=caller.id if caller else None, action="card_revoke", entity_type="user",
                 entity_id=volunteer_id, before={"card_version": row["card_version"]},
                 after={"card_version": version}, reason=reason, now=now)
    db.session.commit()
    return {"volunteer_id": volunteer_id, "card_version": version}


def select(caller: Caller | None, *, unit_id: int | None = None, volunteer_ids: Sequence[int] = ()) -> list[dict]:
    """The volunteers whose cards to print, by unit and id: a unit's active volunteers, or those
    chosen. Out of the caller's sight is 404 (a unit) or missing (a volunteer: 404 naming them)."""
    if caller is not None and not permissions.may_print_cards(caller):
        raise Forbidden("只有协调员和管理员可以打印志愿者卡", code="FORBIDDEN")
    if unit_id is None and not volunteer_ids:
        raise ValidationError("请选择单位或志愿者", field="unit_id")
    if len(volunteer_ids) > MAX_CARDS_PER_PRINT:
        raise ValidationError(f"一次最多打印 {MAX_CARDS_PER_PRINT} 张卡", field="volunteers")
    conditions = [users_t.c.registered_at.is_not(None), users_t.c.erased_at.is_(None), users_t.c.role == "volunteer"]
    if caller is not None:
        conditions.append(permissions.volunteer_filter(caller))
    if unit_id is not None:
        unit = db.session.execute(sa.select(units_t.c.id).where(
            units_t.c.id == unit_id, permissions.unit_filter(caller) if caller is not None else sa.true())).first()
        if unit is None:
            raise NotFound("找不到该单位")
        conditions.append(users_t.c.unit_id == unit_id)
    if volunteer_ids:
        conditions.append(users_t.c.id.in_(set(volunteer_ids)))
    else:
        conditions.append(users_t.c.status == "active")
    rows = [dict(r) for r in db.session.execute(
        sa.select(users_t.c.id, users_t.c.name, users_t.c.card_version, units_t.c.name.label("unit_name"))
        .outerjoin(units_t, units_t.c.id == users_t.c.unit_id)
        .where(*conditions).order_by(users_t.c.unit_id, users_t.c.id).limit(MAX_CARDS_PER_PRINT)).mappings()]
    missing = sorted(set(volunteer_ids) - {r["id"] for r in rows})
    if missing:
        raise NotFound(f"找不到志愿者 {'、'.join(map(str, missing))}", code="NOT_FOUND")
    if not rows:
        raise NotFound("该单位没有可打印志愿者卡的志愿者", code="NO_VOLUNTEERS")
    return rows


def infos(rows: list[dict]) -> list[CardInfo]:
    from qr.card_sheet import CardInfo

    return [CardInfo(volunteer_id=r["id"], name=r["name"] or "", unit=r["unit_name"] or "",
                     card_version=r["card_version"], payload=token(r["id"], r["card_version"])) for r in rows]


def pdf(rows: list[dict], out) -> int:
    """The cards as A4 sheets of 8 into ``out`` (a binary file or a path); the page count.
    Raises qr.fonts.FontMissing when the font cannot draw a name."""
    from qr import card_sheet

    return card_sheet.write_pdf(infos(rows), out, current_app.config.get("POSTER_FONT") or None)
