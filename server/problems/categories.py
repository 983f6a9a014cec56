"""The configurable list of problem categories, each with its default deadline in working days."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.db import db
from server.errors import ValidationError
from server.models import ProblemCategory

# The county's list (交通秩序, 环境卫生...) with the working days a unit gets to fix each kind.
DEFAULTS = (("交通秩序", 3), ("环境卫生", 2), ("市容市貌", 5), ("公共设施", 5), ("文明行为", 3), ("其他", 5))


def active() -> list[ProblemCategory]:
    _install_defaults_if_empty()
    return list(db.session.execute(sa.select(ProblemCategory).where(ProblemCategory.active.is_(True))
                                   .order_by(ProblemCategory.position, ProblemCategory.id)).scalars())


def _install_defaults_if_empty() -> None:
    """A new installation starts with the default list; once any category exists (even a
    deactivated one) the list is the county's own."""
    if db.session.execute(sa.select(ProblemCategory.id).limit(1)).first() is not None:
        return
    try:
        db.session.add_all(ProblemCategory(name=name, deadline_working_days=days, position=n, active=True)
                           for n, (name, days) in enumerate(DEFAULTS, 1))
        db.session.commit()
    except IntegrityError:  # another request installed them first
        db.session.rollback()


def usable(category_id: int | None) -> ProblemCategory:
    """The active category a report names; 422 naming the field otherwise."""
    if category_id is None:
        raise ValidationError("请选择问题类别", field="category")
    _install_defaults_if_empty()
    found = db.session.get(ProblemCategory, category_id)
    if found is None or not found.active:
        raise ValidationError("问题类别不存在或已停用", field="category")
    return found


def as_json(category: ProblemCategory) -> dict:
    return {"id": category.id, "name": category.name, "deadline_working_days": category.deadline_working_days}
