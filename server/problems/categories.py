"""The configurable list of problem categories, each with its default deadline in working days."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server.db import db
from server.callers import Caller
from server.errors import Forbidden, NotFound, ValidationError
from server.inputs import boolean, integer, string
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


def usable(value: int | str | None) -> ProblemCategory:
    """The active category a report names, by id (as the list gives it) or by name; 422 naming
    the field otherwise."""
    if value is None:
        raise ValidationError("请选择问题类别", field="category")
    _install_defaults_if_empty()
    if isinstance(value, str):
        found = db.session.execute(sa.select(ProblemCategory).where(ProblemCategory.name == value.strip())).scalar()
    else:
        found = db.session.get(ProblemCategory, value)
    if found is None or not found.active:
        raise ValidationError("问题类别不存在或已停用", field="category")
    return found


def as_json(category: ProblemCategory) -> dict:
    return {"id": category.id, "name": category.name, "deadline_working_days": category.deadline_working_days,
            "active": category.active}


def save(caller: Caller, category_id: int | None, body: dict) -> ProblemCategory:
    """Add a category (``category_id`` None) or change one: admins only. A category in use is
    deactivated rather than deleted, so old problems keep their name."""
    if caller.role != "admin":
        raise Forbidden("只有管理员可以设置问题类别", code="FORBIDDEN")
    _install_defaults_if_empty()
    category = ProblemCategory(position=len(DEFAULTS) + 1, active=True) if category_id is None \
        else db.session.get(ProblemCategory, category_id)
    if category is None:
        raise NotFound("找不到该问题类别")
    name = string(body, "name", max_length=20, label="类别名称", required=category_id is None)
    days = integer(body, "deadline_working_days", low=1, high=60, label="默认整改期限（工作日）")
    if category_id is None and days is None:
        raise ValidationError("缺少默认整改期限（工作日）", field="deadline_working_days")
    if name is not None:
        taken = db.session.execute(sa.select(ProblemCategory.id).where(ProblemCategory.name == name)).scalar()
        if taken is not None and taken != category_id:
            raise ValidationError("已有同名的问题类别", field="name")
        category.name = name
    if days is not None:
        category.deadline_working_days = days
    category.active = boolean(body, "active", default=category.active)
    db.session.add(category)
    try:
        db.session.commit()
    except IntegrityError:  # the same name saved at the same moment
        db.session.rollback()
        raise ValidationError("已有同名的问题类别", field="name")
    return category
