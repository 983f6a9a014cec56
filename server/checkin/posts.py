"""Managing posts: creating them and rotating their QR codes."""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from qr import payload
from server.db import db
from server.errors import NotFound, ValidationError
from server.models import AuditLog, District, Post
from server.models.posts import POST_KINDS


KIND_LABELS = {"intersection": "路口", "park": "公园", "community": "社区", "street": "街道", "other": "其他"}


def _validated(name, kind, district_id, latitude, longitude, radius_m) -> dict:
    name = (name or "").strip()
    if not name:
        raise ValidationError("请填写岗位名称", field="name")
    if len(name) > 100:
        raise ValidationError("岗位名称不能超过 100 个字", field="name")
    if kind not in POST_KINDS:
        raise ValidationError(f"岗位类型只能是 {'、'.join(POST_KINDS)} 之一", field="kind")
    if district_id is None or db.session.get(District, district_id) is None:
        raise ValidationError("片区不存在", field="district_id")
    if latitude is None or not -90 <= latitude <= 90:
        raise ValidationError("纬度应在 -90～90 之间", field="latitude")
    if longitude is None or not -180 <= longitude <= 180:
        raise ValidationError("经度应在 -180～180 之间", field="longitude")
    radius = radius_m or int(current_app.config["GEOFENCE_DEFAULT_RADIUS_M"])
    if not 10 <= radius <= 5000:
        raise ValidationError("打卡范围应在 10～5000 米之间", field="radius_m")
    return dict(name=name, kind=kind, district_id=district_id, latitude=latitude, longitude=longitude,
                radius_m=radius)


def create(*, name: str, kind: str, district_id: int, latitude: float, longitude: float,
           radius_m: int | None, now: datetime, code: str | None = None, require_photo_start: bool = False,
           scan_window: bool = False) -> Post:
    fields = _validated(name, kind, district_id, latitude, longitude, radius_m)
    post = Post(**fields, active=True, qr_version=1, created_at=now, code=code,
                require_photo_start=bool(require_photo_start), scan_window=bool(scan_window))
    db.session.add(post)
    db.session.flush()
    if post.code is None:
        post.code = f"P{post.id:04d}"
    db.session.commit()
    return post


def update(post: Post, *, name, kind, district_id, latitude, longitude, radius_m, active: bool,
           actor_id: int | None, now: datetime, require_photo_start: bool | None = None,
           scan_window: bool | None = None) -> Post:
    """Edit a post; the change is recorded in the audit log. Moving it does not change its QR code.
    The stricter settings (server/checkin/post_rules.py) stay as they are when not given."""
    fields = _validated(name, kind, district_id, latitude, longitude, radius_m)
    fields["active"] = bool(active)
    for key, value in (("require_photo_start", require_photo_start), ("scan_window", scan_window)):
        fields[key] = getattr(post, key) if value is None else bool(value)
    before = {k: getattr(post, k) for k in fields}
    for key, value in fields.items():
        setattr(post, key, value)
    changed = {k: v for k, v in fields.items() if before[k] != v}
    if changed:
        db.session.add(AuditLog(at=now, actor_id=actor_id, action="edit_post", entity_type="post",
                                entity_id=post.id, before={k: before[k] for k in changed}, after=changed))
    db.session.commit()
    return post


def rotate_qr(post: Post, *, actor_id: int | None, now: datetime, reason: str | None = None) -> Post:
    """Bump the QR version: every poster printed before is refused from now on, in every process,
    because scans compare against the database, not a cache."""
    before = post.qr_version
    post.qr_version = Post.qr_version + 1  # atomic in SQL, safe against a concurrent rotation
    db.session.flush()
    db.session.refresh(post)
    db.session.add(AuditLog(at=now, actor_id=actor_id, action="rotate_qr", entity_type="post",
                            entity_id=post.id, before={"qr_version": before},
                            after={"qr_version": post.qr_version}, reason=reason))
    db.session.commit()
    return post


def get(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None:
        raise NotFound("找不到该岗位")
    return post


def qr_url(post: Post) -> str:
    cfg = current_app.config
    return payload.make_url(cfg["PUBLIC_BASE_URL"], cfg["SECRET_KEY"], post.id, post.qr_version)


def qr_scene(post: Post) -> str:
    return payload.make_token(current_app.config["SECRET_KEY"], post.id, post.qr_version)
