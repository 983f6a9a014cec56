"""A leader drives past an intersection: who should be there, who is, and who was there at 7:40."""
from datetime import timedelta

import pytest

from server.clock import utcnow
from server.db import db
from server.models import Photo
from tests import factories
from tests.roster_data import TZ, local, shift, slots

CONSOLE = "/api/console/v1"


@pytest.fixture
def people(county):
    class People:
        leader = factories.console_user("leader")
        admin = factories.console_user("admin")
        coordinator_a = factories.console_user("coordinator", unit_=county.unit_a)
        coordinator_b = factories.console_user("coordinator", unit_=county.unit_b)
        west_coordinator = factories.console_user("coordinator", district_=county.west)
        alice = factories.volunteer(county.unit_a, name="王小丽")
        bob = factories.volunteer(county.unit_a, name="李大军")
        carol = factories.volunteer(county.unit_b, name="陈芳")
    return People


def on_duty(client, user, post, at: str) -> list[str]:
    res = client.get(f"{CONSOLE}/duty", query_string={"post_id": post.id, "at": at},
                     headers=factories.headers(user))
    assert res.status_code == 200, res.json
    return sorted(row["volunteer"]["name"] for row in res.json["on_duty"])


def test_a_shift_ending_exactly_at_the_queried_instant_is_no_longer_on_duty(client, county, people):
    post = county.post_east
    shift(people.alice, post, "2026-11-20 07:00", "2026-11-20 07:40")             # ends at 7:40 sharp
    shift(people.bob, post, "2026-11-20 07:40", "2026-11-20 09:00")               # starts at 7:40 sharp
    shift(people.carol, post, "2026-11-20 07:10", "2026-11-20 07:40:00.000001")   # one microsecond later
    assert on_duty(client, people.leader, post, "2026-11-20T07:40:00+08:00") == ["李大军", "陈芳"]
    assert on_duty(client, people.leader, post, "2026-11-20T07:39:59.999999+08:00") == ["王小丽", "陈芳"]
    assert on_duty(client, people.leader, post, "2026-11-20T07:40:00.000001+08:00") == ["李大军"]


def test_an_instant_without_offset_is_county_time(client, county, people):
    shift(people.alice, county.post_east, "2026-11-20 07:00", "2026-11-20 08:00")
    assert on_duty(client, people.leader, county.post_east, "2026-11-20T07:40:00") == ["王小丽"]
    assert on_duty(client, people.leader, county.post_east, "2026-11-19T23:40:00Z") == ["王小丽"]
    assert on_duty(client, people.leader, county.post_east, "2026-11-20T07:40:00Z") == []


def test_voided_and_rejected_shifts_never_put_anyone_on_duty(client, county, people):
    shift(people.alice, county.post_east, "2026-11-20 07:00", "2026-11-20 08:00", status="voided")
    shift(people.bob, county.post_east, "2026-11-20 07:00", "2026-11-20 08:00", review_state="rejected")
    shift(people.carol, county.post_east, "2026-11-20 07:00", "2026-11-20 08:00", review_state="pending")
    assert on_duty(client, people.leader, county.post_east, "2026-11-20T07:30:00+08:00") == ["陈芳"]


def test_a_very_long_shift_is_found_hours_after_it_began(client, county, people):
    # Added by hand by an admin: fifteen hours, longer than any look-back window.
    shift(people.alice, county.post_west, "2026-11-20 06:00", "2026-11-20 21:00")
    assert on_duty(client, people.leader, county.post_west, "2026-11-20T20:59:00+08:00") == ["王小丽"]
    assert on_duty(client, people.leader, county.post_west, "2026-11-20T21:00:00+08:00") == []


def test_an_open_shift_counts_up_to_now_and_no_further(client, county, people):
    forgotten = utcnow() - timedelta(days=3)  # never scanned out, not yet closed by cron
    shift(people.alice, county.post_west, forgotten.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S"), None)
    recent = utcnow() - timedelta(minutes=40)
    shift(people.bob, county.post_west, recent.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S"), None)
    a_minute_ago = (utcnow() - timedelta(minutes=1)).isoformat()
    assert on_duty(client, people.leader, county.post_west, a_minute_ago) == ["李大军", "王小丽"]
    yesterday = (utcnow() - timedelta(days=1)).isoformat()
    assert on_duty(client, people.leader, county.post_west, yesterday) == ["王小丽"]
    in_an_hour = (utcnow() + timedelta(hours=1)).isoformat()
    assert on_duty(client, people.leader, county.post_west, in_an_hour) == []


def test_slots_are_shown_from_their_first_minute_to_just_before_their_end(client, county, people):
    slots(people.admin, county.post_east, "2026-11-20", "07:00", "09:00", volunteers=[people.alice])
    for at, expected in (("06:59:59", 0), ("07:00:00", 1), ("08:59:59", 1), ("09:00:00", 0)):
        res = client.get(f"{CONSOLE}/duty", query_string={"post_id": county.post_east.id,
                                                          "at": f"2026-11-20T{at}+08:00"},
                         headers=factories.headers(people.leader))
        assert len(res.json["slots"]) == expected, at


def test_a_posts_day_includes_the_night_shift_that_crossed_midnight(client, county, people):
    post = county.post_east2
    shift(people.alice, post, "2026-11-19 22:30", "2026-11-20 00:30")
    shift(people.bob, post, "2026-11-20 12:00", "2026-11-20 14:00")
    shift(people.carol, post, "2026-11-20 23:00", "2026-11-21 01:00")
    shift(people.alice, post, "2026-11-21 00:00", "2026-11-21 02:00")
    res = client.get(f"{CONSOLE}/duty", query_string={"post_id": post.id, "date": "2026-11-20"},
                     headers=factories.headers(people.leader))
    assert [(r["volunteer"]["name"], r["started_at"]) for r in res.json["shifts"]] == [
        ("王小丽", "2026-11-19T22:30:00+08:00"), ("李大军", "2026-11-20T12:00:00+08:00"),
        ("陈芳", "2026-11-20T23:00:00+08:00")]


def test_where_a_volunteer_served_between_two_dates(client, county, people):
    shift(people.alice, county.post_east, "2026-11-18 07:00", "2026-11-18 09:00")
    shift(people.alice, county.post_west, "2026-11-19 17:00", "2026-11-19 19:00")
    shift(people.alice, county.post_east2, "2026-11-21 07:00", "2026-11-21 09:00")
    res = client.get(f"{CONSOLE}/duty", query_string={"volunteer_id": people.alice.id, "from": "2026-11-18",
                                                      "to": "2026-11-19"}, headers=factories.headers(people.leader))
    assert res.status_code == 200
    assert [r["post"]["name"] for r in res.json["shifts"]] == ["人民路与解放路交叉口", "星江公园南门"]


def test_coordinators_see_who_was_on_duty_only_within_their_scope(client, county, people):
    shift(people.alice, county.post_east, "2026-11-20 07:00", "2026-11-20 08:00")
    shift(people.carol, county.post_east, "2026-11-20 07:00", "2026-11-20 08:00")
    shift(people.carol, county.post_west, "2026-11-21 07:00", "2026-11-21 08:00")
    at = "2026-11-20T07:30:00+08:00"
    assert on_duty(client, people.leader, county.post_east, at) == ["王小丽", "陈芳"]
    assert on_duty(client, people.coordinator_a, county.post_east, at) == ["王小丽"]
    assert on_duty(client, people.coordinator_b, county.post_east, at) == ["陈芳"]
    # Unit A never served at the west post; the west district's coordinator has no business in the east.
    for user, post in ((people.coordinator_a, county.post_west), (people.west_coordinator, county.post_east)):
        res = client.get(f"{CONSOLE}/duty", query_string={"post_id": post.id, "at": at},
                         headers=factories.headers(user))
        assert res.status_code == 404
    res = client.get(f"{CONSOLE}/duty", query_string={"volunteer_id": people.alice.id, "from": "2026-11-01",
                                                      "to": "2026-11-30"},
                     headers=factories.headers(people.coordinator_b))
    assert res.status_code == 404


def _local(instant) -> tuple[str, str]:
    moment = instant.astimezone(TZ)
    return moment.date().isoformat(), moment.strftime("%H:%M")


def test_the_board_shows_who_is_on_duty_now_and_posts_left_empty(client, county, people):
    now = utcnow()
    alice_shift = shift(people.alice, county.post_east, (now - timedelta(minutes=30)).astimezone(TZ)
                        .strftime("%Y-%m-%d %H:%M:%S"), None)
    db.session.add(Photo(shift_id=alice_shift.id, uploader_id=people.alice.id, kind="duty", sha256="a" * 64,
                         source_sha256="b" * 64, width=800, height=600, bytes=1000, created_at=now,
                         check_status="none"))
    db.session.commit()
    day_, start = _local(now - timedelta(minutes=20))
    _, end = _local(now + timedelta(minutes=100))
    slots(people.admin, county.post_west, day_, start, end, volunteers=[people.carol],
          now=now - timedelta(hours=1))
    day2, start2 = _local(now - timedelta(minutes=5))
    slots(people.admin, county.post_east2, day2, start2, end, volunteers=[people.bob],
          now=now - timedelta(hours=1))

    res = client.get(f"{CONSOLE}/duty/now", headers=factories.headers(people.leader))
    assert res.status_code == 200
    board = {p["post"]["id"]: p for p in res.json["posts"]}
    east = board[county.post_east.id]
    assert [(v["volunteer"]["name"], v["unit"]["name"]) for v in east["on_duty"]] == [("王小丽", "县财政局")]
    assert east["on_duty"][0]["minutes"] == 30 and east["state"] == "unplanned"
    assert east["on_duty"][0]["photo"]["thumbnail_url"].startswith("/photos/")
    assert {p["post"]["id"] for p in res.json["unstaffed"]} == {county.post_west.id, county.post_east2.id}
    west_slot = board[county.post_west.id]["slots_now"][0]
    assert [(a["name"], a["present"], a["late"]) for a in west_slot["assigned"]] == [("陈芳", False, True)]
    east2_slot = board[county.post_east2.id]["slots_now"][0]
    assert [(a["name"], a["late"]) for a in east2_slot["assigned"]] == [("李大军", False)]

    # Unit B's coordinator sees its own slot left empty, and none of unit A's people.
    mine = client.get(f"{CONSOLE}/duty/now", headers=factories.headers(people.coordinator_b)).json
    assert [p["post"]["id"] for p in mine["posts"]] == [county.post_west.id]
    assert mine["counts"]["volunteers_on_duty"] == 0


def test_the_query_needs_a_post_and_an_instant_or_date_or_a_volunteer_and_a_period(client, county, people):
    bad = client.get(f"{CONSOLE}/duty", query_string={"post_id": county.post_east.id},
                     headers=factories.headers(people.leader))
    assert bad.status_code == 422
    bad_at = client.get(f"{CONSOLE}/duty", query_string={"post_id": county.post_east.id, "at": "7:40"},
                        headers=factories.headers(people.leader))
    assert bad_at.status_code == 422 and bad_at.json["error"]["field"] == "at"
    assert local("2026-11-20 07:40").isoformat() == "2026-11-19T23:40:00+00:00"
