"""The hour report by volunteer: one row per person, with the star level of their lifetime hours.

Every registered, active volunteer in scope appears, with zero hours if need be, and
anyone who served in the period and scope. Rows stream from the cursor (an export
of 20,000 people is never held in memory) and add up the totals on the way.
"""
from __future__ import annotations

from datetime import date
from typing import Iterator

import sqlalchemy as sa

from server import permissions
from server.checkin import hours as rules
from server.checkin.serialize import mask_phone
from server.callers import Caller
from server.db import db
from server.models import Unit, User
from server.records.report_terms import (ADDITIVE, FINISHED, NOT_REJECTED, Filters, as_totals, metric_columns, s,
                                         shift_conditions, totals)

units_t, users_t = Unit.__table__, User.__table__


def people_in_scope(caller: Caller, filters: Filters):
    """Registered, active volunteers who should appear even with zero hours."""
    condition = sa.and_(users_t.c.registered_at.isnot(None), users_t.c.status == "active",
                        permissions.volunteer_filter(caller))
    if filters.unit_id is not None:
        condition = sa.and_(condition, users_t.c.unit_id == filters.unit_id)
    return condition


class VolunteerRows:
    """One row per volunteer, streamed from the cursor, adding up the totals on the way.

    One statement, two grouped passes joined to the people: the period's figures (date
    index), and the lifetime minutes behind the star level (the volunteer-first covering
    index, read in volunteer order, no sort). One pass computing both (the period's figures
    as CASE terms over every finished shift) reads fewer rows but costs SQLite two to three
    times as long: its time goes into evaluating expressions per row, not into reading them.
    The rows are unpacked as tuples: at 20,000 people the Python per row is what adds up.
    """

    def __init__(self, caller: Caller, first: date, last: date, filters: Filters) -> None:
        self.caller, self.first, self.last, self.filters = caller, first, last, filters
        self.sums = dict.fromkeys(ADDITIVE, 0)
        self.volunteers = 0
        self.finished = False

    def totals(self) -> dict:
        if not self.finished:  # rows not read (yet): ask the database
            return totals(self.caller, self.first, self.last, self.filters)
        return as_totals(self.sums, self.volunteers)

    def __iter__(self) -> Iterator[dict]:
        self.finished = False
        sums = [0] * 7
        volunteers = 0
        full_phone = permissions.sees_full_phone(self.caller)
        star_level, as_hours = rules.star_level, rules.as_hours
        # In batches from a client-side cursor: yield_per would open a server-side cursor on
        # PostgreSQL, whose planner then gives up parallel workers and hash aggregation for a
        # fast first row (twice as long here). One row per person stays small next to an export.
        result = db.session.execute(self._query())
        rows = (row for batch in result.partitions(2000) for row in batch)
        for (vid, name, phone, unit_name, scanned, manual, shift_count, persuasions, questionnaires, pending_count,
             pending_minutes, lifetime) in rows:
            if scanned is None:  # nothing in the period
                scanned = manual = shift_count = persuasions = questionnaires = pending_count = pending_minutes = 0
            else:  # PostgreSQL's sums may come back as Decimal
                scanned, manual, shift_count, persuasions, questionnaires, pending_count, pending_minutes = (
                    int(scanned), int(manual), int(shift_count), int(persuasions), int(questionnaires),
                    int(pending_count), int(pending_minutes))
            sums[0] += scanned
            sums[1] += manual
            sums[2] += shift_count
            sums[3] += persuasions
            sums[4] += questionnaires
            sums[5] += pending_count
            sums[6] += pending_minutes
            served = 1 if shift_count else 0
            volunteers += served
            yield {
                "key": vid, "name": name, "volunteer_id": vid, "unit": unit_name,
                "phone": phone if full_phone else mask_phone(phone),
                "star_level": star_level(int(lifetime or 0)),
                "scanned_minutes": scanned, "manual_minutes": manual, "credited_minutes": scanned + manual,
                "hours": as_hours(scanned + manual), "shift_count": shift_count, "persuasions": persuasions,
                "questionnaires": questionnaires, "volunteers": served, "pending_shift_count": pending_count,
                "pending_minutes": pending_minutes,
            }
        self.sums, self.volunteers, self.finished = dict(zip(ADDITIVE, sums)), volunteers, True

    def _query(self):
        caller, filters = self.caller, self.filters
        in_period = [FINISHED, NOT_REJECTED, *shift_conditions(caller, self.first, self.last, filters)]
        period = (sa.select(s.volunteer_id.label("vid"), *metric_columns(distinct_volunteers=False))
                  .where(*in_period).group_by(s.volunteer_id).subquery("period"))
        lifetime = sa.select(s.volunteer_id.label("lid"), sa.func.sum(s.credited_minutes).label("lifetime")).where(
            FINISHED, s.review_state.in_(rules.COUNTED_REVIEW_STATES))
        zero_hours = people_in_scope(caller, filters)
        if not (caller.sees_everything and filters == Filters()):
            # Only the people this report can show: those in scope and those who served in it.
            people = sa.select(users_t.c.id).where(zero_hours).union(
                sa.select(s.volunteer_id).where(*in_period))
            lifetime = lifetime.where(s.volunteer_id.in_(people))
        lifetime = lifetime.group_by(s.volunteer_id).subquery("lifetime")
        p = period.c
        return (
            sa.select(users_t.c.id, users_t.c.name, users_t.c.phone, units_t.c.name.label("unit_name"),
                      p.scanned_minutes, p.manual_minutes, p.shift_count, p.persuasions, p.questionnaires,
                      p.pending_shift_count, p.pending_minutes, lifetime.c.lifetime)
            .select_from(users_t.outerjoin(period, p.vid == users_t.c.id)
                         .outerjoin(lifetime, lifetime.c.lid == users_t.c.id)
                         .outerjoin(units_t, units_t.c.id == users_t.c.unit_id))
            .where(sa.or_(p.vid.isnot(None), zero_hours))
            .order_by(units_t.c.name, users_t.c.name, users_t.c.id)
        )
