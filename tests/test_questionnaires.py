"""Volunteers hand out survey questionnaires (问卷) as well as persuading: ending a shift records
how many, and the unit's hour report, its export and the shift records carry the number."""
from datetime import date, timedelta

from server.clock import utcnow
from tests import factories
from tests.photo_helpers import set_shift_times
from tests.test_bulletin import pdf_text
from tests.test_exports import xlsx_rows

HOURS = "/api/console/v1/reports/hours"
SHIFTS = "/api/console/v1/reports/shifts"


def test_a_shift_ended_with_twelve_questionnaires_shows_them_in_the_units_report_and_export(client, county):
    volunteer = factories.volunteer(county.unit_a, name="王小丽")
    coordinator = factories.headers(factories.console_user("coordinator", unit_=county.unit_a))
    h = factories.headers(volunteer)
    started = client.post("/api/mp/v1/shifts", headers=h, json=factories.at_post(county.post_east)).get_json()
    assert started["questionnaires"] == 0
    set_shift_times(started["id"], utcnow() - timedelta(minutes=60))
    res = client.post(f"/api/mp/v1/shifts/{started['id']}/end", headers=h,
                      json=factories.at_post(county.post_east, persuasions=5, questionnaires=12))
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["questionnaires"] == 12 and res.get_json()["persuasions"] == 5

    day = date.fromisoformat(started["local_date"])
    period = {"from": day.replace(day=1).isoformat(), "to": day.isoformat(), "group_by": "unit"}
    report = client.get(HOURS, headers=coordinator, query_string=period).get_json()
    assert [(r["name"], r["questionnaires"], r["persuasions"]) for r in report["rows"]] == [(county.unit_a.name, 12, 5)]
    assert report["totals"]["questionnaires"] == 12

    rows = xlsx_rows(client.get(HOURS, headers=coordinator, query_string={**period, "format": "xlsx"}).data)
    column = rows[0].index("问卷份数")
    assert rows[1][column] == 12 and rows[-1][column] == 12

    records = client.get(SHIFTS, headers=coordinator, query_string={**period, "format": "xlsx"}).data
    rows = xlsx_rows(records)
    assert [r[rows[0].index("问卷份数")] for r in rows[1:]] == [12]
    listed = client.get(SHIFTS, headers=coordinator, query_string=period).get_json()["items"]
    assert listed[0]["questionnaires"] == 12 and listed[0]["content"].endswith("发放问卷 12 份")

    # The week's bulletin counts them too, in its figures and its PDF.
    leader = factories.headers(factories.console_user("leader"))
    week = "{}-W{:02d}".format(*day.isocalendar()[:2])
    assert client.get("/api/console/v1/bulletin", headers=leader, query_string={"week": week}
                      ).get_json()["totals"]["questionnaires"] == 12
    pdf = client.get("/api/console/v1/bulletin.pdf", headers=leader, query_string={"week": week}).data
    assert "发放问卷 12 份" in pdf_text(pdf)


def test_questionnaires_must_be_a_whole_number(client, county):
    volunteer = factories.volunteer(county.unit_a)
    h = factories.headers(volunteer)
    shift = client.post("/api/mp/v1/shifts", headers=h, json=factories.at_post(county.post_east)).get_json()
    for value in (-1, 2.5, "十"):
        res = client.post(f"/api/mp/v1/shifts/{shift['id']}/end", headers=h,
                          json=factories.at_post(county.post_east, questionnaires=value))
        assert res.status_code == 422 and res.get_json()["error"]["field"] == "questionnaires"
