"""Photos of a problem: "before" as the reporter found it, "after" as the unit fixed it.

The same checks, storage, signed links and content check as a shift's photos
(server.evidence.photos): the image work runs with no transaction open, the
files are stored before the one short write transaction, and a failure removes
them again. Who may see them is who may see the problem.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa

from server import audit
from server.callers import Caller, require_active
from server.db import db, write_lock
from server.errors import Conflict
from server.evidence import photos as evidence
from server.evidence.imaging import process_photo
from server.inputs import PhotoUpload
from server.models import Photo, Problem
from server.problems import records

photos_t, problems_t = Photo.__table__, Problem.__table__


def add(caller: Caller, problem: dict, kind: str, upload: PhotoUpload, now: datetime) -> tuple[dict, bool]:
    """Store a photo of an already scoped and authorised problem; (photo, created).
    The same file sent again (a retried upload) returns the photo already stored."""
    require_active(caller)
    settings, store = evidence.current_settings(), evidence.current_storage()
    retried = db.session.execute(sa.select(photos_t).where(
        photos_t.c.problem_id == problem["id"], photos_t.c.source_sha256 == hashlib.sha256(upload.data).hexdigest())
        .order_by(photos_t.c.id).limit(1)).mappings().first()
    if retried is not None:
        return evidence.entry(dict(retried), now, settings), False
    _check_limit(problem["id"], kind, settings.max_per_shift)
    db.session.rollback()  # end the read transaction before the image work

    photo = process_photo(upload.data, max_pixels=settings.max_pixels)
    row = evidence.row_values(photo, settings, uploader_id=caller.id, kind=kind, latitude=upload.latitude,
                              longitude=upload.longitude, now=now, problem_id=problem["id"])
    row["id"] = evidence.keep(store, photo, lambda: _insert(caller, problem, row, settings.max_per_shift, now))
    evidence.submit_check(row["id"], now)
    return evidence.entry(row, now, settings), True


def _check_limit(problem_id: int, kind: str, limit: int) -> None:
    count = db.session.execute(sa.select(sa.func.count()).select_from(photos_t).where(
        photos_t.c.problem_id == problem_id, photos_t.c.kind == kind)).scalar_one()
    if count >= limit:
        raise Conflict(f"每个问题最多上传 {limit} 张{'整改前' if kind == 'before' else '整改后'}照片",
                       code="PHOTO_LIMIT_REACHED", limit=limit)


def _insert(caller: Caller, problem: dict, row: dict, limit: int, now: datetime) -> int:
    """Re-check under the write lock that the problem is still where the photo belongs."""
    try:
        with write_lock():
            status = db.session.execute(sa.select(problems_t.c.status).where(problems_t.c.id == problem["id"])
                                        .with_for_update()).scalar_one()
            if status != problem["status"]:
                raise Conflict("该问题的状态刚刚发生了变化，请刷新后重试", code="PROBLEM_STATE", status_now=status)
            _check_limit(problem["id"], row["kind"], limit)
            photo_id = db.session.execute(sa.insert(photos_t).values(row)).inserted_primary_key[0]
            audit.record(actor_id=caller.id, action="problem_photo", entity_type="problem",
                         entity_id=problem["id"], before=None, after={"photo_id": photo_id, "kind": row["kind"]},
                         reason=None, now=now)
            db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return photo_id


def of_problem(problem_id: int, now: datetime) -> dict[str, list[dict]]:
    """{"before": [...], "after": [...]}, oldest first, with freshly signed links. The caller
    has scoped the problem."""
    settings = evidence.current_settings()
    grouped: dict[str, list[dict]] = {"before": [], "after": []}
    rows = db.session.execute(sa.select(photos_t).where(photos_t.c.problem_id == problem_id)
                              .order_by(photos_t.c.created_at, photos_t.c.id)).mappings()
    for row in rows:
        grouped[row["kind"]].append(evidence.entry(dict(row), now, settings))
    return grouped


def is_after_photo(problem_id: int, photo_id: int) -> bool:
    return db.session.execute(sa.select(photos_t.c.id).where(
        photos_t.c.id == photo_id, photos_t.c.problem_id == problem_id, photos_t.c.kind == "after")).first() \
        is not None


def own_problem_for_photo(caller: Caller, problem_id: int) -> dict:
    """The reporter adds "before" photos while the problem is still open."""
    problem = records.own(caller, problem_id)
    if problem["status"] != "open":
        raise Conflict("问题已交办，不能再补充照片", code="PROBLEM_STATE", status_now=problem["status"])
    return problem


