"""The 10-working-day limit on adding records by hand follows the county's calendar:
public holidays do not count, weekend days swapped into working days (调休) do."""
import json
from datetime import date, datetime, time, timedelta

from server.clock import utcnow
from server.records.workdays import working_days_since
from tests import factories
from tests.report_data import TZ

NATIONAL_DAY = {date(2026, 10, d): "holiday" for d in range(1, 8)} | {date(2026, 10, 10): "workday"}


def calendar(app, *args):
    return app.test_cli_runner().invoke(args=["calendar", *args])


def test_a_golden_week_counts_no_working_days_and_its_swapped_saturday_counts_one():
    last_day_before = date(2026, 9, 30)
    assert working_days_since(last_day_before, date(2026, 10, 9)) == 7  # by weekday alone
    assert working_days_since(last_day_before, date(2026, 10, 9), NATIONAL_DAY) == 2  # Thursday 8th, Friday 9th
    assert working_days_since(last_day_before, date(2026, 10, 10), NATIONAL_DAY) == 3  # the swapped Saturday
    assert working_days_since(last_day_before, date(2026, 10, 11), NATIONAL_DAY) == 3  # Sunday stays off
    # A holiday entered over a weekend changes nothing; days outside the span do not count.
    assert working_days_since(date(2026, 10, 3), date(2026, 10, 9), NATIONAL_DAY) == 2
    assert working_days_since(date(2026, 10, 9), date(2026, 10, 9), NATIONAL_DAY) == 0


def _working_days_back(today: date, n: int) -> date:
    """The day after which exactly ``n`` Monday-to-Friday days have passed by ``today``."""
    day = today
    while working_days_since(day, today) < n:
        day -= timedelta(days=1)
    return day


def _manual_shift(client, headers, volunteer, post, day: date):
    start = datetime.combine(day, time(8), TZ)
    return client.post("/api/console/v1/shifts", headers=headers, json={
        "volunteer_id": volunteer.id, "post_id": post.id, "started_at": start.isoformat(),
        "ended_at": (start + timedelta(hours=1)).isoformat(), "reason": "纸质签到表补录"})


def test_a_coordinator_may_add_a_shift_from_before_a_holiday_once_the_holiday_is_entered(app, client, county):
    coordinator = factories.headers(factories.console_user("coordinator", unit_=county.unit_a))
    volunteer = factories.volunteer(county.unit_a)
    today = utcnow().astimezone(TZ).date()
    served = _working_days_back(today, 11)  # one working day too many, by weekday alone

    refused = _manual_shift(client, coordinator, volunteer, county.post_east, served)
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "MANUAL_SHIFT_TOO_OLD"

    holiday = next(served + timedelta(days=n) for n in range(1, 20)
                   if (served + timedelta(days=n)).weekday() < 5)
    assert calendar(app, "set", holiday.isoformat(), "--kind", "holiday", "--name", "国庆节").exit_code == 0
    accepted = _manual_shift(client, coordinator, volunteer, county.post_east, served)
    assert accepted.status_code == 201, accepted.get_json()


def test_a_swapped_saturday_counts_against_the_limit(app, client, county):
    coordinator = factories.headers(factories.console_user("coordinator", unit_=county.unit_a))
    volunteer = factories.volunteer(county.unit_a)
    today = utcnow().astimezone(TZ).date()
    served = _working_days_back(today, 10)  # the last day still in time, by weekday alone
    saturday = next(served + timedelta(days=n) for n in range(1, 20) if (served + timedelta(days=n)).weekday() == 5)
    assert saturday <= today
    assert calendar(app, "set", saturday.isoformat(), "--kind", "workday").exit_code == 0

    refused = _manual_shift(client, coordinator, volunteer, county.post_east, served)
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "MANUAL_SHIFT_TOO_OLD"


def test_the_calendar_is_entered_listed_and_cleared_from_the_command_line(app):
    result = calendar(app, "set", "2026-10-01", "2026-10-07", "--kind", "holiday", "--name", "国庆节", "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)["days"]) == 7
    assert calendar(app, "set", "2026-10-10", "--kind", "workday", "--name", "国庆节调休").exit_code == 0

    listed = json.loads(calendar(app, "list", "--year", "2026", "--json").output)["days"]
    assert [d["date"] for d in listed] == [f"2026-10-0{d}" for d in range(1, 8)] + ["2026-10-10"]
    assert listed[0] == {"date": "2026-10-01", "kind": "holiday", "name": "国庆节"}
    assert listed[-1]["kind"] == "workday"
    assert json.loads(calendar(app, "list", "--year", "2027", "--json").output) == {"days": []}

    # Entering a day again replaces it; clearing makes it count by its weekday again.
    assert calendar(app, "set", "2026-10-07", "--kind", "holiday", "--name", "国庆节（补）").exit_code == 0
    assert json.loads(calendar(app, "list", "--json").output)["days"][6]["name"] == "国庆节（补）"
    cleared = calendar(app, "clear", "2026-10-06", "2026-10-10", "--json")
    assert json.loads(cleared.output) == {"removed": 3}
    assert "2026-10-05  holiday  国庆节" in calendar(app, "list").output


def test_the_calendar_refuses_what_cannot_be_meant(app):
    weekday = calendar(app, "set", "2026-10-09", "--kind", "workday")
    assert weekday.exit_code != 0 and "本来就是工作日" in weekday.output
    backwards = calendar(app, "set", "2026-10-07", "2026-10-01", "--kind", "holiday")
    assert backwards.exit_code != 0 and "结束日期不能早于开始日期" in backwards.output
    too_long = calendar(app, "set", "2026-01-01", "2026-12-31", "--kind", "holiday")
    assert too_long.exit_code != 0 and "一次最多设置" in too_long.output
    assert calendar(app, "set", "2026-10-01", "--kind", "festival").exit_code != 0
    assert calendar(app, "list", "--json").output.strip() == '{"days": []}'


def test_an_admin_enters_the_golden_week_in_the_console_and_coordinators_read_it(client, county):
    admin = factories.headers(factories.console_user("admin"))
    coordinator = factories.headers(factories.console_user("coordinator", unit_=county.unit_a))
    res = client.post("/api/console/v1/calendar", headers=admin,
                      json={"from": "2026-10-01", "to": "2026-10-07", "kind": "holiday", "name": "国庆节"})
    assert res.status_code == 201 and len(res.get_json()["items"]) == 7
    client.post("/api/console/v1/calendar", headers=admin, json={"from": "2026-10-10", "kind": "workday"})

    listed = client.get("/api/console/v1/calendar", headers=coordinator, query_string={"year": 2026}).get_json()
    assert [(d["date"], d["kind"]) for d in listed["items"]][-2:] == [("2026-10-07", "holiday"),
                                                                      ("2026-10-10", "workday")]
    assert listed["items"][0]["name"] == "国庆节"
    cleared = client.post("/api/console/v1/calendar/clear", headers=admin, json={"from": "2026-10-10"})
    assert cleared.get_json() == {"removed": 1}
    assert len(client.get("/api/console/v1/calendar", headers=coordinator).get_json()["items"]) == 7


def test_calendar_input_is_checked_field_by_field(client):
    admin = factories.headers(factories.console_user("admin"))
    for body, field in [({"kind": "holiday"}, "from"), ({"from": "10月1日", "kind": "holiday"}, "from"),
                        ({"from": "2026-10-01", "kind": "festival"}, "kind"),
                        ({"from": "2026-10-08", "to": "2026-10-01", "kind": "holiday"}, "to"),
                        ({"from": "2026-10-09", "kind": "workday"}, "from")]:
        res = client.post("/api/console/v1/calendar", headers=admin, json=body)
        assert res.status_code == 422 and res.get_json()["error"]["field"] == field, (body, res.get_json())
    res = client.get("/api/console/v1/calendar", headers=admin, query_string={"year": "二〇二六"})
    assert res.status_code == 422 and res.get_json()["error"]["field"] == "year"
    assert client.get("/api/console/v1/calendar", headers=admin).get_json()["items"] == []
