"""The configurable list of problem categories, each with its default deadline in working days."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import db
from server.errors import ValidationError
from server.models import ProblemCategory


def active() -> list[ProblemCategory]:
    return list(db.session.execute(sa.select(ProblemCategory).where(ProblemCategory.active.is_(True))
                                   .order_by(ProblemCategory.position, ProblemCategory.id)).scalars())


def usable(category_id: int | None) -> ProblemCategory:
    """The active category a report names; 422 naming the field otherwise."""
    if category_id is None:
        raise ValidationError("请选择问题类别", field="category")
    found = db.session.get(ProblemCategory, category_id)
    if found is None or not found.active:
        raise ValidationError("问题类别不存在或已停用", field="category")
    return found


def as_json(category: ProblemCategory) -> dict:
    return {"id": category.id, "name": category.name, "deadline_working_days": category.deadline_working_days}
