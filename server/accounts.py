"""Logging in (WeChat or console password) and a volunteer's registration."""
from __future__ import annotations

import functools
import re
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from server import privacy, textsafety
from server.db import db
from server.errors import ApiError, Conflict, Forbidden, NotFound, ValidationError
from server.models import Unit, User

PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")
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


ERASED_PREFIX = "erased:"  # an erased account's openid; a real one never holds a colon


def login_wechat(openid: str, now: datetime) -> User:
    """Find or create the volunteer for an openid (two first logins at once make one user).
    A console account is never a volunteer too: it is refused here, not turned into one."""
    if openid.startswith(ERASED_PREFIX):
        raise ApiError("微信登录凭证无效，请重新进入小程序", code="WECHAT_CODE_INVALID", status=401)
    user = db.session.execute(sa.select(User).where(User.openid == openid)).scalar_one_or_none()
    if user is not None:
        if user.is_console:
            raise Forbidden("管理账号不能以志愿者身份使用小程序", code="CONSOLE_ACCOUNT")
        return user
    user = User(openid=openid, role="volunteer", status="active", created_at=now)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        user = db.session.execute(sa.select(User).where(User.openid == openid)).scalar_one()
    return user


def volunteer_fields(name, phone, unit_id) -> tuple[str, str]:
    """A volunteer's name and mobile, trimmed and checked, and their unit checked to exist;
    the same rules whether they register themselves or a coordinator adds them."""
    name = name.strip() if isinstance(name, str) else ""
    if not 1 <= len(name) <= 50:
        raise ValidationError("请填写姓名（1 至 50 个字）", field="name")
    textsafety.refuse_controls(name, "name", "姓名")
    phone = phone.strip() if isinstance(phone, str) else ""
    if not PHONE_RE.match(phone):
        raise ValidationError("请填写 11 位中国大陆手机号", field="phone")
    if isinstance(unit_id, bool) or not isinstance(unit_id, int) or db.session.get(Unit, unit_id) is None:
        raise ValidationError("请选择所在单位", field="unit_id")
    return name, phone


def register(user_id: int, name, phone, unit_id, now: datetime, *,
             privacy_version: str | None = None) -> tuple[User, bool]:
    """Record the volunteer's real name, mobile and unit, and their consent to the privacy
    notice (the view checked its version); returns (user, first_time)."""
    name, phone = volunteer_fields(name, phone, unit_id)
    user = db.session.get(User, user_id)
    first_time = user.registered_at is None
    listed = _listed(phone) if first_time else None
    if listed is not None:
        unit_id = listed.unit_id  # their unit listed them: they are that row, in that unit
        listed.user_id = user.id
    user.name, user.phone, user.unit_id = name, phone, unit_id
    if first_time:
        user.registered_at = now
    if privacy_version is not None:
        privacy.record(user, privacy_version, now)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("该手机号已被其他志愿者登记", code="PHONE_TAKEN", field="phone")
    return user, first_time


def _listed(phone: str):
    """The row a unit's imported list holds for this mobile, if nobody has registered with it yet."""
    from server.models import ListedVolunteer
    return db.session.execute(sa.select(ListedVolunteer).where(
        ListedVolunteer.phone == phone, ListedVolunteer.user_id.is_(None))).scalar_one_or_none()


def set_password(user: User, password: str) -> None:
    """A new password; every token and session issued under the old one ends (the caller commits)."""
    if not isinstance(password, str) or len(password) < 8:
        raise ValidationError("密码至少 8 位", field="password")
    if len(password) > 256:
        raise ValidationError("密码不能超过 256 位", field="password")
    user.password_hash = generate_password_hash(password)
    user.credential_version = (user.credential_version or 0) + 1


def change_own_password(user_id: int, old: str, new: str) -> User:
    """A console user changes their own password, proving they know the current one."""
    user = db.session.get(User, user_id)
    if not user.password_hash or not check_password_hash(user.password_hash, old or ""):
        raise ApiError("当前密码不正确", code="WRONG_PASSWORD", status=403, field="old_password")
    set_password(user, new)
    db.session.commit()
    return user


def console_user(username: str) -> User:
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound("找不到该用户", code="NOT_FOUND")
    return user


def reset_password(user: User, password: str) -> User:
    """An admin (or the command line) sets someone's password; their old sessions end."""
    set_password(user, password)
    db.session.commit()
    return user


def set_enabled(user: User, enabled: bool) -> User:
    """Disable or re-enable an account; disabling ends every token and session it holds."""
    user.status = "active" if enabled else "suspended"
    if not enabled:
        user.credential_version = (user.credential_version or 0) + 1
    db.session.commit()
    return user


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
    login_throttle.attempt(username, remote_addr, now)
    user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    ok = check_password_hash(user.password_hash if user and user.password_hash else _dummy_hash(), password)
    if user is None or not ok or not user.password_hash:
        login_throttle.record_failure(username, remote_addr, now)
        raise ApiError("用户名或密码错误", code="LOGIN_FAILED", status=401)
    if user.status != "active":
        raise ApiError("账号已被停用", code="ACCOUNT_SUSPENDED", status=403)
    login_throttle.clear(username, remote_addr)
    return user


def not_console() -> ApiError:
    return ApiError("该账号不能登录管理后台", code="FORBIDDEN", status=403)


def not_self() -> ApiError:
    return ApiError("不能停用自己的账号", code="FORBIDDEN", status=403)
