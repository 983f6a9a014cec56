"""Posters, bare QR codes and QR rotation for the console.

Who may do what (``server.permissions``):

- posters and QR images of a post or district: its district's coordinators,
  leaders and admins; anyone else in a console role gets 404, as if the post
  did not exist (a unit coordinator, another district's coordinator);
- rotating a post's QR code: admins and its district's coordinators. A leader
  may print that post's posters, so the post is no secret to them: they get
  403. Everyone else gets 404, as above.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import request, send_file
from flask.typing import ResponseReturnValue

from server import callers, permissions
from server.checkin import serialize
from server.checkin import posts as post_service
from server.clock import utcnow
from server.db import db
from server.errors import BadRequest, Forbidden, NotFound, ServiceUnavailable, ValidationError
from server.console_api import bp
from server.inputs import query_int, string
from server.models import District, Post

if TYPE_CHECKING:  # Pillow and the poster drawing load with the first poster, not the app
    from server.checkin import posters

log = logging.getLogger(__name__)

_MIMETYPES = {"png": "image/png", "pdf": "application/pdf"}
_PRIVATE = {"Cache-Control": "private, no-cache"}


def _printable_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id)
    if post is None or not permissions.may_print_posters(callers.current(), post.district_id):
        raise NotFound("找不到该岗位")
    return post


def _send(batch: posters.Batch, kind: str, download_name: str) -> ResponseReturnValue:
    from server.checkin import posters

    try:
        font_file = posters.font()
    except posters.FontMissing as exc:
        log.error("cannot print posters: %s", exc)
        raise ServiceUnavailable("海报字体缺失，暂时无法生成海报，请联系管理员", code="POSTER_FONT_MISSING") from None
    try:
        path = posters.cached_file(batch, kind, font_file)
    except posters.FontMissing as exc:  # a name with a character the font cannot draw
        log.warning("poster refused: %s", exc)
        raise ValidationError("岗位或片区名称中有海报字体无法显示的字符，请修改名称后再打印",
                              code="POSTER_TEXT_UNPRINTABLE") from None
    response = send_file(path, mimetype=_MIMETYPES[kind], download_name=download_name, conditional=True,
                         max_age=0)
    # A poster is for the signed-in coordinator only; revalidate (ETag) rather than reuse blindly.
    response.headers.update(_PRIVATE)
    return response


def _poster(post_id: int, kind: str) -> ResponseReturnValue:
    from server.checkin import posters

    post = _printable_post(post_id)
    paper = posters.paper_from(request.args.get("paper"))
    batch = posters.Batch.of([post], paper, utcnow())
    return _send(batch, kind, f"poster-{post.code or post.id}-{paper}.{kind}")


@bp.get("/posts/<int:post_id>/poster.png")
def post_poster_png(post_id: int):
    return _poster(post_id, "png")


@bp.get("/posts/<int:post_id>/poster.pdf")
def post_poster_pdf(post_id: int):
    return _poster(post_id, "pdf")


@bp.get("/districts/<int:district_id>/posters.pdf")
def district_posters_pdf(district_id: int):
    district = db.session.get(District, district_id)
    if district is None or not permissions.may_print_posters(callers.current(), district_id):
        raise NotFound("找不到该片区")
    from server.checkin import posters

    paper = posters.paper_from(request.args.get("paper"))
    batch = posters.Batch.of(posters.select(district_id=district_id), paper, utcnow())
    return _send(batch, "pdf", f"posters-district-{district_id}-{paper}.pdf")


@bp.get("/posts/<int:post_id>/qr.png")
def post_qr_png(post_id: int):
    """The bare QR code (what the poster prints when no official code is used)."""
    url = post_service.qr_url(_printable_post(post_id))
    size = query_int("size", low=200, high=4000, default=600)
    from qr import images

    return images.qr_png(url, size), 200, {"Content-Type": "image/png", **_PRIVATE}


@bp.get("/posts/<int:post_id>/qr.svg")
def post_qr_svg(post_id: int):
    url = post_service.qr_url(_printable_post(post_id))
    from qr import images

    return images.qr_svg(url), 200, {"Content-Type": "image/svg+xml; charset=utf-8", **_PRIVATE}


@bp.post("/posts/<int:post_id>/rotate-qr")
def rotate_qr(post_id: int):
    """A new QR code for the post: posters printed before are refused at scan time from now on."""
    caller = callers.current()
    post = _printable_post(post_id)
    if not permissions.may_manage_post(caller, post.district_id):
        raise Forbidden("只有管理员和本片区协调员可以更换岗位二维码")
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise BadRequest("请求体必须是 JSON 对象")
    reason = string(body, "reason", max_length=500, required=False, label="更换原因")
    post = post_service.rotate_qr(post, actor_id=caller.id, now=utcnow(), reason=reason)
    return serialize.post(post) | {"qr": post_service.qr_url(post)}
