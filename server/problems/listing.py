"""The console's problem list: filtered, overdue first (earliest deadline first), then newest.

The county has hundreds of problems, not millions, so the opaque cursor is an offset.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from server import permissions
from server.callers import Caller
from server.db import db
from server.errors import ValidationError
from server.models import Post
from server.models.problems import PROBLEM_STATUSES
from server.problems import records

p = records.p


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    category_id: int | None = None
    unit_id: int | None = None
    district_id: int | None = None
    overdue: bool | None = None

    def check(self) -> "Filters":
        if self.status is not None and self.status not in PROBLEM_STATUSES:
            raise ValidationError(f"status 只能是 {'、'.join(PROBLEM_STATUSES)} 之一", field="status")
        return self


def problems(caller: Caller, filters: Filters, today: date, *, offset: int, limit: int) -> list[dict]:
    overdue = records.overdue(today)
    conditions = [permissions.problem_filter(caller)]
    if filters.status is not None:
        conditions.append(p.status == filters.status)
    if filters.category_id is not None:
        conditions.append(p.category_id == filters.category_id)
    if filters.unit_id is not None:
        conditions.append(p.unit_id == filters.unit_id)
    if filters.district_id is not None:
        conditions.append(p.post_id.in_(sa.select(Post.id).where(Post.district_id == filters.district_id)))
    if filters.overdue is not None:
        conditions.append(overdue if filters.overdue else sa.not_(overdue))
    order = (sa.case((overdue, 0), else_=1), sa.case((overdue, p.deadline), else_=None), p.id.desc())
    rows = db.session.execute(records.select_rows().where(*conditions).order_by(*order)
                              .offset(offset).limit(limit)).mappings()
    return [dict(row) for row in rows]


def encode_offset(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o{offset}".encode()).decode()


def decode_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        if text[:1] == "o" and text[1:].isdigit() and int(text[1:]) < 10**7:
            return int(text[1:])
    except (ValueError, UnicodeDecodeError):
        pass
    raise ValidationError("分页游标无效", field="cursor")
