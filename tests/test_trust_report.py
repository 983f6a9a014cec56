"""Leaders see, per month, how many scanned shifts carried signs of not being earned at the
post, as rates by unit, post and volunteer; the weekly bulletin has a line per unit."""
from datetime import datetime

import pytest

from server.duty import bulletin
from server.clock import utcnow
from tests import factories
from tests.report_data import TZ, add_shift
from tests.test_console_pages import sign_in

TRUST = "/api/console/v1/trust"


@pytest.fixture
def month(county):
    """November: unit A's 王懒 cheats on 2 of his 3 shifts, 李勤 never; unit B's 陈芳 once in 4."""
    a, b = county.unit_a, county.unit_b
    lazy, keen = factories.volunteer(a, name="王懒"), factories.volunteer(a, name="李勤")
    carol = factories.volunteer(b, name="陈芳")
    east, west = county.post_east, county.post_west
    add_shift(lazy, east, datetime(2026, 11, 2, 8), 60, flags=["location_at_post_exact", "location_static"],
              review_state="pending")
    add_shift(lazy, east, datetime(2026, 11, 3, 8), 60, flags=["location_repeated"], review_state="pending")
    add_shift(lazy, east, datetime(2026, 11, 4, 8), 60)
    add_shift(keen, east, datetime(2026, 11, 4, 9), 60)
    add_shift(keen, east, datetime(2026, 11, 5, 9), 10, flags=["too_short"], review_state="pending")  # not trust
    for day in (2, 3, 4):
        add_shift(carol, west, datetime(2026, 11, day, 17), 60)
    add_shift(carol, west, datetime(2026, 11, 5, 17), 60, flags=["spot_check_unanswered"], review_state="pending")
    add_shift(carol, west, datetime(2026, 12, 1, 17), 60, flags=["location_jump"], review_state="pending")  # December
    add_shift(lazy, east, datetime(2026, 11, 6, 8), 60, source="manual")  # no scan, no signal
    return {"lazy": lazy, "keen": keen, "carol": carol}


def get(client, user, **params):
    return client.get(TRUST, query_string=params, headers=factories.headers(user))


def test_a_leader_sees_the_months_flag_rates_by_unit_post_and_volunteer(client, county, month):
    res = get(client, factories.console_user("leader"), month="2026-11")
    assert res.status_code == 200
    body = res.get_json()
    assert body["totals"] == {"shifts": 9, "flagged": 3, "rate": 0.3333, "by_flag": {
        "location_at_post_exact": 1, "location_static": 1, "location_repeated": 1, "spot_check_unanswered": 1}}
    units = {row["name"]: (row["shifts"], row["flagged"], row["rate"]) for row in body["units"]}
    assert units == {county.unit_a.name: (5, 2, 0.4), county.unit_b.name: (4, 1, 0.25)}
    assert body["units"][0]["name"] == county.unit_a.name  # worst rate first
    posts = {row["id"]: row["rate"] for row in body["posts"]}
    assert posts == {county.post_east.id: 0.4, county.post_west.id: 0.25}
    [worst, second] = body["most_flagged_volunteers"]
    assert (worst["name"], worst["flagged"], worst["rate"]) == ("王懒", 2, 0.6667)
    assert second["name"] == "陈芳"


def test_a_unit_coordinator_sees_only_their_units_shifts(client, county, month):
    coordinator = factories.console_user("coordinator", unit_=county.unit_b)
    body = get(client, coordinator, month="2026-11").get_json()
    assert [row["name"] for row in body["units"]] == [county.unit_b.name]
    assert [row["name"] for row in body["volunteers"]] == ["陈芳"]


def test_volunteers_may_not_see_it_and_a_bad_month_is_refused(client, county, month):
    assert get(client, month["keen"], month="2026-11").status_code == 401  # a mini-program token at the console
    res = get(client, factories.console_user("leader"), month="2026-13")
    assert res.status_code == 422 and res.get_json()["error"]["field"] == "month"


def test_the_console_page_shows_the_rates(client, county, month):
    factories.console_user("leader", username="leader1")
    sign_in(client, "leader1")
    page = client.get("/console/trust?month=2026-11")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "扫码记录可信度" in html and "王懒" in html and "40.0%" in html and "位置与另一天完全相同" in html


def test_the_weekly_bulletin_has_a_trust_line_per_unit(client, county, month):
    data = bulletin.figures("2026-W45", utcnow(), TZ, 5)
    text = [content for kind, content in bulletin.lines(data) if kind == "item"]
    assert f"{county.unit_a.name}：扫码上岗 5 人次，存疑 2 人次（40.0%），主要为位置与岗位坐标完全一致" in text
    assert f"{county.unit_b.name}：扫码上岗 4 人次，存疑 1 人次（25.0%），主要为抽查未回复" in text


def test_a_shift_still_open_and_one_already_reviewed_keep_their_signs(client, county, month):
    """A flagged shift stays flagged in the rates after a coordinator approves it (approval is a
    decision about the hours, not the signal), and a flagged shift still open counts as well;
    a voided one does not count at all."""
    keen = month["keen"]
    add_shift(keen, county.post_east, datetime(2026, 11, 20, 8), 60, flags=["location_jump"], review_state="approved")
    add_shift(keen, county.post_east, datetime(2026, 11, 21, 8), 60, flags=["no_start_photo"], review_state="pending",
              status="open")
    add_shift(keen, county.post_east, datetime(2026, 11, 22, 8), 60, flags=["location_static"], review_state="pending",
              status="voided")
    body = get(client, factories.console_user("leader"), month="2026-11").get_json()
    assert (body["totals"]["shifts"], body["totals"]["flagged"]) == (11, 5)
    row = next(v for v in body["volunteers"] if v["name"] == "李勤")
    assert (row["shifts"], row["flagged"], row["by_flag"]) == (4, 2, {"location_jump": 1, "no_start_photo": 1})


def test_every_trust_sign_sends_a_shift_to_review():
    """The report reads flags only of shifts that entered review (trust_report._finished_flagged):
    a trust flag that did not send a shift to review would be missed by it."""
    from server.checkin import hours
    from server.duty import trust_report

    assert trust_report.TRUST_FLAGS <= hours.REVIEW_FLAGS
    assert all(hours.needs_review([flag]) for flag in trust_report.TRUST_FLAGS)
