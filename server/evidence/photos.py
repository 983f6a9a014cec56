"""Photo evidence of shifts: accepting an upload, and handing out links to see it.

An upload goes through four steps, in this order, so that a failure anywhere
leaves neither a row without files nor (beyond what `photos cleanup` repairs
after a crash) files without a row:

1. cheap checks on the shift (own, open or recently closed, under the limit);
2. image work (validate, re-encode, hash) with no transaction open, so no
   database snapshot or lock is held for the ~100 ms it takes;
3. both files written to storage, completely;
4. one short write transaction: re-check, insert the row, raise flags.

If step 4 fails the files of step 3 are deleted, unless another row already
names the same file (storage is content-addressed: the same picture uploaded
for two shifts is one file).

Who may see a shift's photos is exactly who may see the shift
(`permissions.shift_filter`): the volunteer, coordinators of the volunteer's
unit at the time or of the post's district, leaders and admins.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from server import permissions
from server.checkin import post_rules, shift_flags
from server.evidence import photo_check
from server.evidence import photo_urls
from server.callers import Caller, require_active
from server.clock import local_iso, zone
from server.db import db, write_lock
from server.errors import Conflict, NotFound, ValidationError
from server.models import GroupCheckin, Photo, Shift
from server.models.photos import PHOTO_KINDS
from server.evidence.storage import Storage, photo_key, thumb_key

if TYPE_CHECKING:  # Pillow loads with the first upload, not with the app
    from server.evidence.imaging import ProcessedPhoto

log = logging.getLogger(__name__)

photos_t = Photo.__table__
shifts_t = Shift.__table__

_SIGN_BIT = 1 << 63


@dataclass(frozen=True)
class Settings:
    secret_key: str
    tz: tzinfo
    max_pixels: int
    max_per_shift: int
    window: timedelta  # uploads still accepted this long after the shift closed
    url_ttl_seconds: int
    time_tolerance: timedelta
    reuse_window: timedelta

    @classmethod
    def from_config(cls, config) -> "Settings":
        return cls(
            secret_key=config["SECRET_KEY"], tz=zone(config["TIMEZONE"]),
            max_pixels=config["PHOTO_MAX_PIXELS"], max_per_shift=config["PHOTO_MAX_PER_SHIFT"],
            window=timedelta(minutes=config["PHOTO_UPLOAD_WINDOW_MINUTES"]),
            url_ttl_seconds=config["PHOTO_URL_TTL_SECONDS"],
            time_tolerance=timedelta(minutes=config["PHOTO_TIME_TOLERANCE_MINUTES"]),
            reuse_window=timedelta(days=config["PHOTO_REUSE_WINDOW_DAYS"]),
        )


def _settings() -> Settings:
    return Settings.from_config(current_app.config)


def _storage() -> Storage:
    from server.evidence.photo_files import storage
    return storage()


current_settings, current_storage = _settings, _storage  # for evidence of problems (server.problems)


# --- upload -------------------------------------------------------------------

def upload(caller: Caller, shift_id: int, data: bytes, kind: str, latitude: float | None,
           longitude: float | None, now: datetime, *, settings: Settings | None = None,
           store: Storage | None = None) -> tuple[dict, bool]:
    """Accept a photo for the caller's own shift; returns (photo, created).

    Sending the very same file to the same shift again (a retried upload)
    returns the photo already stored instead of a second copy.
    """
    settings = settings or _settings()
    store = store or _storage()
    require_active(caller)
    if kind not in PHOTO_KINDS:
        raise ValidationError("照片类型只能是 start、duty 或 end", field="kind")
    shift = _own_shift(caller, shift_id)
    _check_window(shift, now, settings)
    retried = _same_upload_on_shift(shift_id, hashlib.sha256(data).hexdigest())
    if retried is not None:
        return entry(retried, now, settings), False
    _check_limit(shift_id, settings)
    db.session.rollback()  # end the read transaction before the image work

    from server.evidence.imaging import process_photo

    photo = process_photo(data, max_pixels=settings.max_pixels)
    row = row_values(photo, settings, uploader_id=caller.id, kind=kind, latitude=latitude,
                     longitude=longitude, now=now, shift_id=shift_id)
    new_flags = _reuse_flags(shift, photo, now, settings) + _time_flags(shift, row["captured_at"], now, settings)
    db.session.rollback()
    row["id"] = keep(store, photo, lambda: _insert(caller, shift_id, row, new_flags, now, settings))
    submit_check(row["id"], now)
    return entry(row, now, settings), True


def row_values(photo: ProcessedPhoto, settings: Settings, *, uploader_id: int, kind: str,
               latitude: float | None, longitude: float | None, now: datetime, **subject: int) -> dict:
    """The photos row of a processed upload; ``subject`` names what it is evidence of
    (shift_id=... or problem_id=...)."""
    captured_at = photo.capture_time(settings.tz)
    captured_at = captured_at.astimezone(timezone.utc) if captured_at is not None else None
    return dict(
        **subject, uploader_id=uploader_id, kind=kind, sha256=photo.sha256,
        source_sha256=photo.source_sha256, dhash=_signed(photo.dhash), width=photo.width,
        height=photo.height, bytes=photo.size_bytes, captured_at=captured_at,
        exif_lat=photo.gps.lat if photo.gps else None, exif_lng=photo.gps.lng if photo.gps else None,
        latitude=latitude, longitude=longitude, created_at=now, check_status="none",
    )


def keep(store: Storage, photo: ProcessedPhoto, write: Callable[[], int]) -> int:
    """Steps 3 and 4: store both files completely, then ``write`` the row (returning its id).
    If anything fails the files go again, unless another row already names them."""
    try:
        store.put(photo_key(photo.sha256), photo.jpeg, "image/jpeg")
        store.put(thumb_key(photo.sha256), photo.thumbnail, "image/jpeg")
        return write()
    except BaseException:
        _discard_files(store, photo.sha256)
        raise


def submit_check(photo_id: int, now: datetime) -> None:
    """WeChat's content check of a stored photo, when configured."""
    if photo_check.enabled(current_app.config):
        photo_check.submit(current_app.config, photo_id, now)


def _own_shift(caller: Caller, shift_id: int) -> dict:
    found = db.session.execute(sa.select(
        shifts_t.c.id, shifts_t.c.status, shifts_t.c.started_at, shifts_t.c.ended_at,
        shifts_t.c.post_id, shifts_t.c.unit_id, shifts_t.c.volunteer_id,
    ).where(shifts_t.c.id == shift_id, shifts_t.c.volunteer_id == caller.id)).mappings().first()
    if found is None:
        raise NotFound("找不到该上岗记录")
    return dict(found)


def _check_window(shift: dict, now: datetime, settings: Settings) -> None:
    if shift["status"] == "open":
        return
    minutes = int(settings.window.total_seconds() // 60)
    if shift["status"] == "voided":
        raise Conflict("该上岗记录已作废，不能再上传照片", code="PHOTO_WINDOW_CLOSED", status_now="voided")
    if shift["ended_at"] is None or now > shift["ended_at"] + settings.window:
        raise Conflict(f"下岗超过 {minutes} 分钟后不能再上传照片", code="PHOTO_WINDOW_CLOSED",
                       window_minutes=minutes)


def _check_limit(shift_id: int, settings: Settings) -> None:
    count = db.session.execute(sa.select(sa.func.count()).select_from(photos_t)
                               .where(photos_t.c.shift_id == shift_id)).scalar_one()
    if count >= settings.max_per_shift:
        raise Conflict(f"每次上岗最多上传 {settings.max_per_shift} 张照片", code="PHOTO_LIMIT_REACHED",
                       limit=settings.max_per_shift)


def _same_upload_on_shift(shift_id: int, source_sha256: str) -> dict | None:
    found = db.session.execute(sa.select(photos_t).where(
        photos_t.c.shift_id == shift_id, photos_t.c.source_sha256 == source_sha256)
        .order_by(photos_t.c.id).limit(1)).mappings().first()
    return dict(found) if found is not None else None


def _signed(dhash: int | None) -> int | None:
    """The unsigned 64-bit hash as the signed BIGINT both databases store."""
    if dhash is None:
        return None
    return dhash - (1 << 64) if dhash & _SIGN_BIT else dhash


def _insert(caller: Caller, shift_id: int, row: dict, new_flags: list[str], now: datetime,
            settings: Settings) -> int:
    """The one write transaction: re-check what may have changed while the image
    was processed, insert the row and raise the shift's flags together."""
    try:
        with write_lock():
            # FOR UPDATE (PostgreSQL; SQLite has the write lock) makes concurrent
            # uploads to one shift count each other, and their flag updates not
            # overwrite each other.
            shift = db.session.execute(
                sa.select(shifts_t.c.status, shifts_t.c.started_at, shifts_t.c.ended_at, shifts_t.c.flags,
                          shifts_t.c.review_state)
                .where(shifts_t.c.id == shift_id).with_for_update()).mappings().one()
            _check_window(shift, now, settings)
            _check_limit(shift_id, settings)
            photo_id = db.session.execute(sa.insert(photos_t).values(row)).inserted_primary_key[0]
            shift = _settle_start_photo(shift_id, dict(shift), row, now)
            raise_flags(shift_id, shift, new_flags, now, actor_id=caller.id)
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return photo_id


def _settle_start_photo(shift_id: int, shift: dict, row: dict, now: datetime) -> dict:
    """A post that requires a start photo (post_rules.py): this one may be it."""
    settled = post_rules.start_photo_arrived(shift, row["kind"], row["captured_at"], now)
    if settled is None:
        return shift
    db.session.execute(sa.update(shifts_t).where(shifts_t.c.id == shift_id).values(**settled))
    return {**shift, **settled}


def raise_flags(shift_id: int, shift: dict, new_flags: list[str], now: datetime, *,
                actor_id: int | None) -> None:
    shift_flags.raise_flags(shift_id, shift, new_flags, now, actor_id=actor_id, action="photo_flag")


def _discard_files(store: Storage, sha256: str) -> None:
    """Undo step 3 after a failed step 4, but never delete a file a row names."""
    try:
        db.session.rollback()
        named = db.session.execute(sa.select(photos_t.c.id).where(photos_t.c.sha256 == sha256).limit(1)).first()
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the database is what failed; keep the files, cleanup decides later
        log.warning("photo %s: cannot tell whether its files are in use; leaving them for cleanup", sha256)
        return
    if named is not None:
        return
    for key in (photo_key(sha256), thumb_key(sha256)):
        try:
            store.delete(key)
        except Exception:  # noqa: BLE001 - `photos cleanup` removes what we could not
            log.warning("could not delete %s after a failed upload; `photos cleanup` will", key)


# --- anti-reuse -----------------------------------------------------------------

def _reuse_flags(shift: dict, photo: ProcessedPhoto, now: datetime, settings: Settings) -> list[str]:
    """`photo_reused` when this picture was already sent for another shift.

    The same file (or the same stored picture) is looked up everywhere, through
    the hash indexes. A near-duplicate needs a Hamming-distance scan, so it is
    bounded to where reuse is plausible: the volunteer's own photos, and photos
    of shifts at the same post or by the same unit (colleagues share pictures in
    their unit's group chat), over the last PHOTO_REUSE_WINDOW_DAYS. That is a
    few hundred hashes, compared in microseconds.
    """
    exact = db.session.execute(sa.select(photos_t.c.id).where(
        sa.or_(photos_t.c.source_sha256 == photo.source_sha256, photos_t.c.sha256 == photo.sha256),
        photos_t.c.shift_id != shift["id"]).limit(1)).first()
    if exact is not None:
        return ["photo_reused"]
    if photo.dhash is None:  # a low-detail picture: its hash would match any other
        return []
    since = now - settings.reuse_window
    recent = (photos_t.c.dhash.is_not(None), photos_t.c.shift_id != shift["id"])
    mine = sa.select(photos_t.c.dhash).where(photos_t.c.uploader_id == shift["volunteer_id"],
                                            photos_t.c.created_at >= since, *recent)
    nearby = [shifts_t.c.post_id == shift["post_id"]]
    if shift["unit_id"] is not None:
        nearby.append(shifts_t.c.unit_id == shift["unit_id"])
    around = (sa.select(photos_t.c.dhash).join(shifts_t, shifts_t.c.id == photos_t.c.shift_id)
              .where(sa.or_(*nearby), shifts_t.c.started_at >= since, *recent))
    hashes = db.session.execute(sa.union(mine, around)).scalars()
    from server.evidence.imaging import is_near_duplicate

    return ["photo_reused"] if any(is_near_duplicate(photo.dhash, h) for h in hashes) else []


def _time_flags(shift: dict, captured_at: datetime | None, now: datetime, settings: Settings) -> list[str]:
    """`photo_time_mismatch` when the camera says the picture was taken well
    before the shift started or after it ended (or after now, for an open one).
    Phone clocks drift and EXIF may lack a zone, hence the tolerance."""
    if captured_at is None:
        return []
    earliest = shift["started_at"] - settings.time_tolerance
    latest = (shift["ended_at"] or now) + settings.time_tolerance
    return [] if earliest <= captured_at <= latest else ["photo_time_mismatch"]


# --- seeing photos ----------------------------------------------------------------

def entry(row: dict, now: datetime, settings: Settings | None = None) -> dict:
    """One photo as the API shows it, with freshly signed links."""
    settings = settings or _settings()
    links = photo_urls.links(settings.secret_key, row["id"], row["sha256"], now, settings.url_ttl_seconds)
    return {
        "id": row["id"],
        "kind": row["kind"],
        "width": row["width"],
        "height": row["height"],
        "bytes": row["bytes"],
        "captured_at": local_iso(row["captured_at"], settings.tz),
        "url": links.url,
        "thumbnail_url": links.thumbnail_url,
        "expires_at": local_iso(links.expires_at, settings.tz),
    }


def _photos_of(shift_condition, shift_ids: list[int] | None = None) -> list[dict]:
    query = (sa.select(photos_t).join(shifts_t, shifts_t.c.id == photos_t.c.shift_id)
             .where(shift_condition).order_by(photos_t.c.shift_id, photos_t.c.created_at, photos_t.c.id))
    if shift_ids is not None:
        query = query.where(photos_t.c.shift_id.in_(shift_ids))
    return [dict(row) for row in db.session.execute(query).mappings()]


def for_own_shift(caller: Caller, shift_id: int, now: datetime) -> list[dict]:
    """The photos of the caller's own shift (the mini-program's shift details)."""
    settings = _settings()
    own = sa.and_(shifts_t.c.id == shift_id, shifts_t.c.volunteer_id == caller.id)
    rows = [row for _, row in _group_photos_of(own, [shift_id])] + _photos_of(own)
    return [entry(row, now, settings) for row in rows]


def for_shift(caller: Caller, shift_id: int, now: datetime) -> list[dict]:
    """A shift's photos for the console; 404 when the shift is outside the caller's scope."""
    visible = db.session.execute(sa.select(shifts_t.c.id).where(
        shifts_t.c.id == shift_id, permissions.shift_filter(caller))).first()
    if visible is None:
        raise NotFound("找不到该上岗记录")
    settings = _settings()
    return [entry(row, now, settings) for row in _photos_of(shifts_t.c.id == shift_id)]


def thumbnails_for_shifts(shift_ids: list[int], caller: Caller, now: datetime) -> dict[int, list[dict]]:
    """Photos of many shifts at once (the review queue), only of shifts the
    caller may see; shifts without photos are absent."""
    if not shift_ids:
        return {}
    settings = _settings()
    grouped: dict[int, list[dict]] = {}
    for shift_id, row in _group_photos_of(permissions.shift_filter(caller), list(shift_ids)):
        grouped.setdefault(shift_id, []).append(entry(row, now, settings))
    for row in _photos_of(permissions.shift_filter(caller), list(shift_ids)):
        grouped.setdefault(row["shift_id"], []).append(entry(row, now, settings))
    return grouped


def _group_photos_of(shift_condition, shift_ids: list[int]) -> list[tuple[int, dict]]:
    """(member's shift id, the group photo) for shifts a post leader started from cards: the photo
    was uploaded to the leader's own shift and is evidence of every shift it covers."""
    groups_t = GroupCheckin.__table__
    rows = db.session.execute(
        sa.select(groups_t.c.shift_id.label("member_shift_id"), photos_t)
        .join(photos_t, photos_t.c.id == groups_t.c.photo_id)
        # A join, not "IN (SELECT id FROM shifts WHERE scope)": for a county-wide caller that
        # subquery is every shift there is (185 ms on a county-year before this join).
        .join(shifts_t, shifts_t.c.id == groups_t.c.shift_id)
        .where(groups_t.c.shift_id.in_(shift_ids), shift_condition)).mappings()
    return [(row["member_shift_id"], {k: v for k, v in row.items() if k != "member_shift_id"}) for row in rows]


def last_thumbnail_for_shifts(shift_ids: list[int], now: datetime) -> dict[int, dict]:
    """The latest photo of each shift (the on-duty board). No scope check: the
    caller passes only shift ids it has already scoped."""
    if not shift_ids:
        return {}
    latest = (sa.select(sa.func.max(photos_t.c.id)).where(photos_t.c.shift_id.in_(list(shift_ids)))
              .group_by(photos_t.c.shift_id))
    settings = _settings()
    rows = db.session.execute(sa.select(photos_t).where(photos_t.c.id.in_(latest))).mappings()
    return {row["shift_id"]: entry(dict(row), now, settings) for row in rows}
