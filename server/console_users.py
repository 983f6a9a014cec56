"""Console accounts and the county's organisation, managed by admins: create a console user with a role
and scope, reset their password, disable or re-enable them; add and rename units and districts. Every
change is audited. (Passwords themselves are server.accounts' business.)"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server import accounts, audit
from server.callers import Caller
from server.db import db
from server.errors import Conflict, Forbidden, NotFound, ValidationError
from server.models import District, Unit, User
from server.models.org import CONSOLE_ROLES

_USER_FIELDS = ("username", "name", "role", "scope_unit_id", "scope_district_id", "status")


def require_admin(caller: Caller) -> None:
    if caller.role != "admin":
        raise Forbidden("只有管理员可以管理账号和组织", code="FORBIDDEN")


def listing(caller: Caller) -> list[User]:
    require_admin(caller)
    return list(db.session.execute(sa.select(User).where(User.role.in_(CONSOLE_ROLES))
                                   .order_by(User.role, User.username)).scalars())


def _snapshot(user: User) -> dict:
    return {field: getattr(user, field) for field in _USER_FIELDS}


def create(caller: Caller, *, username: str, name: str, role: str, unit_id: int | None, district_id: int | None,
           password: str, now: datetime) -> User:
    require_admin(caller)
    if not 3 <= len(username) <= 64 or not username.isascii() or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ValidationError("用户名为 3 至 64 位字母、数字、. _ -", field="username")
    if role not in CONSOLE_ROLES:
        raise ValidationError("请选择角色", field="role")
    if role == "coordinator" and (unit_id is None) == (district_id is None):
        raise ValidationError("协调员须选择一个单位或一个片区（只选一个）", field="unit_id")
    if role != "coordinator":
        unit_id = district_id = None
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        raise ValidationError("找不到该单位", field="unit_id")
    if district_id is not None and db.session.get(District, district_id) is None:
        raise ValidationError("找不到该片区", field="district_id")
    user = User(username=username, name=name or username, role=role, scope_unit_id=unit_id,
                scope_district_id=district_id, status="active", created_at=now)
    accounts.set_password(user, password)
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("该用户名已被使用", code="USERNAME_TAKEN", field="username")
    audit.record(actor_id=caller.id, action="console_user_create", entity_type="user", entity_id=user.id,
                 before=None, after=_snapshot(user), reason=None, now=now)
    db.session.commit()
    return user


def _console_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.role not in CONSOLE_ROLES:
        raise NotFound("找不到该账号")
    return user


def reset_password(caller: Caller, user_id: int, password: str, now: datetime) -> User:
    require_admin(caller)
    user = _console_user(user_id)
    accounts.set_password(user, password)
    audit.record(actor_id=caller.id, action="console_user_reset_password", entity_type="user", entity_id=user.id,
                 before=None, after=None, reason=None, now=now)
    db.session.commit()
    return user


def set_enabled(caller: Caller, user_id: int, enabled: bool, now: datetime) -> User:
    require_admin(caller)
    user = _console_user(user_id)
    if user.id == caller.id:
        raise Forbidden("不能停用自己的账号", code="FORBIDDEN")
    before = _snapshot(user)
    user.status = "active" if enabled else "suspended"
    if not enabled:  # every token and console session the account holds ends at once
        user.credential_version = (user.credential_version or 0) + 1
    audit.record(actor_id=caller.id, action="console_user_enable" if enabled else "console_user_disable",
                 entity_type="user", entity_id=user.id, before=before, after=_snapshot(user), reason=None, now=now)
    db.session.commit()
    return user


def change_own_password(caller: Caller, old: str, new: str, now: datetime) -> User:
    user = db.session.get(User, caller.id)
    from werkzeug.security import check_password_hash
    if not user.password_hash or not check_password_hash(user.password_hash, old or ""):
        raise ValidationError("当前密码不正确", field="old_password")
    accounts.set_password(user, new)
    audit.record(actor_id=caller.id, action="own_password_change", entity_type="user", entity_id=user.id,
                 before=None, after=None, reason=None, now=now)
    db.session.commit()
    return user


# --- units and districts --------------------------------------------------------------------

_KINDS = {"unit": (Unit, "单位"), "district": (District, "片区")}


def organisation(caller: Caller) -> dict:
    require_admin(caller)
    return {kind: list(db.session.execute(sa.select(model).order_by(model.name)).scalars())
            for kind, (model, _) in _KINDS.items()}


def save_place(caller: Caller, kind: str, place_id: int | None, name: str, now: datetime):
    """Add (place_id None) or rename a unit or district; names are unique (the database says so)."""
    require_admin(caller)
    model, label = _KINDS[kind]
    if not 1 <= len(name) <= 100:
        raise ValidationError(f"请填写{label}名称（1 至 100 个字）", field="name")
    if place_id is None:
        row, before = model(name=name, created_at=now), None
        db.session.add(row)
    else:
        row = db.session.get(model, place_id)
        if row is None:
            raise NotFound(f"找不到该{label}")
        before = {"name": row.name}
        row.name = name
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"已有同名的{label}", code="NAME_TAKEN", field="name")
    audit.record(actor_id=caller.id, action=f"{kind}_{'create' if before is None else 'rename'}", entity_type=kind,
                 entity_id=row.id, before=before, after={"name": row.name}, reason=None, now=now)
    db.session.commit()
    return row
