"""What each role may see, as SQL conditions used inside queries.

- volunteer: only their own records, and no console endpoint at all (403).
- coordinator of a unit: that unit's volunteers, their shifts, and the posts
  where the unit's volunteers served.
- coordinator of a district: the district's posts, every shift at them and
  everyone who served there.
- leader, admin: everything.

A row outside the caller's scope is reported as 404 by the caller of these
functions, never 403, so ids leak nothing.
"""
from __future__ import annotations

import sqlalchemy as sa

from server.callers import Caller
from server.errors import Forbidden
from server.models import District, Post, Problem, Shift, Unit, User

CONSOLE_ROLES = ("coordinator", "leader", "admin")


def require_console(caller: Caller) -> None:
    if caller.role not in CONSOLE_ROLES:
        raise Forbidden("该功能仅限协调员、领导和管理员使用", code="FORBIDDEN")
    if caller.status != "active":
        raise Forbidden("账号已被停用", code="ACCOUNT_SUSPENDED")


def require_role(caller: Caller, *roles: str) -> None:
    require_console(caller)
    if caller.role not in roles:
        raise Forbidden("没有权限进行此操作", code="FORBIDDEN")


def _district_post_ids(district_id: int):
    return sa.select(Post.id).where(Post.district_id == district_id)


def shift_filter(caller: Caller):
    """Shifts the caller may see."""
    if caller.sees_everything:
        return sa.true()
    if caller.role == "coordinator" and caller.scope_unit_id is not None:
        return Shift.unit_id == caller.scope_unit_id
    if caller.role == "coordinator" and caller.scope_district_id is not None:
        return Shift.post_id.in_(_district_post_ids(caller.scope_district_id))
    return Shift.volunteer_id == caller.id


def volunteer_filter(caller: Caller):
    """Users (as volunteers) the caller may see."""
    if caller.sees_everything:
        return sa.true()
    if caller.role == "coordinator" and caller.scope_unit_id is not None:
        return User.unit_id == caller.scope_unit_id
    if caller.role == "coordinator" and caller.scope_district_id is not None:
        served_here = sa.select(Shift.volunteer_id).where(
            Shift.post_id.in_(_district_post_ids(caller.scope_district_id)))
        return User.id.in_(served_here)
    return User.id == caller.id


def post_filter(caller: Caller):
    """Posts the caller may see (every active post is visible to volunteers via /posts/nearby)."""
    if caller.sees_everything:
        return sa.true()
    if caller.role == "coordinator" and caller.scope_district_id is not None:
        return Post.district_id == caller.scope_district_id
    if caller.role == "coordinator" and caller.scope_unit_id is not None:
        served_by_unit = sa.select(Shift.post_id).where(Shift.unit_id == caller.scope_unit_id)
        return Post.id.in_(served_by_unit)
    return sa.false()


def _coordinates_district(caller: Caller, district_id: int) -> bool:
    return caller.role == "coordinator" and caller.scope_district_id == district_id


def may_print_posters(caller: Caller, district_id: int) -> bool:
    """Posters of a district's posts: its coordinators, leaders and admins."""
    return caller.sees_everything or _coordinates_district(caller, district_id)


def may_manage_post(caller: Caller, district_id: int) -> bool:
    """Edit a post or rotate its QR: admins and the coordinators of its district."""
    return caller.role == "admin" or _coordinates_district(caller, district_id)


# --- Reports, reviews and volunteer management ------------------------------------


def unit_filter(caller: Caller):
    """Units the caller may report on: a district coordinator sees the units that served there."""
    if caller.sees_everything:
        return sa.true()
    if caller.role == "coordinator" and caller.scope_unit_id is not None:
        return Unit.id == caller.scope_unit_id
    if caller.role == "coordinator" and caller.scope_district_id is not None:
        served_here = sa.select(Shift.unit_id).where(
            Shift.post_id.in_(_district_post_ids(caller.scope_district_id)))
        return Unit.id.in_(served_here)
    return sa.false()


def district_filter(caller: Caller):
    """Districts the caller may report on: a unit coordinator sees those its volunteers served in."""
    if caller.sees_everything:
        return sa.true()
    if caller.role == "coordinator" and caller.scope_district_id is not None:
        return District.id == caller.scope_district_id
    if caller.role == "coordinator" and caller.scope_unit_id is not None:
        # From the unit's shifts to their posts' districts: one pass over the shifts, where a join
        # from each post to all its shifts took seconds on a county-year in SQLite (bench/console.py).
        served_in = sa.select(Post.district_id).where(
            Post.id.in_(sa.select(Shift.post_id).where(Shift.unit_id == caller.scope_unit_id)))
        return District.id.in_(served_in)
    return sa.false()


def sees_full_phone(caller: Caller) -> bool:
    """Phone numbers are masked (138****1234) for everyone but admins."""
    return caller.role == "admin"


def may_change_shifts(caller: Caller) -> bool:
    """Review, void and add shifts: coordinators and admins; leaders read."""
    return caller.role in ("coordinator", "admin")


def may_bypass_shift_limits(caller: Caller) -> bool:
    """Credit beyond MAX_SHIFT_MINUTES, add shifts older than 10 working days: admins only."""
    return caller.role == "admin"


def may_edit_calendar(caller: Caller) -> bool:
    """Enter public holidays and swapped working days: admins; everyone in the console reads them."""
    return caller.role == "admin"


def may_add_manual_shift(caller: Caller, volunteer_unit_id: int | None, post_district_id: int) -> bool:
    """A unit coordinator for its own people at any post, a district coordinator at its own posts."""
    if caller.role == "admin":
        return True
    if caller.role != "coordinator":
        return False
    if caller.scope_unit_id is not None:
        return volunteer_unit_id == caller.scope_unit_id
    return _coordinates_district(caller, post_district_id)


def may_manage_volunteer(caller: Caller, volunteer_unit_id: int | None) -> bool:
    """Suspend or reactivate: admins and the coordinators of the volunteer's unit."""
    if caller.role == "admin":
        return True
    return caller.role == "coordinator" and caller.scope_unit_id is not None \
        and caller.scope_unit_id == volunteer_unit_id


# --- Rosters, duty and spot checks ------------------------------------------------
# Coordinators plan; leaders read everything and run spot checks; admins do both.
# A unit coordinator plans slots at any active post, staffed by its own unit and
# filled with its own volunteers. A district coordinator plans at its district's
# posts and may put any registered volunteer there: units lend people to the
# district, and the district staffs its own posts.


def may_print_cards(caller: Caller) -> bool:
    """Volunteers' printed cards, for the volunteers they see: coordinators and admins."""
    return caller.role in ("coordinator", "admin")


def may_import_volunteers(caller: Caller) -> bool:
    """A unit's volunteer list: that unit's coordinators (their unit only) and admins (any unit)."""
    return caller.role == "admin" or (caller.role == "coordinator" and caller.scope_unit_id is not None)


def may_plan_rosters(caller: Caller) -> bool:
    return caller.role in ("coordinator", "admin")


def may_plan_at(caller: Caller, post_district_id: int) -> bool:
    """Create or delete slots at a post of this district."""
    if caller.role == "admin":
        return True
    if caller.role != "coordinator":
        return False
    return caller.scope_unit_id is not None or _coordinates_district(caller, post_district_id)


def roster_post_filter(caller: Caller):
    """Posts whose week a roster page offers: every post the caller may see, and for a unit
    coordinator every active post, since it plans at any of them (may_plan_at)."""
    if caller.role == "coordinator" and caller.scope_unit_id is not None:
        return Post.active.is_(True)
    return post_filter(caller)


def visible_volunteers(caller: Caller, volunteer_ids) -> set[int]:
    """Which of these volunteers the caller may see at all (volunteer_filter); a roster answer
    must never name, or even confirm, anyone outside them."""
    from server.db import db

    ids = {int(v) for v in volunteer_ids}
    if not ids:
        return set()
    return set(db.session.execute(sa.select(User.id).where(User.id.in_(ids), volunteer_filter(caller))).scalars())


def may_assign(caller: Caller, volunteer_unit_id: int | None, post_district_id: int) -> bool:
    """Put a volunteer on (or take them off) a slot at a post of this district. The volunteer
    must also be one the caller may see (visible_volunteers): a district coordinator staffs its
    posts with people who served there; a unit lends someone new by rostering them itself."""
    if caller.role == "admin":
        return True
    if caller.role != "coordinator":
        return False
    if caller.scope_unit_id is not None:
        return volunteer_unit_id == caller.scope_unit_id
    return _coordinates_district(caller, post_district_id)


def slot_filter(caller: Caller):
    """Duty slots the caller may see: a unit coordinator those its unit staffs or its
    people are on, a district coordinator those at its posts."""
    from server.models import DutySlot, SlotAssignment

    if caller.sees_everything:
        return sa.true()
    if caller.role == "coordinator" and caller.scope_unit_id is not None:
        its_people_on = (sa.select(SlotAssignment.slot_id).join(User, User.id == SlotAssignment.volunteer_id)
                         .where(User.unit_id == caller.scope_unit_id))
        return sa.or_(DutySlot.unit_id == caller.scope_unit_id, DutySlot.id.in_(its_people_on))
    if caller.role == "coordinator" and caller.scope_district_id is not None:
        return DutySlot.post_id.in_(_district_post_ids(caller.scope_district_id))
    return sa.false()


def visible_post(caller: Caller):
    """Posts, as post_filter, plus the posts a unit coordinator's unit has slots at. Correlated
    on the post (EXISTS), so checking one post reads that post's rows, not the unit's history."""
    from server.models import DutySlot

    if caller.sees_everything:
        return sa.true()
    if caller.role == "coordinator" and caller.scope_district_id is not None:
        return Post.district_id == caller.scope_district_id
    if caller.role == "coordinator" and caller.scope_unit_id is not None:
        served = sa.exists().where(Shift.post_id == Post.id, Shift.unit_id == caller.scope_unit_id)
        planned = sa.exists().where(DutySlot.post_id == Post.id, DutySlot.unit_id == caller.scope_unit_id)
        return sa.or_(served, planned)
    return sa.false()


def may_run_spot_checks(caller: Caller) -> bool:
    """Surprise inspections (督查暗访) belong to the command office's leaders."""
    return caller.role in ("leader", "admin")


def sees_unit_rankings(caller: Caller) -> bool:
    """The monthly unit assessment: leaders, admins and unit coordinators (their own unit's row)."""
    return caller.role in ("leader", "admin") or (caller.role == "coordinator" and caller.scope_unit_id is not None)


def sees_county_assessment(caller: Caller) -> bool:
    """The county-wide bulletin compares every unit: leaders and admins."""
    return caller.sees_everything


# --- Problems found at posts (server/problems) --------------------------------------
# Leaders and admins see every problem; a district coordinator those reported at its
# district's posts; a unit coordinator those assigned to its unit; a reporter their own.


def problem_filter(caller: Caller):
    """Problems the caller may see."""
    if caller.sees_everything:
        return sa.true()
    own = Problem.reporter_id == caller.id
    if caller.role == "coordinator" and caller.scope_unit_id is not None:
        return sa.or_(Problem.unit_id == caller.scope_unit_id, own)
    if caller.role == "coordinator" and caller.scope_district_id is not None:
        return sa.or_(Problem.post_id.in_(_district_post_ids(caller.scope_district_id)), own)
    return own


def may_dispatch_problem(caller: Caller, post_district_id: int | None) -> bool:
    """Assign (交办) or reject a problem: leaders, admins, and the coordinators of the district
    whose post it was reported at."""
    return caller.sees_everything or (post_district_id is not None
                                      and _coordinates_district(caller, post_district_id))


def may_fix_problem(caller: Caller, unit_id: int | None) -> bool:
    """Report a problem fixed (with the after photo): the coordinators of the assigned unit."""
    return caller.role == "coordinator" and unit_id is not None and caller.scope_unit_id == unit_id


def may_verify_problem(caller: Caller) -> bool:
    """Accept a fix or send it back: the command office (leaders and admins)."""
    return caller.sees_everything


def refuse_own_shift(caller: Caller, volunteer_id: int) -> None:
    """Nobody adds, approves, adjusts or voids hours for themselves, whatever their role."""
    if volunteer_id == caller.id:
        raise Forbidden("不能审核或补录自己的上岗记录", code="OWN_SHIFT")
