"""Post leaders (岗长): the volunteers who may check a group in and out at a post with their
printed cards (server/checkin/group_checkin.py).

A coordinator of the post's district or an admin names them (the console, the command line);
``caller`` None is the command line, which may do anything. Every change is in the audit trail.
A post outside the caller's sight is 404; one they see but may not manage is 403.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from server import audit, permissions
from server.callers import Caller
from server.clock import local_iso
from server.db import db
from server.errors import Forbidden, NotFound
from server.models import Post, PostLeader, Unit, User

leaders_t, users_t, units_t = PostLeader.__table__, User.__table__, Unit.__table__


def _post(caller: Caller | None, post_id: int, *, manage: bool) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound("找不到该岗位")
    if caller is None:
        return post
    visible = db.session.execute(sa.select(Post.id).where(Post.id == post_id, permissions.post_filter(caller))).first()
    if visible is None:
        raise NotFound("找不到该岗位")
    if manage and not permissions.may_manage_post(caller, post.district_id):
        raise Forbidden("只有管理员和本片区协调员可以设置岗长")
    return post


def _volunteer(volunteer_id: int) -> User:
    user = db.session.get(User, volunteer_id)
    if user is None or user.registered_at is None or user.erased_at is not None or user.role != "volunteer":
        raise NotFound("找不到该志愿者（须为已登记的志愿者）")
    return user


def list_for(caller: Caller | None, post_id: int, tz) -> list[dict]:
    _post(caller, post_id, manage=False)
    rows = db.session.execute(
        sa.select(users_t.c.id, users_t.c.name, users_t.c.status, units_t.c.id.label("unit_id"),
                  units_t.c.name.label("unit_name"), leaders_t.c.added_at)
        .join(users_t, users_t.c.id == leaders_t.c.volunteer_id)
        .outerjoin(units_t, units_t.c.id == users_t.c.unit_id)
        .where(leaders_t.c.post_id == post_id).order_by(leaders_t.c.id)).mappings().all()
    return [{"id": r["id"], "name": r["name"], "status": r["status"],
             "unit": {"id": r["unit_id"], "name": r["unit_name"]} if r["unit_id"] else None,
             "added_at": local_iso(r["added_at"], tz)} for r in rows]


def add(caller: Caller | None, post_id: int, volunteer_id: int, now: datetime) -> bool:
    """Make the volunteer a leader of the post; False when they already were (nothing changes)."""
    post = _post(caller, post_id, manage=True)
    volunteer = _volunteer(volunteer_id)
    if is_leader(volunteer.id, post.id):
        return False
    db.session.add(PostLeader(post_id=post.id, volunteer_id=volunteer.id, added_at=now,
                              added_by_id=caller.id if caller else None))
    audit.record(actor_id=caller.id if caller else None, action="post_leader_add", entity_type="post",
                 entity_id=post.id, before=None, after={"leader_id": volunteer.id, "leader_name": volunteer.name},
                 reason=None, now=now)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # added at the same moment by someone else: the same outcome
        db.session.rollback()
        return False
    return True


def remove(caller: Caller | None, post_id: int, volunteer_id: int, now: datetime) -> None:
    post = _post(caller, post_id, manage=True)
    row = db.session.execute(sa.select(PostLeader).where(
        PostLeader.post_id == post.id, PostLeader.volunteer_id == volunteer_id)).scalar_one_or_none()
    if row is None:
        raise NotFound("该志愿者不是本岗位的岗长")
    name = db.session.execute(sa.select(users_t.c.name).where(users_t.c.id == volunteer_id)).scalar()
    db.session.delete(row)
    audit.record(actor_id=caller.id if caller else None, action="post_leader_remove", entity_type="post",
                 entity_id=post.id, before={"leader_id": volunteer_id, "leader_name": name}, after=None,
                 reason=None, now=now)
    db.session.commit()


def is_leader(volunteer_id: int, post_id: int) -> bool:
    return db.session.execute(sa.select(sa.exists().where(
        leaders_t.c.post_id == post_id, leaders_t.c.volunteer_id == volunteer_id))).scalar()


def posts_led_by(volunteer_id: int) -> list[int]:
    return list(db.session.execute(sa.select(leaders_t.c.post_id).where(
        leaders_t.c.volunteer_id == volunteer_id).order_by(leaders_t.c.post_id)).scalars())


def refuse_unless_leader(volunteer_id: int, post_id: int) -> None:
    if db.session.get(Post, post_id) is None:
        raise NotFound("找不到该岗位")
    if not is_leader(volunteer_id, post_id):
        raise Forbidden("您不是该岗位的岗长，不能代签", code="NOT_POST_LEADER")

