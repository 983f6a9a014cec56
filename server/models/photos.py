"""Photo evidence of a shift, or of a problem found at a post (before and after its fix).
The files live in storage (server/evidence/storage.py),
named by the SHA-256 of the stored JPEG; this row is what makes a file part of
the record. Several rows may name the same file (the same picture sent twice),
so a file is only ever deleted when no row names it."""
from __future__ import annotations

import sqlalchemy as sa

from server.db import UTCDateTime, db

PHOTO_KINDS = ("start", "duty", "end")  # of a shift
PROBLEM_PHOTO_KINDS = ("before", "after")  # of a problem: as reported, and as fixed
# none: not submitted; pending: submitted, waiting for WeChat's verdict;
# done: verdict recorded; failed: WeChat refused the submission.
CHECK_STATUSES = ("none", "pending", "done", "failed")


class Photo(db.Model):
    __tablename__ = "photos"
    id = sa.Column(sa.Integer, primary_key=True)
    shift_id = sa.Column(sa.Integer, sa.ForeignKey("shifts.id"), index=True)
    problem_id = sa.Column(sa.Integer, sa.ForeignKey("problems.id"), index=True)
    uploader_id = sa.Column(sa.Integer, sa.ForeignKey("users.id"), nullable=False)
    kind = sa.Column(sa.String(8), nullable=False, default="duty")
    sha256 = sa.Column(sa.String(64), nullable=False, index=True)  # of the stored JPEG: its storage key
    source_sha256 = sa.Column(sa.String(64), nullable=False, index=True)  # of the bytes uploaded
    # 64-bit difference hash stored as a signed BIGINT (server.imaging.hamming masks it back);
    # NULL for low-detail pictures, which would "match" every other dark or flat photo.
    dhash = sa.Column(sa.BigInteger)
    width = sa.Column(sa.Integer, nullable=False)
    height = sa.Column(sa.Integer, nullable=False)
    bytes = sa.Column(sa.Integer, nullable=False)
    # From the upload's EXIF, read before it was stripped: the camera's clock and
    # GPS fix exactly as recorded (WGS-84 per the EXIF spec). NULL when absent.
    captured_at = sa.Column(UTCDateTime)
    exif_lat = sa.Column(sa.Float)
    exif_lng = sa.Column(sa.Float)
    # Where the phone said it was when uploading (GCJ-02, as wx.getLocation gives).
    latitude = sa.Column(sa.Float)
    longitude = sa.Column(sa.Float)
    created_at = sa.Column(UTCDateTime, nullable=False)
    # Optional WeChat content check (security.mediaCheckAsync).
    check_status = sa.Column(sa.String(8), nullable=False, default="none")
    check_verdict = sa.Column(sa.String(8))  # pass | review | risky
    check_label = sa.Column(sa.String(16))
    check_trace_id = sa.Column(sa.String(64), unique=True)
    checked_at = sa.Column(UTCDateTime)

    __table_args__ = (
        # Near-duplicate search compares hashes of one volunteer's recent photos.
        sa.Index("ix_photos_uploader_created", "uploader_id", "created_at"),
        sa.CheckConstraint(sa.text("kind IN ('start','duty','end','before','after')"), name="kind"),
        # Evidence of exactly one thing: a shift (start/duty/end) or a problem (before/after).
        sa.CheckConstraint(sa.text("(shift_id IS NOT NULL AND problem_id IS NULL AND kind IN ('start','duty','end'))"
                                   " OR (problem_id IS NOT NULL AND shift_id IS NULL AND kind IN ('before','after'))"),
                           name="subject"),
        sa.CheckConstraint(sa.text("check_status IN ('none','pending','done','failed')"), name="check_status"),
        sa.CheckConstraint(sa.text("width > 0 AND height > 0 AND bytes > 0"), name="size"),
    )
