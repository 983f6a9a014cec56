"""Logging in (WeChat or console password) and a volunteer's registration."""
from __future__ import annotations

import functools
import re
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from server.db import db
from server.errors import ApiError, Conflict, ValidationError
from server.models import Unit, User

PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
DEV_CODE_PREFIX = "dev:"


def openid_for_code(code: str, *, dev_allowed: bool, wechat) -> str:
    """The openid a wx.login code stands for. ``dev:<id>`` works only without WeChat credentials,
    and then it is the only code that works: WeChat is called only when an AppID is configured."""
    if code.startswith(DEV_CODE_PREFIX):
        if not dev_allowed:
            raise ApiError("微信登录凭证无效，请重新进入小程序", code="WECHAT_CODE_INVALID", status=401)
        openid = code[len(DEV_CODE_PREFIX):].strip()
        if not openid or len(openid) > 64:
            raise ValidationError("开发登录码格式应为 dev:<编号>", field="code")
        return openid
    if dev_allowed:
        # Dev mode has no AppID: WeChat would refuse any code, so the caller's mistake is the code.
        raise ApiError("开发模式（未配置微信 AppID）下登录凭证应为 dev:<编号>，如 dev:zhangsan",
                       code="WECHAT_CODE_INVALID", status=401)
    return wechat().code2session(code)


def login_wechat(openid: str, now: datetime) -> User:
    """Find or create the volunteer for an openid (two first logins at once make one user)."""
    user = db.session.execute(sa.select(User).where(User.openid == openid)).scalar_one_or_none()
    if user is not None:
        return user
    user = User(openid=openid, role="volunteer", status="active", created_at=now)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        user = db.session.execute(sa.select(User).where(User.openid == openid)).scalar_one()
    return user


def register(user_id: int, name, phone, unit_id, now: datetime) -> tuple[User, bool]:
    """Record the volunteer's real name, mobile and unit; returns (user, first_time)."""
    name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= 50:
        raise ValidationError("请填写姓名（1 至 50 个字）", field="name")
    phone = phone.strip() if isinstance(phone, str) else ""
    if not PHONE_RE.match(phone):
        raise ValidationError("请填写 11 位中国大陆手机号", field="phone")
    if isinstance(unit_id, bool) or not isinstance(unit_id, int) or db.session.get(Unit, unit_id) is None:
        raise ValidationError("请选择所在单位", field="unit_id")
    user = db.session.get(User, user_id)
    first_time = user.registered_at is None
    user.name, user.phone, user.unit_id = name, phone, unit_id
    if first_time:
        user.registered_at = now
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("该手机号已被其他志愿者登记", code="PHONE_TAKEN", field="phone")
    return user, first_time


def set_password(user: User, password: str) -> None:
    if len(password) < 8:
        raise ValidationError("密码至少 8 位", field="password")
    user.password_hash = generate_password_hash(password)


@functools.cache
def _dummy_hash() -> str:
    """A real hash to compare against when the username is unknown, so both cases take as long.
    Made on first use: hashing costs a tenth of a second every command would otherwise pay."""
    return generate_password_hash("redvest-timing-equaliser")


def check_console_login(username: str, password: str, *, remote_addr: str | None = None,
                        now: datetime | None = None) -> User:
    """Check a console sign-in; refuses while locked out after repeated failures."""
    from server import login_throttle
    from server.clock import utcnow

    now = now or utcnow()
    login_throttle.check(username, remote_addr, now)
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    ok = check_password_hash(user.password_hash if user and user.password_hash else _dummy_hash(), password)
    if user is None or not ok or not user.password_hash:
        login_throttle.record_failure(username, remote_addr, now)
        raise ApiError("用户名或密码错误", code="LOGIN_FAILED", status=401)
    if user.status != "active":
        raise ApiError("账号已被停用", code="ACCOUNT_SUSPENDED", status=403)
    login_throttle.clear(username)
    return user
