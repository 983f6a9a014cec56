"""A county may be stricter at some posts: a start photo within 5 minutes, and scans checked
against the roster."""
from datetime import timedelta

import pytest

from server.clock import utcnow
from server.db import db
from server.models import Shift
from tests import factories
from tests.factories import at_post
from tests.photo_helpers import local_exif_time, make_scene, upload, with_exif
from tests.roster_data import TZ, slots

START = "/api/mp/v1/shifts"


@pytest.fixture
def volunteer(county):
    return factories.volunteer(county.unit_a, name="周严")


def scan_in(client, volunteer, post) -> dict:
    res = client.post(START, headers=factories.headers(volunteer), json=at_post(post))
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def scan_out(client, volunteer, post, shift_id) -> dict:
    shift = db.session.get(Shift, shift_id)
    shift.started_at -= timedelta(minutes=40)
    db.session.commit()
    res = client.post(f"{START}/{shift_id}/end", headers=factories.headers(volunteer), json=at_post(post))
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def camera_photo(seed: int = 1, *, taken=None) -> bytes:
    return with_exif(make_scene((800, 600), seed=seed), taken=local_exif_time(taken or utcnow()), offset=None)


@pytest.fixture
def strict_post(county):
    county.post_east.require_photo_start = True
    db.session.commit()
    return county.post_east


def test_a_shift_at_a_post_requiring_a_start_photo_waits_until_the_photo_arrives(client, volunteer,
                                                                                  strict_post):
    shift = scan_in(client, volunteer, strict_post)
    assert (shift["flags"], shift["review"]["state"]) == (["start_photo_pending"], "pending")

    assert upload(client, volunteer, shift["id"], camera_photo(), kind="start").status_code == 201

    ended = scan_out(client, volunteer, strict_post, shift["id"])
    assert (ended["flags"], ended["review"]["state"]) == ([], "none")


def test_no_start_photo_by_the_end_of_the_shift_leaves_it_for_review(client, volunteer, strict_post):
    shift = scan_in(client, volunteer, strict_post)
    ended = scan_out(client, volunteer, strict_post, shift["id"])
    assert "no_start_photo" in ended["flags"] and ended["review"]["state"] == "pending"


@pytest.mark.parametrize("late", ["uploaded 6 minutes after the scan", "taken before the scan",
                                  "a duty photo, not a start photo"])
def test_a_start_photo_that_does_not_meet_the_rule_does_not_clear_the_shift(client, volunteer, strict_post, late):
    shift = scan_in(client, volunteer, strict_post)
    kind, taken = "start", None
    if late == "uploaded 6 minutes after the scan":
        row = db.session.get(Shift, shift["id"])
        row.started_at -= timedelta(minutes=6)
        db.session.commit()
    elif late == "taken before the scan":
        taken = utcnow() - timedelta(hours=2)
    else:
        kind = "duty"
    assert upload(client, volunteer, shift["id"], camera_photo(taken=taken), kind=kind).status_code == 201
    db.session.expire_all()
    assert db.session.get(Shift, shift["id"]).review_state == "pending"


def test_other_posts_keep_the_ordinary_rules(client, volunteer, county):
    shift = scan_in(client, volunteer, county.post_west)
    assert (shift["flags"], shift["review"]["state"]) == ([], "none")


# --- scan window around rostered slots -----------------------------------------------------

def roster_checked_at(app, post, hour: int, minute: int) -> None:
    """The post checks scans against the roster, and the server's clock (CLOCK_OFFSET_SECONDS)
    reads today at hour:minute in the county, so a story about the roster does not depend on
    when it runs: near midnight, "20 minutes ago" is yesterday."""
    app.config["CLOCK_OFFSET_SECONDS"] = 0
    now = utcnow().astimezone(TZ)
    app.config["CLOCK_OFFSET_SECONDS"] = (now.replace(hour=hour, minute=minute) - now).total_seconds()
    post.scan_window = True
    db.session.commit()


@pytest.fixture
def roster(app, county, volunteer):
    """The post checks the roster, at ten in the morning; ``roster(m)``: a slot of the
    volunteer's starts in m minutes."""
    roster_checked_at(app, county.post_east, 10, 0)
    planner = factories.console_user("admin")

    def slot_in(minutes: int, volunteers=(volunteer,), length: int = 60):
        begins = (utcnow() + timedelta(minutes=minutes)).astimezone(TZ)
        ends = begins + timedelta(minutes=length)
        return slots(planner, county.post_east, begins.date().isoformat(), begins.strftime("%H:%M"),
                     ends.strftime("%H:%M"), volunteers=volunteers, now=utcnow() - timedelta(days=1))
    return slot_in


def test_a_scan_up_to_15_minutes_before_the_volunteers_slot_is_rostered(client, county, volunteer, roster):
    roster(10)
    assert scan_in(client, volunteer, county.post_east)["flags"] == []


def test_a_scan_well_before_the_slot_is_allowed_but_flagged_unrostered(client, county, volunteer, roster):
    roster(30)
    shift = scan_in(client, volunteer, county.post_east)
    assert shift["flags"] == ["unrostered"] and shift["review"]["state"] == "pending"


def test_a_volunteer_not_on_the_roster_of_a_rostered_post_is_flagged(client, county, volunteer, roster):
    roster(-20, volunteers=(factories.volunteer(county.unit_a),))
    assert scan_in(client, volunteer, county.post_east)["flags"] == ["unrostered"]


def night_slot(app, county, clock: tuple[int, int], days: int, start: str, end: str, on_it) -> None:
    """The post checks the roster; the county's clock reads ``clock`` today, and a slot runs from
    ``start`` to ``end`` on the day ``days`` from today, with ``on_it`` on it."""
    roster_checked_at(app, county.post_east, *clock)
    day = (utcnow().astimezone(TZ) + timedelta(days=days)).date().isoformat()
    slots(factories.console_user("admin"), county.post_east, day, start, end, volunteers=(on_it,),
          now=utcnow() - timedelta(days=2))


def test_just_after_midnight_a_night_slot_from_the_day_before_is_the_roster(app, client, county, volunteer):
    # 00:10: a slot planned for yesterday, 23:30-01:00, is running, and the volunteer is not on it.
    night_slot(app, county, (0, 10), -1, "23:30", "01:00", factories.volunteer(county.unit_a))
    assert scan_in(client, volunteer, county.post_east)["flags"] == ["unrostered"]


def test_just_before_midnight_the_next_days_first_slot_already_opens_for_scans(app, client, county, volunteer):
    # 23:55: nothing was planned today; a slot starts at 00:05, on another volunteer's roster.
    on_it = factories.volunteer(county.unit_a)
    night_slot(app, county, (23, 55), 1, "00:05", "02:00", on_it)
    assert scan_in(client, on_it, county.post_east)["flags"] == []
    assert scan_in(client, volunteer, county.post_east)["flags"] == ["unrostered"]


def test_a_slot_that_ended_before_midnight_leaves_no_roster_for_the_new_day(app, client, county, volunteer):
    night_slot(app, county, (0, 10), -1, "21:00", "23:00", factories.volunteer(county.unit_a))
    assert scan_in(client, volunteer, county.post_east)["flags"] == []


def test_a_post_without_a_roster_that_day_has_nothing_to_be_outside_of(client, county, volunteer):
    county.post_east.scan_window = True
    db.session.commit()
    assert scan_in(client, volunteer, county.post_east)["flags"] == []
