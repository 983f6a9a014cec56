"""Who: work units, districts (片区) and users of every role."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db

ROLES = ("volunteer", "coordinator", "leader", "admin")
CONSOLE_ROLES = ("coordinator", "leader", "admin")
USER_STATUSES = ("active", "suspended")


class Unit(db.Model):
    """A work unit (单位) whose staff serve as volunteers."""

    __tablename__ = "units"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False, unique=True)
    created_at = sa.Column(UTCDateTime, nullable=False)


class District(db.Model):
    """A district sub-command (片区分指挥部) that owns a set of posts."""

    __tablename__ = "districts"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False, unique=True)
    created_at = sa.Column(UTCDateTime, nullable=False)


class User(db.Model):
    """A volunteer (WeChat openid, or added by hand with a printed card) or a console user
    (username + password), or both.

    A coordinator is scoped to exactly one unit or one district; the check
    constraint keeps that true even for rows written outside the app.
    """

    __tablename__ = "users"
    id = sa.Column(sa.Integer, primary_key=True)
    openid = sa.Column(sa.String(64), unique=True)
    username = sa.Column(sa.String(64), unique=True)
    password_hash = sa.Column(sa.String(255))
    name = sa.Column(sa.String(50))
    phone = sa.Column(sa.String(11), unique=True)
    unit_id = sa.Column(sa.Integer, sa.ForeignKey("units.id"), index=True)
    role = sa.Column(sa.String(16), nullable=False, default="volunteer")
    scope_unit_id = sa.Column(sa.Integer, sa.ForeignKey("units.id"))
    scope_district_id = sa.Column(sa.Integer, sa.ForeignKey("districts.id"))
    status = sa.Column(sa.String(16), nullable=False, default="active")
    registered_at = sa.Column(UTCDateTime)
    created_at = sa.Column(UTCDateTime, nullable=False)
    # Bumped by a password change or reset, disabling and suspending: every token and console
    # session carries the version it was issued under, and an older one no longer opens anything.
    credential_version = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")
    # The privacy notice the volunteer last agreed to (PIPL), and when.
    privacy_version = sa.Column(sa.String(32))
    consented_at = sa.Column(UTCDateTime)
    # Set when the volunteer erased their account: name, phone and openid are gone, hours stay.
    erased_at = sa.Column(UTCDateTime)
    # The version of the volunteer's printed card (server/checkin/cards.py): a lost card is
    # revoked by bumping it, and the old card then answers 410 CARD_REVOKED.
    card_version = sa.Column(sa.Integer, nullable=False, default=1, server_default="1")

    __table_args__ = (
        sa.CheckConstraint(sa.text("role IN ('volunteer','coordinator','leader','admin')"), name="role"),
        sa.CheckConstraint(sa.text("status IN ('active','suspended')"), name="status"),
        sa.CheckConstraint(
            sa.text("(role = 'coordinator') = (scope_unit_id IS NOT NULL OR scope_district_id IS NOT NULL)"
                    " AND NOT (scope_unit_id IS NOT NULL AND scope_district_id IS NOT NULL)"),
            name="coordinator_scope"),
        # A volunteer a coordinator added by hand (no smartphone) has neither: registered, with a card.
        sa.CheckConstraint(sa.text("openid IS NOT NULL OR username IS NOT NULL OR registered_at IS NOT NULL"),
                           name="has_login"),
        sa.CheckConstraint(sa.text("card_version >= 1"), name="card_version"),
    )

    unit = db.relationship(Unit, foreign_keys=[unit_id], lazy="joined")

    @property
    def registered(self) -> bool:
        return self.registered_at is not None

    @property
    def is_console(self) -> bool:
        return self.role in CONSOLE_ROLES
