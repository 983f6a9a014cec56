"""Reminders before a slot: WeChat subscription messages, sent from cron.

``flask --app server reminders send`` (every few minutes) sends one message
to each volunteer assigned to a slot that starts within REMINDER_LEAD_MINUTES.

At most once per slot and volunteer: a row in ``slot_reminders`` is claimed
(unique pair, committed) before WeChat is called, so two overlapping cron runs
cannot both send, and a run that dies mid-call never sends again. Every
outcome is recorded: ``sent``, ``refused`` (43101: the volunteer has no
accepted subscription left), ``failed`` (another errcode), ``unreachable``.

A one-time subscription allows one message per acceptance, so after a 43101
the volunteer is skipped for later slots too, until the mini-program reports
a fresh acceptance (POST /api/mp/v1/me/reminder-consent), instead of being
tried again before every slot forever.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.wechat import subscribe
from server.wechat.access_token import AccessTokens
from server.db import db
from server.errors import ValidationError
from server.models import DutySlot, Post, ReminderConsent, SlotAssignment, SlotReminder, User

log = logging.getLogger(__name__)

assign_t, slots_t, reminders_t = SlotAssignment.__table__, DutySlot.__table__, SlotReminder.__table__
SEND_PATH, REFUSED, THING_MAX = subscribe.SEND_PATH, subscribe.REFUSED, subscribe.THING_MAX


@dataclass(frozen=True)
class Settings:
    template_id: str
    post_key: str
    time_key: str
    tip_key: str
    page: str
    lead: timedelta
    tz: object

    @classmethod
    def from_config(cls, config, tz) -> "Settings":
        keys = [key.strip() for key in config["WECHAT_REMINDER_FIELDS"].split(",")]
        if len(keys) != 3 or not all(keys):
            raise ValidationError("WECHAT_REMINDER_FIELDS 应为三个模板字段名，如 thing1,time2,thing3",
                                  field="WECHAT_REMINDER_FIELDS")
        return cls(config["WECHAT_REMINDER_TEMPLATE_ID"], keys[0], keys[1], keys[2],
                   config["WECHAT_REMINDER_PAGE"], timedelta(minutes=config["REMINDER_LEAD_MINUTES"]), tz)


def due(now: datetime, lead: timedelta) -> list:
    """Assignments whose slot starts within ``lead`` and that have no reminder yet,
    leaving out volunteers whose last answer was a refusal not followed by consent."""
    consents_t = ReminderConsent.__table__
    refused_since = sa.exists(
        sa.select(reminders_t.c.id)
        .outerjoin(consents_t, consents_t.c.volunteer_id == reminders_t.c.volunteer_id)
        .where(reminders_t.c.volunteer_id == assign_t.c.volunteer_id, reminders_t.c.result == "refused",
               sa.or_(consents_t.c.accepted_at.is_(None), reminders_t.c.sent_at > consents_t.c.accepted_at)))
    already = sa.exists().where(reminders_t.c.slot_id == assign_t.c.slot_id,
                                reminders_t.c.volunteer_id == assign_t.c.volunteer_id)
    return db.session.execute(
        sa.select(assign_t.c.slot_id, assign_t.c.volunteer_id, assign_t.c.starts_at, assign_t.c.ends_at,
                  User.openid, Post.name.label("post_name"))
        .join(User, User.id == assign_t.c.volunteer_id).join(slots_t, slots_t.c.id == assign_t.c.slot_id)
        .join(Post, Post.id == slots_t.c.post_id)
        .where(assign_t.c.starts_at > now, assign_t.c.starts_at <= now + lead, ~already, ~refused_since,
               User.status == "active")
        .order_by(assign_t.c.starts_at, assign_t.c.id)).all()


def send_due(now: datetime, settings: Settings, tokens: AccessTokens) -> dict:
    counts = {"sent": 0, "refused": 0, "failed": 0, "unreachable": 0, "no_openid": 0, "skipped": 0}
    for row in due(now, settings.lead):
        if not _claim(row.slot_id, row.volunteer_id, now, "sending" if row.openid else "no_openid"):
            counts["skipped"] += 1  # another run got there first
            continue
        if not row.openid:
            counts["no_openid"] += 1
            continue
        result, errcode = _send(tokens, row, settings)
        db.session.execute(sa.update(reminders_t).where(
            reminders_t.c.slot_id == row.slot_id, reminders_t.c.volunteer_id == row.volunteer_id)
            .values(result=result, errcode=errcode))
        db.session.commit()
        counts[result] += 1
    return counts


def _claim(slot_id: int, volunteer_id: int, now: datetime, result: str) -> bool:
    try:
        db.session.execute(sa.insert(reminders_t).values(
            slot_id=slot_id, volunteer_id=volunteer_id, sent_at=now, result=result))
        db.session.commit()
        return True
    except IntegrityError:
        db.session.rollback()
        return False


def _send(tokens: AccessTokens, row, settings: Settings) -> tuple[str, int | None]:
    result, errcode = subscribe.send(tokens, message(row, settings))
    if errcode is not None:
        log.warning("subscribe/send slot=%s volunteer=%s errcode=%s", row.slot_id, row.volunteer_id, errcode)
    return result, errcode


def message(row, settings: Settings) -> dict:
    begins, ends = row.starts_at.astimezone(settings.tz), row.ends_at.astimezone(settings.tz)
    return {
        "touser": row.openid,
        "template_id": settings.template_id,
        "page": f"{settings.page}?slot_id={row.slot_id}",
        "lang": "zh_CN",
        "data": {
            settings.post_key: {"value": row.post_name[:THING_MAX]},
            settings.time_key: {"value": f"{begins.year}年{begins.month}月{begins.day}日 "
                                         f"{begins:%H:%M}~{ends:%H:%M}"},
            settings.tip_key: {"value": "请按时到岗，扫码上岗"},
        },
    }


def consent(volunteer_id: int, now: datetime) -> None:
    """The volunteer accepted reminders in the mini-program: try them again from now on."""
    row = db.session.get(ReminderConsent, volunteer_id)
    if row is None:
        db.session.add(ReminderConsent(volunteer_id=volunteer_id, accepted_at=now))
    else:
        row.accepted_at = now
    db.session.commit()


def status_of(slot_ids: list[int], volunteer_id: int) -> dict[int, str]:
    if not slot_ids:
        return {}
    rows = db.session.execute(sa.select(reminders_t.c.slot_id, reminders_t.c.result).where(
        reminders_t.c.slot_id.in_(slot_ids), reminders_t.c.volunteer_id == volunteer_id))
    return {slot_id: result for slot_id, result in rows}
