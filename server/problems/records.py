"""Reading problems: one in the caller's scope, and the JSON shape every endpoint returns."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from server import permissions
from server.callers import Caller
from server.clock import local_iso
from server.db import db
from server.errors import NotFound
from server.models import Post, Problem, ProblemCategory, Unit, User

problems_t, categories_t, posts_t, units_t, users_t = (
    Problem.__table__, ProblemCategory.__table__, Post.__table__, Unit.__table__, User.__table__)
p = problems_t.c

STATUS_LABELS = {"open": "待交办", "assigned": "整改中", "fixed": "待验收", "verified": "已办结",
                 "rejected": "不予受理"}

COLUMNS = (
    *problems_t.c, categories_t.c.name.label("category_name"), posts_t.c.name.label("post_name"),
    posts_t.c.code.label("post_code"), posts_t.c.district_id.label("post_district_id"),
    units_t.c.name.label("unit_name"), users_t.c.name.label("reporter_name"),
)


def select_rows():
    return (sa.select(*COLUMNS).join(categories_t, categories_t.c.id == p.category_id)
            .outerjoin(posts_t, posts_t.c.id == p.post_id).outerjoin(units_t, units_t.c.id == p.unit_id)
            .join(users_t, users_t.c.id == p.reporter_id))


def overdue(today: date):
    """Past its deadline and not fixed: still with the unit after the deadline day."""
    return sa.and_(p.status == "assigned", p.deadline < today)


def in_scope(caller: Caller, problem_id: int) -> dict:
    """The problem, or 404 when it is missing or outside the caller's scope."""
    row = db.session.execute(select_rows().where(p.id == problem_id, permissions.problem_filter(caller))
                             ).mappings().first()
    if row is None:
        raise NotFound("找不到该问题", code="NOT_FOUND")
    return dict(row)


def own(caller: Caller, problem_id: int) -> dict:
    """One of the caller's own reports (the mini-program), or 404."""
    row = db.session.execute(select_rows().where(p.id == problem_id, p.reporter_id == caller.id)
                             ).mappings().first()
    if row is None:
        raise NotFound("找不到该问题", code="NOT_FOUND")
    return dict(row)


def by_id(problem_id: int) -> dict:
    """No scope check: for a caller that has just acted on the problem."""
    return dict(db.session.execute(select_rows().where(p.id == problem_id)).mappings().one())


def as_json(row: dict, tz, today: date, *, reporter: bool = True) -> dict:
    body = {
        "id": row["id"],
        "status": row["status"],
        "status_label": STATUS_LABELS[row["status"]],
        "category": {"id": row["category_id"], "name": row["category_name"]},
        "description": row["description"],
        "latitude": row["latitude"], "longitude": row["longitude"], "coordinate_system": "gcj02",
        "post": ({"id": row["post_id"], "name": row["post_name"], "code": row["post_code"]}
                 if row["post_id"] is not None else None),
        "unit": {"id": row["unit_id"], "name": row["unit_name"]} if row["unit_id"] is not None else None,
        "deadline": row["deadline"].isoformat() if row["deadline"] is not None else None,
        "overdue": row["status"] == "assigned" and row["deadline"] is not None and row["deadline"] < today,
        "assigned_at": local_iso(row["assigned_at"], tz),
        "fix_note": row["fix_note"],
        "fix_photo_id": row["fix_photo_id"],
        "fixed_at": local_iso(row["fixed_at"], tz),
        "closed_at": local_iso(row["closed_at"], tz),
        "status_reason": row["status_reason"],
        "duplicate_of_id": row["duplicate_of_id"],
        "created_at": local_iso(row["created_at"], tz),
        "updated_at": local_iso(row["updated_at"], tz),
    }
    if reporter:
        body["reporter"] = {"id": row["reporter_id"], "name": row["reporter_name"]}
    return body


def touch(row: dict, changes: dict, now: datetime) -> dict:
    """The row as it reads after ``changes``."""
    return {**row, **changes, "updated_at": now}
