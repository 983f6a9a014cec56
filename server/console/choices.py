"""The units, districts and posts a caller may pick from in a page's filters (their scope, nothing more)."""
from __future__ import annotations

import sqlalchemy as sa

from server import permissions
from server.callers import Caller
from server.db import db
from server.models import District, Post, Unit


def lists(caller: Caller) -> dict:
    return {
        "units": db.session.execute(sa.select(Unit).where(permissions.unit_filter(caller))
                                    .order_by(Unit.name)).scalars().all(),
        "districts": db.session.execute(sa.select(District).where(permissions.district_filter(caller))
                                        .order_by(District.name)).scalars().all(),
        "posts": db.session.execute(sa.select(Post).where(permissions.post_filter(caller))
                                    .order_by(Post.code)).scalars().all(),
    }
