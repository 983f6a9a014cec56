"""A post's leaders (岗长): list, add, remove (server/checkin/post_leaders.py)."""
from __future__ import annotations

from server import callers
from server.checkin import post_leaders
from server.clock import county_zone, utcnow
from server.console_api import bp
from server.errors import ValidationError
from server.inputs import json_body


@bp.get("/posts/<int:post_id>/leaders")
def list_post_leaders(post_id: int):
    return {"items": post_leaders.list_for(callers.current(), post_id, county_zone()), "next_cursor": None}


@bp.post("/posts/<int:post_id>/leaders")
def add_post_leader(post_id: int):
    body = json_body()
    volunteer_id = body.get("volunteer_id")
    if isinstance(volunteer_id, bool) or not isinstance(volunteer_id, int) or not 1 <= volunteer_id <= 2**31 - 1:
        raise ValidationError("请选择志愿者 volunteer_id", field="volunteer_id")
    added = post_leaders.add(callers.current(), post_id, volunteer_id, utcnow())
    items = post_leaders.list_for(callers.current(), post_id, county_zone())
    return {"items": items, "next_cursor": None}, 201 if added else 200


@bp.delete("/posts/<int:post_id>/leaders/<int:volunteer_id>")
def remove_post_leader(post_id: int, volunteer_id: int):
    post_leaders.remove(callers.current(), post_id, volunteer_id, utcnow())
    return "", 204
