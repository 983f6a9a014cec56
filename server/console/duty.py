"""On duty now (a board that refreshes itself) and who was on duty at a post and time."""
from __future__ import annotations

import sqlalchemy as sa
from flask import g, render_template, request

from server import permissions
from server.evidence import photos as photo_service
from server.clock import utcnow
from server.console import api, bp
from server.console_api import duty as duty_api
from server.db import db
from server.errors import ApiError
from server.models import Post


@bp.get("/duty/now")
def duty_now():
    return render_template("console/duty_now.html", board=api.read(duty_api.duty_now))


@bp.get("/duty")
def duty_lookup():
    posts = db.session.execute(sa.select(Post).where(permissions.post_filter(g.caller))
                               .order_by(Post.code)).scalars().all()
    answer, error, photos = None, None, {}
    if request.args.get("post_id") and (request.args.get("at") or request.args.get("date")):
        try:
            answer = api.read(duty_api.duty_query)
        except ApiError as err:
            error = err.message
        else:
            rows = answer.get("on_duty") or answer.get("shifts") or []
            photos = photo_service.thumbnails_for_shifts([r["shift_id"] for r in rows], g.caller, utcnow())
    return render_template("console/duty_lookup.html", posts=posts, answer=answer, error=error, photos=photos,
                           args=request.args, may_change=permissions.may_change_shifts(g.caller)), 422 if error else 200
