"""Optional content check of uploaded photos by WeChat (security.mediaCheckAsync v2).

On when PHOTO_CONTENT_CHECK=1 and WeChat credentials are configured. Each
accepted photo is submitted once, right after its row commits, with a signed
URL on PUBLIC_BASE_URL that WeChat can download for PHOTO_CHECK_URL_TTL_SECONDS.
WeChat answers with a trace_id at once and delivers the verdict (pass, review,
risky) by message push within about 30 minutes (server/wechat/push.py). A risky
verdict flags the shift `photo_content_risky` for a coordinator; nothing is
deleted or hidden automatically. A failed submission never fails the upload:
coordinators review photos anyway, this is a second pair of eyes.
"""
from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from server.evidence import photo_urls
from server.db import db, write_lock
from server.models import Photo, Shift, User

log = logging.getLogger(__name__)

photos_t = Photo.__table__
shifts_t = Shift.__table__

# mediaCheckAsync scenes: 1 profile, 2 comment, 3 forum, 4 social log. A duty
# photo posted to one's own service record is closest to a social log.
SCENE = 4
MEDIA_TYPE_IMAGE = 2
VERDICTS = ("pass", "review", "risky")


def enabled(config) -> bool:
    return bool(config.get("PHOTO_CONTENT_CHECK") and config.get("WECHAT_APPID") and config.get("WECHAT_SECRET"))


def media_url(config, photo_id: int, sha256: str, now: datetime) -> str:
    """An absolute signed URL WeChat's servers can fetch from the internet."""
    expires = int(now.timestamp()) + config["PHOTO_CHECK_URL_TTL_SECONDS"]
    path = photo_urls.signed_path(config["SECRET_KEY"], photo_id, sha256, "photo", expires)
    return config["PUBLIC_BASE_URL"].rstrip("/") + path


def submit(config, photo_id: int, now: datetime) -> str | None:
    """Ask WeChat to check one photo; returns the trace_id, or None when it could not."""
    from server.wechat import access_token
    from server.wechat.client import WechatError

    found = db.session.execute(
        sa.select(photos_t.c.sha256, User.openid).join(User, User.id == photos_t.c.uploader_id)
        .where(photos_t.c.id == photo_id)).first()
    if found is None or not found.openid:
        return None  # only a WeChat user's photo can be checked (the API needs the openid)
    payload = {"media_url": media_url(config, photo_id, found.sha256, now), "media_type": MEDIA_TYPE_IMAGE,
               "version": 2, "openid": found.openid, "scene": SCENE}
    db.session.rollback()  # no transaction open across the network call
    trace_id = None
    try:
        response = access_token.from_config(config).post("/wxa/media_check_async", payload)
        body = response.json()
        if isinstance(body, dict) and not body.get("errcode") and isinstance(body.get("trace_id"), str):
            trace_id = body["trace_id"]
        else:
            log.warning("media_check_async refused photo %s: errcode=%s errmsg=%s", photo_id,
                        body.get("errcode") if isinstance(body, dict) else None,
                        body.get("errmsg") if isinstance(body, dict) else None)
    except (WechatError, ValueError) as exc:
        log.warning("media_check_async failed for photo %s: %s", photo_id, exc.__class__.__name__)
    changes = {"check_status": "pending", "check_trace_id": trace_id} if trace_id else {"check_status": "failed"}
    with write_lock():
        db.session.execute(sa.update(photos_t).where(photos_t.c.id == photo_id).values(**changes))
        db.session.commit()
    return trace_id


def record_verdict(trace_id: str, suggest: str, label: str | None, now: datetime) -> bool:
    """Store WeChat's verdict; a risky photo sends its shift to review. Returns
    False for a trace_id we never sent (WeChat retries pushes, so this is idempotent)."""
    from server.evidence.photos import raise_flags

    if suggest not in VERDICTS:
        log.warning("media check %s: unknown suggest %r", trace_id, suggest)
        return False
    try:
        with write_lock():
            photo = db.session.execute(sa.select(photos_t.c.id, photos_t.c.shift_id).where(
                photos_t.c.check_trace_id == trace_id)).first()
            if photo is None:
                db.session.rollback()
                return False
            db.session.execute(sa.update(photos_t).where(photos_t.c.id == photo.id).values(
                check_status="done", check_verdict=suggest, check_label=str(label)[:16] if label else None,
                checked_at=now))
            if suggest == "risky" and photo.shift_id is not None:  # a problem's photo raises no shift flag
                shift = db.session.execute(
                    sa.select(shifts_t.c.status, shifts_t.c.flags, shifts_t.c.review_state)
                    .where(shifts_t.c.id == photo.shift_id).with_for_update()).mappings().one()
                raise_flags(photo.shift_id, shift, ["photo_content_risky"], now, actor_id=None)
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    log.info("media check %s: photo %s is %s (label %s)", trace_id, photo.id, suggest, label)
    return True
