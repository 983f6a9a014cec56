"""The reporter's subscription message when their problem is fixed.

A reporter who accepted the message when reporting (``notify``: the mini-program
calls wx.requestSubscribeMessage first) gets one, once: the fix marks the problem
``due``; right after the fix commits the message is claimed (due -> sending, one
conditional UPDATE, so two senders cannot both send) and sent, and the outcome is
recorded as in the slot reminders (sent, refused, failed, unreachable, no_openid).
A failure never undoes the fix.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from server.db import db
from server.errors import ValidationError
from server.models import Problem, ProblemCategory, User
from server.wechat import access_token, subscribe

log = logging.getLogger(__name__)
problems_t = Problem.__table__


@dataclass(frozen=True)
class Settings:
    template_id: str
    problem_key: str
    state_key: str
    note_key: str
    page: str

    @classmethod
    def from_config(cls, config) -> "Settings | None":
        """None when no template is configured (messages off)."""
        if not config["WECHAT_PROBLEM_TEMPLATE_ID"]:
            return None
        keys = [key.strip() for key in config["WECHAT_PROBLEM_FIELDS"].split(",")]
        if len(keys) != 3 or not all(keys):
            raise ValidationError("WECHAT_PROBLEM_FIELDS 应为三个模板字段名，如 thing1,phrase2,thing3",
                                  field="WECHAT_PROBLEM_FIELDS")
        return cls(config["WECHAT_PROBLEM_TEMPLATE_ID"], *keys, config["WECHAT_PROBLEM_PAGE"])


def send_if_due(problem_id: int, config) -> str | None:
    """Send the message if the problem's is due; the outcome, or None when nothing was due."""
    settings = Settings.from_config(config)
    if settings is None:
        return None
    claimed = db.session.execute(sa.update(problems_t).where(
        problems_t.c.id == problem_id, problems_t.c.notice_state == "due").values(notice_state="sending"))
    db.session.commit()
    if claimed.rowcount != 1:
        return None
    row = db.session.execute(
        sa.select(problems_t.c.id, problems_t.c.fix_note, ProblemCategory.name.label("category"), User.openid)
        .join(ProblemCategory, ProblemCategory.id == problems_t.c.category_id)
        .join(User, User.id == problems_t.c.reporter_id).where(problems_t.c.id == problem_id)).one()
    db.session.rollback()
    if not row.openid:
        result = "no_openid"
    else:
        try:
            result, errcode = subscribe.send(access_token.from_config(config), message(row, settings))
        except Exception:  # noqa: BLE001 - the fix is committed; a broken token cache must not fail it
            log.exception("subscribe/send problem=%s failed", problem_id)
            result, errcode = "failed", None
        if errcode is not None:
            log.warning("subscribe/send problem=%s errcode=%s", problem_id, errcode)
    db.session.execute(sa.update(problems_t).where(problems_t.c.id == problem_id).values(notice_state=result))
    db.session.commit()
    return result


def message(row, settings: Settings) -> dict:
    limit = subscribe.THING_MAX
    return {
        "touser": row.openid,
        "template_id": settings.template_id,
        "page": f"{settings.page}?id={row.id}",
        "lang": "zh_CN",
        "data": {
            settings.problem_key: {"value": f"您上报的{row.category}问题"[:limit]},
            settings.state_key: {"value": "已整改"},
            settings.note_key: {"value": (row.fix_note or "责任单位已整改，感谢您的上报")[:limit]},
        },
    }
