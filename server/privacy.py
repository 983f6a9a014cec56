"""The privacy notice and volunteers' consent to it (PIPL arts. 13-17).

The notice's version is configuration (``PRIVACY_VERSION``); the backend serves
the notice itself at /privacy unless ``PRIVACY_URL`` points elsewhere.
Registering requires agreeing to the current version; when the version
changes, a volunteer must agree again before their hours are recorded.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from server.db import db
from server.errors import ApiError, Forbidden
from server.models import PersonalDataAccess, PrivacyConsent, User


def current_version() -> str:
    return current_app.config["PRIVACY_VERSION"]


def notice_url() -> str:
    cfg = current_app.config
    return cfg["PRIVACY_URL"] or cfg["PUBLIC_BASE_URL"].rstrip("/") + "/privacy"


def consent_needed(privacy_version: str | None, registered: bool) -> bool:
    return registered and privacy_version != current_version()


def require_consent(caller) -> None:
    if consent_needed(caller.privacy_version, caller.registered):
        raise Forbidden("隐私政策已更新，请阅读并同意后继续", code="CONSENT_REQUIRED",
                        privacy_version=current_version())


def check_version(value) -> str:
    """422 CONSENT_REQUIRED unless the client agreed to exactly the current notice."""
    if value != current_version():
        raise ApiError("请阅读并同意最新的隐私政策", code="CONSENT_REQUIRED", status=422,
                       field="privacy_version", privacy_version=current_version())
    return value


def record(user: User, version: str, now: datetime) -> None:
    """The consent and its time, on the user and in the history (the caller commits)."""
    user.privacy_version, user.consented_at = version, now
    db.session.add(PrivacyConsent(user_id=user.id, version=version, at=now))


def log_access(actor_id: int | None, action: str, now: datetime, *, subject_id: int | None = None,
               detail: str | None = None) -> None:
    """One line in the admins' log of personal-data actions (commits)."""
    db.session.add(PersonalDataAccess(actor_id=actor_id, action=action, subject_id=subject_id,
                                      detail=(detail or "")[:300] or None, at=now))
    db.session.commit()
