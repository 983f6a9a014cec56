"""Coordinators and leaders read hour totals: every grouping adds up to what the shifts say."""
from datetime import date, datetime, timedelta

import pytest

from server.clock import utcnow
from tests import factories
from tests.report_data import TZ, add_shift, build_month, expected, expected_totals, figures

URL = "/api/console/v1/reports/hours"
NOV = {"from": "2026-11-01", "to": "2026-11-30"}
FIRST, LAST = date(2026, 11, 1), date(2026, 11, 30)


@pytest.fixture
def people(county):
    return {"a": [factories.volunteer(county.unit_a, name=n) for n in ("张伟", "李娜", "王芳")],
            "b": [factories.volunteer(county.unit_b, name=n) for n in ("刘洋", "陈静", "杨磊")]}


@pytest.fixture
def month(county, people):
    return build_month(county, people)


@pytest.fixture
def leader(app):
    return factories.headers(factories.console_user("leader"))


def report(client, headers, **params):
    res = client.get(URL, headers=headers, query_string=params)
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


KEYS = {
    "volunteer": lambda m: m.volunteer_id,
    "unit": lambda m: m.unit_id,
    "post": lambda m: m.post_id,
    "district": lambda m: m.district_id,
    "day": lambda m: m.local_date.isoformat(),
    "week": lambda m: week_key(m.local_date),
    "month": lambda m: m.local_date.strftime("%Y-%m"),
}


@pytest.mark.parametrize("group_by", list(KEYS))
def test_every_grouping_adds_up_to_the_shifts_it_was_built_from(client, month, leader, group_by):
    body = report(client, leader, group_by=group_by, **NOV)
    want = expected(month, KEYS[group_by], FIRST, LAST)
    got = {row["key"]: figures(row) for row in body["rows"]}
    assert len(got) == len(body["rows"]), "each key appears once"
    for key, figures_wanted in want.items():
        assert got[key] == figures_wanted, key
    for key in set(got) - set(want):  # rows with nothing counted or pending are all zeros
        assert set(got[key].values()) == {0}, key
    assert figures(body["totals"]) == expected_totals(month, FIRST, LAST)
    assert body["from"] == "2026-11-01" and body["to"] == "2026-11-30" and body["group_by"] == group_by


def test_days_weeks_and_months_cover_the_whole_period_even_when_empty(client, month, leader):
    days = report(client, leader, group_by="day", **NOV)["rows"]
    assert [r["key"] for r in days] == [(FIRST + timedelta(days=i)).isoformat() for i in range(30)]
    weeks = report(client, leader, group_by="week", **NOV)["rows"]
    assert [w["key"] for w in weeks] == ["2026-W44", "2026-W45", "2026-W46", "2026-W47", "2026-W48", "2026-W49"]
    assert weeks[0]["from"] == "2026-11-01" and weeks[-1]["to"] == "2026-11-30"  # clipped to the period
    months = report(client, leader, group_by="month", **{"from": "2026-10-15", "to": "2026-12-15"})["rows"]
    assert [m["key"] for m in months] == ["2026-10", "2026-11", "2026-12"]
    assert months[1]["credited_minutes"] == expected_totals(month, FIRST, LAST)["credited_minutes"]


def test_a_shift_belongs_to_the_local_date_it_started_on(client, county, leader):
    volunteer = factories.volunteer(county.unit_a)
    add_shift(volunteer, county.post_east, datetime(2026, 11, 1, 7, 30), 60)    # 2026-10-31 23:30 UTC
    add_shift(volunteer, county.post_east, datetime(2026, 10, 31, 23, 30), 90)  # ends on the 1st
    add_shift(volunteer, county.post_east, datetime(2026, 11, 30, 23, 50), 70)  # ends on 1 December
    add_shift(volunteer, county.post_east, datetime(2026, 12, 1, 0, 10), 45)    # 2026-11-30 16:10 UTC
    totals = report(client, leader, group_by="unit", **NOV)["totals"]
    assert totals["credited_minutes"] == 60 + 70 and totals["shift_count"] == 2
    one_day = report(client, leader, group_by="day", **{"from": "2026-11-30", "to": "2026-11-30"})
    assert one_day["totals"]["credited_minutes"] == 70  # `to` is inclusive


def test_rejected_voided_and_open_shifts_never_count_and_pending_ones_wait_apart(client, county, leader):
    volunteer = factories.volunteer(county.unit_a, name="周敏")
    day = datetime(2026, 11, 10, 8, 0)
    add_shift(volunteer, county.post_east, day, 60, persuasions=5)
    add_shift(volunteer, county.post_east, day + timedelta(hours=2), 50, review_state="rejected", credited=0)
    add_shift(volunteer, county.post_east, day + timedelta(hours=3), 40, status="voided", credited=40)
    add_shift(volunteer, county.post_east, day + timedelta(hours=4), 35, review_state="pending", credited=35,
              flags=["outside_geofence_end"])
    add_shift(volunteer, county.post_east, day + timedelta(hours=5), 25, source="manual",
              review_state="approved")
    add_shift(volunteer, county.post_east, day + timedelta(hours=6), 0, status="open")
    rows = report(client, leader, group_by="volunteer", **NOV)["rows"]
    row = next(r for r in rows if r["volunteer_id"] == volunteer.id)
    assert row["scanned_minutes"] == 60 and row["manual_minutes"] == 25 and row["credited_minutes"] == 85
    assert row["shift_count"] == 2 and row["persuasions"] == 5 and row["hours"] == 1.42
    assert row["pending_shift_count"] == 1 and row["pending_minutes"] == 35


def test_volunteers_who_have_not_served_appear_with_zero_hours(client, county, leader):
    served = factories.volunteer(county.unit_a, name="有时长")
    idle = factories.volunteer(county.unit_a, name="没上岗")
    factories.volunteer(county.unit_a, name="已停用", status="suspended")
    factories.volunteer(None, registered=False)
    add_shift(served, county.post_east, datetime(2026, 11, 3, 8, 0), 30)
    rows = report(client, leader, group_by="volunteer", **NOV)["rows"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["没上岗"]["volunteer_id"] == idle.id
    assert by_name["没上岗"]["credited_minutes"] == 0 and by_name["没上岗"]["shift_count"] == 0
    assert by_name["没上岗"]["unit"] == "县财政局" and by_name["没上岗"]["star_level"] == 0
    assert "已停用" not in by_name and len(rows) == 2  # suspended idle volunteers and unregistered users left out
    assert by_name["有时长"]["volunteers"] == 1 and by_name["没上岗"]["volunteers"] == 0


def test_star_level_counts_lifetime_hours_not_the_period(client, county, leader):
    veteran = factories.volunteer(county.unit_a)
    for day in range(1, 31):  # 30 x 240 min = 120 hours in 2025
        add_shift(veteran, county.post_east, datetime(2025, 6, day, 7, 0), 240)
    add_shift(veteran, county.post_east, datetime(2026, 11, 5, 7, 0), 30)
    row = next(r for r in report(client, leader, group_by="volunteer", **NOV)["rows"] if r["key"] == veteran.id)
    assert row["star_level"] == 1 and row["credited_minutes"] == 30


def test_numbers_are_json_numbers_and_hours_have_two_decimals(client, month, leader):
    body = report(client, leader, group_by="unit", **NOV)
    for row in body["rows"] + [body["totals"]]:
        for name in ("scanned_minutes", "credited_minutes", "shift_count", "persuasions", "volunteers",
                     "pending_minutes"):
            assert isinstance(row[name], int) and not isinstance(row[name], bool)
        assert isinstance(row["hours"], (int, float)) and row["hours"] == round(row["credited_minutes"] / 60, 2)


def test_period_defaults_to_the_current_local_month(client, county, leader):
    today = utcnow().astimezone(TZ).date()
    volunteer = factories.volunteer(county.unit_a)
    add_shift(volunteer, county.post_east, datetime.combine(today, datetime.min.time()), 30)
    body = report(client, leader, group_by="unit")
    assert body["from"] == today.replace(day=1).isoformat()
    assert date.fromisoformat(body["to"]).month == today.month
    assert (date.fromisoformat(body["to"]) + timedelta(days=1)).day == 1
    assert body["totals"]["credited_minutes"] == 30


def test_unit_coordinator_sees_only_their_units_hours(client, county, people, month):
    coordinator = factories.headers(factories.console_user("coordinator", unit_=county.unit_a))
    body = report(client, coordinator, group_by="volunteer", **NOV)
    a_ids = {v.id for v in people["a"]}
    assert {r["volunteer_id"] for r in body["rows"]} == a_ids
    mine = [m for m in month if m.unit_id == county.unit_a.id]
    assert figures(body["totals"]) == expected_totals(mine, FIRST, LAST)
    units = report(client, coordinator, group_by="unit", **NOV)["rows"]
    assert [u["key"] for u in units] == [county.unit_a.id]


def test_district_coordinator_sees_everyone_who_served_at_their_posts(client, county, month):
    coordinator = factories.headers(factories.console_user("coordinator", district_=county.east))
    body = report(client, coordinator, group_by="post", **NOV)
    assert {r["key"] for r in body["rows"]} <= {county.post_east.id, county.post_east2.id}
    east = [m for m in month if m.district_id == county.east.id]
    assert figures(body["totals"]) == expected_totals(east, FIRST, LAST)
    by_unit = report(client, coordinator, group_by="unit", **NOV)
    want = expected(east, lambda m: m.unit_id, FIRST, LAST)
    assert {r["key"]: figures(r) for r in by_unit["rows"] if r["key"] in want} == want


@pytest.mark.parametrize("name, pick", [
    ("unit_id", lambda c: (c.unit_b.id, lambda m: m.unit_id == c.unit_b.id)),
    ("district_id", lambda c: (c.west.id, lambda m: m.district_id == c.west.id)),
    ("post_id", lambda c: (c.post_east2.id, lambda m: m.post_id == c.post_east2.id)),
])
def test_filters_narrow_the_totals_to_matching_shifts(client, county, month, leader, name, pick):
    value, keep = pick(county)
    body = report(client, leader, group_by="day", **NOV, **{name: value})
    assert figures(body["totals"]) == expected_totals([m for m in month if keep(m)], FIRST, LAST)
    assert body["filters"][name] == value


def test_coordinator_asking_for_another_units_report_gets_404(client, county, month):
    coordinator = factories.headers(factories.console_user("coordinator", unit_=county.unit_a))
    res = client.get(URL, headers=coordinator, query_string={"unit_id": county.unit_b.id, **NOV})
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "NOT_FOUND"
    res = client.get(URL, headers=coordinator, query_string={"unit_id": 999999, **NOV})
    assert res.status_code == 404


def test_phone_numbers_are_masked_for_everyone_but_admins(client, county, leader):
    factories.volunteer(county.unit_a)
    masked = report(client, leader, group_by="volunteer", **NOV)["rows"][0]["phone"]
    assert "****" in masked and len(masked) == 11
    admin = factories.headers(factories.console_user("admin"))
    assert report(client, admin, group_by="volunteer", **NOV)["rows"][0]["phone"].isdigit()


@pytest.mark.parametrize("params, field", [
    ({"group_by": "year"}, "group_by"),
    ({"from": "2026-11-30", "to": "2026-11-01"}, "from"),
    ({"from": "30/11/2026"}, "from"),
    ({"to": "2026-02-30"}, "to"),
    ({"format": "pdf"}, "format"),
    ({"unit_id": "abc"}, "unit_id"),
    ({"from": "2000-01-01", "to": "2026-01-01"}, "to"),
])
def test_bad_parameters_are_422_naming_the_field(client, leader, params, field):
    res = client.get(URL, headers=leader, query_string=params)
    assert res.status_code == 422
    error = res.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["field"] == field
