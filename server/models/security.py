"""Sign-in throttling, revoked tokens, privacy consents and the log of personal-data access."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db


class LoginFailure(db.Model):
    """Kept for history; the lockout itself counts in ``login_attempts``."""

    __tablename__ = "login_failures"
    id = sa.Column(sa.Integer, primary_key=True)
    username = sa.Column(sa.String(64), nullable=False)
    remote_addr = sa.Column(sa.String(64))
    at = sa.Column(UTCDateTime, nullable=False)

    __table_args__ = (sa.Index("ix_login_failures_username_at", "username", "at"),
                      sa.Index("ix_login_failures_remote_addr_at", "remote_addr", "at"))


class LoginAttempt(db.Model):
    """One counter per key ("u+a:<name>|<addr>", "a:<addr>", "u:<name>") and window, raised by a
    single upsert statement so parallel guesses cannot all pass a count taken before any landed."""

    __tablename__ = "login_attempts"
    key = sa.Column(sa.String(200), primary_key=True)
    window_start = sa.Column(UTCDateTime, nullable=False)
    count = sa.Column(sa.Integer, nullable=False)
    last_at = sa.Column(UTCDateTime, nullable=False)
    previous_at = sa.Column(UTCDateTime)  # the attempt before the last, for the slow-down


class RevokedToken(db.Model):
    """Logged-out tokens and console sessions, kept only until they would have expired anyway."""

    __tablename__ = "revoked_tokens"
    token_id = sa.Column(sa.String(32), primary_key=True)
    expires_at = sa.Column(UTCDateTime, nullable=False, index=True)


class PrivacyConsent(db.Model):
    """A volunteer agreed to a version of the privacy notice (PIPL art. 14: consent is recorded)."""

    __tablename__ = "privacy_consents"
    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True)
    version = sa.Column(sa.String(32), nullable=False)
    at = sa.Column(UTCDateTime, nullable=False)


class PersonalDataAccess(db.Model):
    """A console action on personal data: an export, a full phone shown, a search by number,
    an erasure. Admins read it; nothing updates it."""

    __tablename__ = "personal_data_access"
    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(UTCDateTime, nullable=False, index=True)
    actor_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"))
    action = sa.Column(sa.String(32), nullable=False)
    subject_id = sa.Column(sa.Integer)
    detail = sa.Column(sa.String(300))
