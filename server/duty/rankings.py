"""Unit assessment (月考核): units ranked by hours per member, target attainment and slot coverage.

- members: the unit's registered, active volunteers today;
- hours: credited minutes of counted shifts (server/checkin/hours.py) served for the
  unit, by the local date they started, as in the hours reports;
- active volunteers: those with at least one counted shift crediting minutes;
- attainment: hours against the month's target hours and active volunteers
  against the target head count, each as a fraction (1.0 = met, may exceed);
  their mean when both targets are set. Only for a calendar month;
- slot coverage: the share of planned person-minutes covered in the slots the
  unit is responsible for (server/duty/coverage.py);
- beside them, unranked: the on-time rate of the problems assigned to the unit
  with a deadline in the period (server/problems/deadlines.py).

Each measure ranks units from best (1) down, ties sharing a rank; a unit
without a figure (no members, no target, no slots) is unranked on it. The
overall rank orders units by the mean of their ranks on the measures they have.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from server import permissions
from server.duty import coverage
from server.checkin import hours as rules
from server.callers import Caller
from server.clock import county_zone, local_date
from server.db import db
from server.errors import Forbidden, NotFound, ValidationError
from server.models import Shift, Unit, UnitTarget, User
from server.problems import deadlines

s = Shift.__table__.c
MEASURES = ("hours_per_member", "attainment", "slot_coverage")


def month_bounds(text: str) -> tuple[date, date]:
    """'2026-11' -> (2026-11-01, 2026-11-30). Raises ValidationError."""
    try:
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
    except (ValueError, TypeError):
        raise ValidationError("month 应为年月，如 2026-11", field="month")
    following = date(year + (month == 12), month % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


def rank_units(caller: Caller | None, first: date, last: date, now: datetime, grace_minutes: int, *,
               month: date | None = None) -> list[dict]:
    """Every unit's figures and ranks, ranked county-wide; the caller sees the rows in its scope
    (``caller=None``: every row, for the command office's bulletin)."""
    if caller is not None and caller.role == "coordinator" and caller.scope_unit_id is None:
        raise Forbidden("月考核排名仅限领导、管理员和单位协调员查看", code="FORBIDDEN")
    units = db.session.execute(sa.select(Unit.id, Unit.name).order_by(Unit.id)).all()
    members = _by_unit(User.unit_id, sa.func.count(), User.unit_id.is_not(None),
                       User.registered_at.is_not(None), User.status == "active")
    counted = sa.and_(s.local_date >= first, s.local_date <= last, rules.finished(Shift.__table__),
                      s.review_state.in_(rules.COUNTED_REVIEW_STATES), s.unit_id.is_not(None))
    minutes = _by_unit(s.unit_id, sa.func.sum(s.credited_minutes), counted)
    active = _by_unit(s.unit_id, sa.func.count(sa.distinct(s.volunteer_id)), counted, s.credited_minutes > 0)
    targets = {}
    if month is not None:
        targets = {t.unit_id: t for t in db.session.execute(
            sa.select(UnitTarget).where(UnitTarget.month == month)).scalars()}
    measured = coverage.measure(coverage.slots(None, first, last), now, grace_minutes)
    by_unit = coverage.summarize([row for row in measured if row["unit_id"] is not None], "unit_id")

    tz = county_zone()
    on_time = deadlines.on_time_by_unit(first, last, local_date(now, tz), tz)

    rows = []
    for unit in units:
        row = _figures(unit, members.get(unit.id, 0), minutes.get(unit.id, 0), active.get(unit.id, 0),
                       targets.get(unit.id), by_unit.get(unit.id))
        # Beside the hours, not among the ranked measures: how the unit handles the problems
        # assigned to it (server/problems/deadlines.py).
        row.update(on_time.get(unit.id) or deadlines.no_problems_due())
        rows.append(row)
    _rank(rows)
    if caller is None or caller.sees_everything:
        return rows
    return [row for row in rows if row["unit"]["id"] == caller.scope_unit_id]


def _by_unit(unit_column, value, *conditions) -> dict[int, int]:
    query = sa.select(unit_column, value).where(*conditions).group_by(unit_column)
    return {unit_id: int(value or 0) for unit_id, value in db.session.execute(query)}


def _figures(unit, members: int, minutes: int, active: int, target, slots: dict | None) -> dict:
    hours = rules.as_hours(minutes)
    target_hours = target.target_hours if target is not None else None
    target_active = target.target_active_volunteers if target is not None else None
    hours_part = minutes / 60 / target_hours if target_hours else None
    active_part = active / target_active if target_active else None
    parts = [value for value in (hours_part, active_part) if value is not None]
    slots = slots or {}
    return {
        "unit": {"id": unit.id, "name": unit.name},
        "members": members,
        "active_volunteers": active,
        "credited_minutes": minutes,
        "hours": hours,
        "hours_per_member": round(minutes / 60 / members, 2) if members else None,
        "target_hours": target_hours,
        "target_active_volunteers": target_active,
        "hours_attainment": round(hours_part, 4) if hours_part is not None else None,
        "active_attainment": round(active_part, 4) if active_part is not None else None,
        "attainment": round(sum(parts) / len(parts), 4) if parts else None,
        "slots": slots.get("slots", 0),
        "planned_person_minutes": slots.get("planned_person_minutes", 0),
        "covered_person_minutes": slots.get("covered_person_minutes", 0),
        "slot_coverage": slots.get("share"),
    }


def _rank(rows: list[dict]) -> None:
    for measure in MEASURES:
        ranked = sorted((row for row in rows if row[measure] is not None), key=lambda row: -row[measure])
        for row in rows:
            row[f"rank_{measure}"] = None
        for position, row in enumerate(ranked):
            tied = position and ranked[position - 1][measure] == row[measure]
            row[f"rank_{measure}"] = ranked[position - 1][f"rank_{measure}"] if tied else position + 1
    for row in rows:
        ranks = [row[f"rank_{m}"] for m in MEASURES if row[f"rank_{m}"] is not None]
        row["score"] = round(sum(ranks) / len(ranks), 2) if ranks else None
    rows.sort(key=lambda row: (row["score"] is None, row["score"] or 0, -(row["hours_per_member"] or 0),
                               row["unit"]["id"]))
    for position, row in enumerate(rows):
        previous = rows[position - 1] if position else None
        if row["score"] is None:
            row["rank"] = None
        elif previous is not None and previous["score"] == row["score"]:
            row["rank"] = previous["rank"]
        else:
            row["rank"] = position + 1


# --- targets ------------------------------------------------------------------------------

def set_target(caller: Caller, unit_id: int, month: date, target_hours: float | None,
               target_active: int | None, now: datetime) -> UnitTarget:
    """The command office sets each unit's monthly target: leaders and admins."""
    if not permissions.sees_county_assessment(caller):
        raise Forbidden("考核指标由领导或管理员设置", code="FORBIDDEN")
    if db.session.get(Unit, unit_id) is None:
        raise NotFound("找不到该单位")
    target = db.session.execute(sa.select(UnitTarget).where(
        UnitTarget.unit_id == unit_id, UnitTarget.month == month)).scalar()
    if target is None:
        target = UnitTarget(unit_id=unit_id, month=month)
        db.session.add(target)
    target.target_hours = target_hours
    target.target_active_volunteers = target_active
    target.updated_by_id = caller.id
    target.updated_at = now
    db.session.commit()
    return target


def targets_of(caller: Caller, month: date) -> list[UnitTarget]:
    query = sa.select(UnitTarget).where(UnitTarget.month == month).order_by(UnitTarget.unit_id)
    if not caller.sees_everything:
        query = query.where(UnitTarget.unit_id == caller.scope_unit_id)
    return list(db.session.execute(query).scalars())
