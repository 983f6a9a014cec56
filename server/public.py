"""Pages anyone may open: what a post's QR code shows in an ordinary browser."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, redirect, render_template, url_for

from qr import payload
from server import config
from server.db import db
from server.models import Post

bp = Blueprint("public", __name__)


@bp.get("/q/<token>")
def scanned_outside_wechat(token: str):
    verify_name = current_app.config["WECHAT_QR_VERIFY_NAME"]
    if verify_name and token == verify_name:
        return _link_rule_verification()
    try:
        code = payload.verify(config.qr_secret(current_app.config), token)
    except payload.InvalidPayload:
        return render_template("public/qr.html", post=None, state="invalid"), 404
    post = db.session.execute(sa.select(Post).where(Post.id == code.post_id)).scalar_one_or_none()
    if post is None or code.qr_version > post.qr_version:
        return render_template("public/qr.html", post=None, state="invalid"), 404
    state = "revoked" if code.qr_version < post.qr_version else ("inactive" if not post.active else "ok")
    return render_template("public/qr.html", post=post, state=state)


@bp.get("/privacy")
def privacy_notice():
    """The privacy notice volunteers agree to; its version is configuration (PRIVACY_VERSION)."""
    cfg = current_app.config
    return render_template("public/privacy.html", version=cfg["PRIVACY_VERSION"],
                           organisation=cfg["ISSUING_ORGANISATION"], photo_days=cfg["PHOTO_RETENTION_DAYS"],
                           location_days=cfg["LOCATION_RETENTION_DAYS"])


def _link_rule_verification() -> Response:
    """WeChat checks that we own the poster URLs (扫普通链接二维码打开小程序) by fetching this
    file from the rule's last directory, /q/, where post tokens live too; a token never ends in .txt."""
    return Response(current_app.config["WECHAT_QR_VERIFY_CONTENT"], mimetype="text/plain")


@bp.get("/healthz")
def health():
    """For load balancers and monitoring: the process answers (no database round-trip)."""
    return {"status": "ok"}


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.ico"), code=301)
