"""A volunteer's rights over their personal data (PIPL arts. 45 and 47), and how long it is kept.

- ``export``: everything held about the volunteer, as JSON they can take away.
- ``erase``: their name, phone and openid are gone, their photo files deleted,
  their shifts kept without anything that points at a person (no note, no
  coordinates or point keys, no photos, no spot-check answers' places) so the unit's totals do
  not change. Refused while a shift is open: the volunteer scans out first, so no hours are lost.
- ``apply_retention``: photo files older than PHOTO_RETENTION_DAYS (never while
  a review or correction is open) and precise coordinates older than
  LOCATION_RETENTION_DAYS (rounded to about 100 m; the exact point keys the location signals
  compare are dropped), run by a periodic command.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.accounts import ERASED_PREFIX
from server.records import certificates
from server.clock import local_iso
from server.db import db
from server.evidence import photo_urls
from server.errors import Conflict
from server.evidence.storage import StorageNotFound, photo_key, thumb_key
from server.models import (Certificate, CorrectionRequest, Photo, PostLeader, PrivacyConsent, ReminderConsent, Shift,
                           SlotAssignment, SpotCheckTask, User)

# Three decimals of a degree: about 110 m north-south, 100 m east-west at the county's latitude.
COARSE_DECIMALS = 3


def _iso(value):
    return local_iso(value) if isinstance(value, datetime) else (value.isoformat() if value else None)


def export(user_id: int, secret_key: str, now: datetime, link_ttl: int) -> dict:
    user = db.session.get(User, user_id)
    shifts = db.session.execute(sa.select(Shift).where(Shift.volunteer_id == user_id).order_by(Shift.id)).scalars()
    photos = db.session.execute(sa.select(Photo).where(Photo.uploader_id == user_id).order_by(Photo.id)).scalars()
    corrections = db.session.execute(sa.select(CorrectionRequest).where(CorrectionRequest.volunteer_id == user_id)
                                     .order_by(CorrectionRequest.id)).scalars()
    consents = db.session.execute(sa.select(PrivacyConsent).where(PrivacyConsent.user_id == user_id)
                                  .order_by(PrivacyConsent.id)).scalars()
    return {
        "profile": {"id": user.id, "name": user.name, "phone": user.phone, "openid": user.openid,
                    "unit": user.unit.name if user.unit else None, "status": user.status,
                    "registered_at": _iso(user.registered_at), "created_at": _iso(user.created_at)},
        "shifts": [{
            "id": s.id, "post_id": s.post_id, "status": s.status, "source": s.source,
            "started_at": _iso(s.started_at), "ended_at": _iso(s.ended_at),
            "credited_minutes": s.credited_minutes, "persuasions": s.persuasions, "note": s.note,
            "start_location": [s.start_lat, s.start_lng], "end_location": [s.end_lat, s.end_lng],
            "review_state": s.review_state, "flags": list(s.flags or []),
        } for s in shifts],
        "photos": [{
            "id": p.id, "shift_id": p.shift_id, "taken_at": _iso(p.captured_at), "uploaded_at": _iso(p.created_at),
            "exif_location": [p.exif_lat, p.exif_lng], "upload_location": [p.latitude, p.longitude],
            "url": photo_urls.links(secret_key, p.id, p.sha256, now, link_ttl).url,
        } for p in photos],
        "corrections": [{
            "id": c.id, "shift_id": c.shift_id, "kind": c.kind, "reason": c.reason, "status": c.status,
            "created_at": _iso(c.created_at), "resolution": c.resolution,
        } for c in corrections],
        "consents": [{"version": c.version, "at": _iso(c.at)} for c in consents],
    }


def erase(user_id: int, store, now: datetime) -> int:
    """Erase the volunteer; returns how many photo files went. Files go after the commit, so a
    failed erasure never leaves rows pointing at deleted files."""
    user = db.session.get(User, user_id)
    if db.session.execute(sa.select(Shift.id).where(Shift.volunteer_id == user_id, Shift.status == "open")).first():
        raise Conflict("您正在上岗，请先扫码下岗，再注销账号", code="SHIFT_STILL_OPEN")
    photos = db.session.execute(sa.select(Photo.id, Photo.sha256).where(Photo.uploader_id == user_id)).all()
    for certificate in db.session.execute(sa.select(Certificate).where(Certificate.volunteer_id == user_id)).scalars():
        try:
            os.remove(certificates.cache_path(certificate))  # the rendered PDF prints the name
        except FileNotFoundError:
            pass
    db.session.execute(sa.delete(Photo).where(Photo.uploader_id == user_id))
    db.session.execute(sa.update(Shift).where(Shift.volunteer_id == user_id).values(
        note=None, start_lat=None, start_lng=None, end_lat=None, end_lng=None, start_point=None, end_point=None,
        client_request_id=None))
    db.session.execute(sa.update(SpotCheckTask).where(SpotCheckTask.volunteer_id == user_id).values(
        latitude=None, longitude=None))
    db.session.execute(sa.update(Certificate).where(Certificate.volunteer_id == user_id).values(volunteer_name=""))
    db.session.execute(sa.delete(ReminderConsent).where(ReminderConsent.volunteer_id == user_id))
    db.session.execute(sa.delete(SlotAssignment).where(SlotAssignment.volunteer_id == user_id,
                                                       SlotAssignment.starts_at > now))
    # A post leader no longer exists to lead: the post's page would list a leader without a name.
    db.session.execute(sa.delete(PostLeader).where(PostLeader.volunteer_id == user_id))
    user.name = user.phone = None
    user.openid = f"{ERASED_PREFIX}{user.id}"
    user.status, user.erased_at = "suspended", now
    user.credential_version = (user.credential_version or 0) + 1  # the token in hand ends too
    db.session.commit()
    return _delete_files(store, [sha for _, sha in photos])


def _delete_files(store, hashes: list[str]) -> int:
    """Delete the files no remaining row names (files are named by content)."""
    deleted = 0
    for sha in set(hashes):
        if db.session.execute(sa.select(Photo.id).where(Photo.sha256 == sha).limit(1)).first():
            continue
        for key in (photo_key(sha), thumb_key(sha)):
            try:
                store.delete(key)
                deleted += 1
            except StorageNotFound:
                pass
    return deleted


def apply_retention(store, now: datetime, photo_days: int, location_days: int) -> dict:
    """The periodic sweep: old photos (not under an open review or correction) and old coordinates."""
    open_shifts = sa.select(Shift.id).where(Shift.review_state == "pending").union(
        sa.select(CorrectionRequest.shift_id).where(CorrectionRequest.status == "pending"))
    old = db.session.execute(sa.select(Photo.id, Photo.sha256).where(
        Photo.created_at < now - timedelta(days=photo_days), Photo.shift_id.not_in(open_shifts))).all()
    if old:
        db.session.execute(sa.delete(Photo).where(Photo.id.in_([row.id for row in old])))
    cutoff = now - timedelta(days=location_days)
    coarse = {column.key: _coarse(column) for column in (Shift.start_lat, Shift.start_lng, Shift.end_lat, Shift.end_lng)}
    coarsened = db.session.execute(sa.update(Shift).where(Shift.started_at < cutoff).values(
        **coarse, start_point=None, end_point=None)).rowcount
    db.session.execute(sa.update(SpotCheckTask).where(SpotCheckTask.due_at < cutoff).values(
        latitude=_coarse(SpotCheckTask.latitude), longitude=_coarse(SpotCheckTask.longitude)))
    db.session.execute(sa.update(Photo).where(Photo.created_at < cutoff).values(
        exif_lat=_coarse(Photo.exif_lat), exif_lng=_coarse(Photo.exif_lng),
        latitude=_coarse(Photo.latitude), longitude=_coarse(Photo.longitude)))
    db.session.commit()
    return {"photos_deleted": len(old), "files_deleted": _delete_files(store, [row.sha256 for row in old]),
            "shifts_coarsened": coarsened or 0}


def _coarse(column):
    """The coordinate rounded to about 100 m. PostgreSQL rounds to a number of decimals only
    numerics (there is no round(double precision, integer)), so the value goes through one."""
    return sa.func.round(sa.cast(column, sa.Numeric), COARSE_DECIMALS)

