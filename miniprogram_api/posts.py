from __future__ import annotations

import sqlalchemy as sa

from miniprogram_api import bp
from server.checkin import serialize
from server.checkin import geo
from server.db import db
from server.inputs import query_float, query_int
from server.models import Post


@bp.get("/posts/nearby")
def nearby():
    lat = query_float("latitude", low=-90, high=90)
    lng = query_float("longitude", low=-180, high=180)
    limit = query_int("limit", low=1, high=100, default=20)
    posts = db.session.execute(sa.select(Post).where(Post.active.is_(True))).scalars().all()
    ranked = sorted(((geo.haversine_m(lat, lng, p.latitude, p.longitude), p) for p in posts),
                    key=lambda pair: pair[0])
    return {"items": [serialize.post(p, distance_m=d) for d, p in ranked[:limit]], "next_cursor": None}
