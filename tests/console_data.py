"""A small county with something on every console page: shifts in every state, a correction request,
a roster with a missed slot, people on duty now, a spot check and problems found at posts in each state
a console role acts on. Used by the browser walk, the axe checks and docs/screenshots.py (problems)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from server import callers
from server.clock import utcnow, zone
from server.db import db
from server.duty import spot_checks
from server.inputs import PhotoUpload
from server.models import CorrectionRequest, User
from server.problems import follow_up, photos, reporting
from tests import factories, roster_data
from tests.photo_helpers import scene_jpeg

TZ = zone("Asia/Shanghai")
ROLES = ("admin", "coordinator_unit", "coordinator_district", "leader")


@dataclass
class Busy:
    county: factories.County
    users: dict
    volunteer_id: int
    spot_check_id: int
    problems: dict[str, int]


def build(county: factories.County) -> Busy:
    now = utcnow()
    users = {
        "admin": factories.console_user("admin", username="walk-admin"),
        "coordinator_unit": factories.console_user("coordinator", unit_=county.unit_a, username="walk-unit"),
        "coordinator_district": factories.console_user("coordinator", district_=county.east,
                                                       username="walk-district"),
        "leader": factories.console_user("leader", username="walk-leader"),
    }
    names = ["王小明", "李娜", "赵磊", "陈静", "周杰", "吴婷"]
    people = [factories.volunteer(county.unit_a if i % 2 == 0 else county.unit_b, name=name)
              for i, name in enumerate(names)]
    yesterday_7 = (datetime.now(TZ) - timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)
    start = yesterday_7.astimezone(timezone.utc)
    posts = [county.post_east, county.post_east2, county.post_west]
    for i, person in enumerate(people):
        for day in range(0, 40, 3):
            began = start - timedelta(days=day, minutes=7 * i)
            factories.shift(person, posts[(i + day) % 3], began, began + timedelta(minutes=90), tz=TZ,
                            persuasions=4)
    flagged = factories.shift(people[0], county.post_east, start + timedelta(hours=4),
                              start + timedelta(hours=9), tz=TZ, credited_minutes=240, flags=["capped"],
                              review_state="pending")
    factories.shift(people[2], county.post_east2, start + timedelta(hours=4), start + timedelta(hours=4, minutes=10),
                    tz=TZ, credited_minutes=10, flags=["too_short"], review_state="pending")
    corrected = factories.shift(people[0], county.post_west, start - timedelta(days=2, hours=-5),
                                start - timedelta(days=2, hours=-6), tz=TZ, flags=["correction_requested"],
                                review_state="pending")
    db.session.add(CorrectionRequest(shift_id=corrected.id, volunteer_id=people[0].id, kind="correction",
                                     reason="下岗时忘记扫码，实际在岗到 12 点", proposed_minutes=120, status="pending",
                                     created_at=now - timedelta(days=1)))
    factories.shift(people[1], county.post_east, start - timedelta(days=1), start - timedelta(days=1, minutes=-60),
                    tz=TZ, status="voided", credited_minutes=0, review_reason="测试扫码")
    db.session.commit()
    # On duty now at two posts, and a roster for yesterday (one slot missed) and today.
    factories.shift(people[3], county.post_east, now - timedelta(minutes=35), None, tz=TZ)
    factories.shift(people[4], county.post_west, now - timedelta(minutes=80), None, tz=TZ)
    planner = users["admin"]
    day = yesterday_7.date().isoformat()
    roster_data.slots(planner, county.post_east, day, "07:00", "09:00", volunteers=[people[0]])
    roster_data.slots(planner, county.post_east2, day, "16:30", "18:30", volunteers=[people[5]])
    check = spot_checks.start(callers.load(users["leader"].id), post_id=county.post_east.id, district_id=None,
                              minutes=10, note="早高峰暗访", now=now)
    found = problems(people[1], users["admin"], users["coordinator_unit"],
                     [county.post_east, county.post_west, county.post_east2], now)
    return Busy(county=county, users=users, volunteer_id=people[0].id, spot_check_id=check.id, problems=found)


def problems(reporter: User, dispatcher: User, fixer: User, posts: list, now: datetime) -> dict[str, int]:
    """Three problems a volunteer found at three posts: one just reported with its photo ("open"), one
    assigned to the fixer's unit ten days ago and now overdue ("assigned"), one that unit fixed with an
    after photo, waiting for the command office ("fixed"). Their ids by state."""
    found = {}
    cases = [("open", "公共设施", "人行道护栏断裂，有安全隐患", 0), ("assigned", "交通秩序", "公园南门外人行横道标线磨损", 12),
             ("fixed", "环境卫生", "广场垃圾桶满溢，无人清运", 4)]
    for (state, category, description, days_ago), post in zip(cases, posts):
        reported_at = now - timedelta(days=days_ago, hours=2)
        row, _ = reporting.report(callers.load(reporter.id), {
            "category": category, "description": description, "post_id": post.id,
            "latitude": post.latitude + 0.0001, "longitude": post.longitude}, reported_at, TZ)
        photos.add(callers.load(reporter.id), row, "before",
                   PhotoUpload(scene_jpeg(len(found) + 1, (400, 300)), post.latitude, post.longitude), reported_at)
        if state != "open":
            follow_up.assign(callers.load(dispatcher.id), row["id"], {
                "unit_id": fixer.scope_unit_id, "note": "请尽快处理"}, reported_at + timedelta(hours=1), TZ)
        if state == "fixed":
            follow_up.fix_with_photo(callers.load(fixer.id), row["id"], scene_jpeg(len(found) + 11, (400, 300)),
                                     "已联系环卫所清运，并增设一个垃圾桶", now - timedelta(days=1))
        found[state] = row["id"]
    return found


def pages(busy: Busy, role: str) -> list[str]:
    """Every console page a role may open, with the query strings that fill them."""
    everyone = ["/console/", "/console/duty/now", "/console/duty",
                f"/console/duty?post_id={busy.county.post_east.id}&date="
                f"{(datetime.now(TZ) - timedelta(days=1)).date().isoformat()}",
                "/console/hours", "/console/hours?group_by=volunteer", "/console/reviews", "/console/corrections",
                "/console/volunteers", f"/console/volunteers/{busy.volunteer_id}", "/console/posts",
                f"/console/rosters?post_id={busy.county.post_east.id}", "/console/calendar",
                "/console/coverage?span=week", "/console/digest", "/console/trust",
                f"/console/posts/{busy.county.post_east.id}/leaders"]
    if role != "coordinator_district":
        everyone.append("/console/rankings")
    if role in ("admin", "leader"):
        everyone += ["/console/bulletin", "/console/spot-checks", f"/console/spot-checks/{busy.spot_check_id}"]
    if role in ("admin", "coordinator_unit"):
        everyone += ["/console/volunteers/import", "/console/volunteers/new"]
    if role == "admin":
        everyone += ["/console/posts/new", "/console/accounts", "/console/organisation"]
    everyone += problem_pages(busy, role)
    everyone.append("/console/password")
    return everyone


def problem_pages(busy: Busy, role: str) -> list[str]:
    """The problems each role may see: the command office all three (assign, verify), the east
    district's coordinator those at its posts (assign), the unit's coordinator its queue (fix)."""
    ids = busy.problems
    if role == "coordinator_unit":
        return ["/console/problems?status=assigned", f"/console/problems/{ids['assigned']}",
                f"/console/problems/{ids['fixed']}"]
    listing = ["/console/problems", "/console/problems?overdue=true"]
    if role == "coordinator_district":
        return listing + [f"/console/problems/{ids['open']}", f"/console/problems/{ids['fixed']}"]
    return listing + [f"/console/problems/{ids[state]}" for state in ("open", "assigned", "fixed")]
