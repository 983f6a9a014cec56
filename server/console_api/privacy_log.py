"""The admins' log of console actions on personal data: exports, full phones shown, searches by
number, erasures (PIPL art. 51 asks for such records)."""
from __future__ import annotations

import sqlalchemy as sa

from server import callers, permissions
from server.clock import local_iso
from server.console_api import bp
from server.db import db
from server.inputs import query_int
from server.models import PersonalDataAccess, User


@bp.get("/personal-data-log")
def personal_data_log():
    permissions.require_role(callers.current(), "admin")
    limit = query_int("limit", low=1, high=500, default=100)
    before = query_int("cursor", low=1, high=2**31 - 1, default=None)
    query = (sa.select(PersonalDataAccess, User.username, User.name).outerjoin(User, User.id == PersonalDataAccess.actor_id)
             .order_by(PersonalDataAccess.id.desc()).limit(limit + 1))
    if before is not None:
        query = query.where(PersonalDataAccess.id < before)
    rows = db.session.execute(query).all()
    items = [{"id": row.id, "at": local_iso(row.at), "action": row.action, "actor_id": row.actor_id,
              "actor": username or name, "subject_id": row.subject_id, "detail": row.detail}
             for row, username, name in rows[:limit]]
    return {"items": items, "next_cursor": str(rows[limit - 1][0].id) if len(rows) > limit else None}
