"""The post a scanned code names: the signed code checked, old posters refused after a rotation,
inactive posts refused. Shared by scan-in and scan-out (server/checkin/shifts.py)."""
from __future__ import annotations

import sqlalchemy as sa

from qr import payload
from server.errors import ApiError
from server.fastsql import Prepared
from server.models import Post

posts_t = Post.__table__

# The post columns a scan needs, read by one prepared statement (the scan path's statements are
# compiled once: see server/fastsql.py).
POST_COLUMNS = (posts_t.c.id, posts_t.c.name, posts_t.c.code, posts_t.c.latitude, posts_t.c.longitude,
                posts_t.c.radius_m, posts_t.c.active, posts_t.c.qr_version, posts_t.c.require_photo_start,
                posts_t.c.scan_window)
_POST_FOR_SCAN = Prepared(sa.select(*POST_COLUMNS).where(posts_t.c.id == sa.bindparam("post_id")))


def verify_code(scanned: str, secret_key: str, public_base_url: str | None = None) -> payload.PostCode:
    try:
        return payload.verify(secret_key, scanned, public_base_url)
    except payload.InvalidPayload:
        raise ApiError("二维码无效，请扫描岗位上张贴的红马甲二维码", code="INVALID_QR", status=400)


def check_version(code: payload.PostCode, current_version: int | None) -> None:
    """Refuse codes of a post that does not exist, and old posters after a rotation."""
    if current_version is None or code.qr_version > current_version:
        raise ApiError("二维码无效，请扫描岗位上张贴的红马甲二维码", code="INVALID_QR", status=400)
    if code.qr_version < current_version:
        raise ApiError("该岗位二维码已更换，旧海报已作废，请向协调员索取新海报", code="QR_REVOKED",
                       status=410, post_id=code.post_id)


def resolve_post(scanned: str, secret_key: str, *, require_active_post: bool = True,
                 public_base_url: str | None = None):
    """The post a scanned code names, refusing forged, revoked and inactive codes."""
    code = verify_code(scanned, secret_key, public_base_url)
    return usable_post(code, _POST_FOR_SCAN.first({"post_id": code.post_id}), require_active_post)


def usable_post(code: payload.PostCode, post: dict | None, require_active_post: bool = True) -> dict:
    """``post`` (the row ``code`` names, or a row whose post columns are None) if scanning it is allowed."""
    check_version(code, post["qr_version"] if post is not None else None)
    if require_active_post and not post["active"]:
        raise ApiError("该岗位已停用，暂不能上岗", code="POST_INACTIVE", status=409, post_id=post["id"])
    return post
