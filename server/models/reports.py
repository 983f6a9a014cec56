"""Indexes that make hour reports fast; they belong to the shifts table but serve only reports.

Both are covering: every column a report reads is in the index, so the
database never visits the table rows. Both are partial on finished shifts
(closed or auto-closed): reports read nothing else, and a volunteer scanning in
(an open shift) then costs no update of these wide indexes. A plain index on the start time is
slower than none for a month's totals (one table lookup per shift), which is
why these carry the aggregated columns too.
"""
from __future__ import annotations

import sqlalchemy as sa

from server.models.shifts import FINISHED_SQL, Shift

_c = Shift.__table__.c

# A date range first (a month, a year), then whatever it is grouped or filtered by.
ix_shifts_report_by_date = sa.Index(
    "ix_shifts_report_by_date",
    _c.local_date, _c.unit_id, _c.post_id, _c.status, _c.review_state, _c.source,
    _c.volunteer_id, _c.credited_minutes, _c.persuasions, _c.questionnaires,
    sqlite_where=sa.text(FINISHED_SQL), postgresql_where=sa.text(FINISHED_SQL),
)

# Per volunteer, in volunteer order: the yearly per-volunteer totals and every
# volunteer's lifetime hours (star level) in one pass without a sort.
ix_shifts_report_by_volunteer = sa.Index(
    "ix_shifts_report_by_volunteer",
    _c.volunteer_id, _c.local_date, _c.status, _c.review_state, _c.source,
    _c.credited_minutes, _c.persuasions, _c.questionnaires, _c.unit_id, _c.post_id,
    sqlite_where=sa.text(FINISHED_SQL), postgresql_where=sa.text(FINISHED_SQL),
)

# The review queue: only pending shifts, which are few.
ix_shifts_pending_review = sa.Index(
    "ix_shifts_pending_review", _c.started_at,
    sqlite_where=sa.text("review_state = 'pending'"),
    postgresql_where=sa.text("review_state = 'pending'"),
)
