"""Volunteers a unit listed before they registered (imported name, mobile and unit).

A volunteer who then registers in the mini-program with a listed mobile number is
matched to the row: they join its unit and the row points at them, so the list and
the registered person are one, not two.
"""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db


class ListedVolunteer(db.Model):
    __tablename__ = "listed_volunteers"
    id = sa.Column(sa.Integer, primary_key=True)
    unit_id = sa.Column(sa.Integer, sa.ForeignKey("units.id"), nullable=False, index=True)
    name = sa.Column(sa.String(50), nullable=False)
    phone = sa.Column(sa.String(11), nullable=False, unique=True)
    imported_at = sa.Column(UTCDateTime, nullable=False)
    imported_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), unique=True)  # set when they register
