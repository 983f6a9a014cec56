from __future__ import annotations

import sqlalchemy as sa

from miniprogram_api import bp
from server.checkin import serialize
from server.checkin import geo
from server.checkin.location_signals import published_point
from server.db import db
from server.inputs import query_float, query_int
from server.models import Post


@bp.get("/posts/nearby")
def nearby():
    lat = query_float("latitude", low=-90, high=90)
    lng = query_float("longitude", low=-180, high=180)
    limit = query_int("limit", low=1, high=100, default=20)
    posts = db.session.execute(sa.select(Post).where(Post.active.is_(True))).scalars().all()
    # Distances from the published (rounded) point and to 10 m: exact ones from a few places
    # would give away the surveyed point that the rounding hides.
    ranked = sorted(((round(geo.haversine_m(lat, lng, *published_point(p.latitude, p.longitude)), -1), p)
                     for p in posts), key=lambda pair: pair[0])
    return {"items": [serialize.post(p, distance_m=d, published=True) for d, p in ranked[:limit]],
            "next_cursor": None}
