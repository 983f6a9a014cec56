"""Coordinators review flagged shifts, fix records and add forgotten ones; every change is audited
and the volunteer sees the outcome in the mini-program."""
from datetime import date, datetime, timedelta

import pytest

from server.clock import utcnow
from server.records.workdays import working_days_since
from tests import factories
from tests.report_data import TZ, add_shift

QUEUE = "/api/console/v1/reviews"


def review_url(shift_id):
    return f"/api/console/v1/shifts/{shift_id}/review"


def audit_url(shift_id):
    return f"/api/console/v1/shifts/{shift_id}/audit"


@pytest.fixture
def volunteer(county):
    return factories.volunteer(county.unit_a, name="张伟")


@pytest.fixture
def coordinator(county):
    return factories.console_user("coordinator", unit_=county.unit_a)


@pytest.fixture
def h(coordinator):
    return factories.headers(coordinator)


def recent(days_ago: int = 1, hour: int = 8) -> datetime:
    """A local wall-clock time a few days back (manual additions must be recent)."""
    today = utcnow().astimezone(TZ).date()
    return datetime.combine(today - timedelta(days=days_ago), datetime.min.time()) + timedelta(hours=hour)


def local_iso(naive_local: datetime) -> str:
    return naive_local.replace(tzinfo=TZ).isoformat()


def test_queue_lists_flagged_shifts_in_scope_with_reasons_in_words(client, county, volunteer, h):
    other = factories.volunteer(county.unit_b)
    short = add_shift(volunteer, county.post_east, recent(2), 10, review_state="pending", credited=0,
                      flags=["too_short"])
    stale = add_shift(volunteer, county.post_west, recent(1), 240, status="auto_closed", review_state="pending",
                      credited=0, flags=["auto_closed"])
    add_shift(volunteer, county.post_east, recent(3), 60)  # nothing to review
    add_shift(other, county.post_east, recent(2), 12, review_state="pending", credited=0)  # unit B's
    items = client.get(QUEUE, headers=h).get_json()["items"]
    assert [i["id"] for i in items] == [short.id, stale.id]  # oldest first
    assert items[0]["flag_labels"] == ["时长不足"] and items[1]["flag_labels"] == ["未下岗自动结束"]
    assert items[0]["volunteer"]["name"] == "张伟" and "****" in items[0]["volunteer"]["phone"]
    assert items[0]["photos"] == [] and items[0]["correction"] is None
    only_stale = client.get(QUEUE, headers=h, query_string={"flag": "auto_closed"}).get_json()["items"]
    assert [i["id"] for i in only_stale] == [stale.id]


def test_adjusting_a_shift_is_audited_and_shown_to_the_volunteer(client, county, volunteer, coordinator, h):
    shift = add_shift(volunteer, county.post_west, recent(1), 240, status="auto_closed", review_state="pending",
                      credited=0, flags=["auto_closed"])
    res = client.post(review_url(shift.id), headers=h,
                      json={"decision": "adjust", "credited_minutes": 120, "reason": "协调员电话核实到岗两小时"})
    assert res.status_code == 200
    body = res.get_json()
    assert body["credited_minutes"] == 120
    assert body["review"] == {"state": "adjusted", "reason": "协调员电话核实到岗两小时", "original_minutes": 0}

    trail = client.get(audit_url(shift.id), headers=h).get_json()["items"]
    entry = trail[-1]
    assert entry["action"] == "review_adjust" and entry["actor"]["id"] == coordinator.id
    assert entry["before"]["credited_minutes"] == 0 and entry["after"]["credited_minutes"] == 120
    assert entry["before"]["review_state"] == "pending" and entry["after"]["review_state"] == "adjusted"
    assert entry["reason"] == "协调员电话核实到岗两小时" and entry["at"].endswith("+08:00")

    mine = factories.headers(volunteer)
    seen = client.get(f"/api/mp/v1/shifts/{shift.id}", headers=mine).get_json()
    assert seen["credited_minutes"] == 120 and seen["review"]["state"] == "adjusted"
    assert seen["review"]["original_minutes"] == 0 and seen["review"]["reason"] == "协调员电话核实到岗两小时"
    listed = client.get("/api/mp/v1/shifts", headers=mine).get_json()["items"]
    assert listed[0]["credited_minutes"] == 120
    assert client.get(QUEUE, headers=h).get_json()["items"] == []


def test_approve_reject_and_void_each_leave_an_audit_entry(client, county, volunteer, coordinator, h):
    flagged = add_shift(volunteer, county.post_east, recent(3), 12, review_state="pending", credited=0)
    suspicious = add_shift(volunteer, county.post_east, recent(2), 90, review_state="pending", credited=90,
                           flags=["outside_geofence_end"])
    duplicate = add_shift(volunteer, county.post_east, recent(1), 60)
    assert client.post(review_url(flagged.id), headers=h, json={"decision": "approve"}).status_code == 200
    res = client.post(review_url(suspicious.id), headers=h, json={"decision": "reject", "reason": "下岗时不在岗位"})
    assert res.get_json()["credited_minutes"] == 0
    assert res.get_json()["review"] == {"state": "rejected", "reason": "下岗时不在岗位", "original_minutes": 90}
    res = client.post(f"/api/console/v1/shifts/{duplicate.id}/void", headers=h, json={"reason": "重复记录"})
    assert res.status_code == 200 and res.get_json()["status"] == "voided"

    actions = {}
    for made in (flagged, suspicious, duplicate):
        trail = client.get(audit_url(made.id), headers=h).get_json()["items"]
        assert len(trail) == 1 and trail[0]["actor"]["name"] == coordinator.name
        actions[made.id] = trail[0]
    assert actions[flagged.id]["action"] == "review_approve" and actions[flagged.id]["after"]["review_state"] == "approved"
    assert actions[suspicious.id]["action"] == "review_reject" and actions[suspicious.id]["before"]["credited_minutes"] == 90
    assert actions[duplicate.id]["action"] == "void" and actions[duplicate.id]["after"]["status"] == "voided"
    assert actions[duplicate.id]["reason"] == "重复记录"

    # Approving a rejected shift restores the system's figure.
    res = client.post(review_url(suspicious.id), headers=h, json={"decision": "approve", "reason": "复核无误"})
    assert res.get_json()["credited_minutes"] == 90 and res.get_json()["review"]["state"] == "approved"
    again = client.post(f"/api/console/v1/shifts/{duplicate.id}/void", headers=h, json={"reason": "x"})
    assert again.status_code == 409


def test_review_checks_scope_then_decision_then_reason_then_minutes(client, county, volunteer, h):
    theirs = add_shift(factories.volunteer(county.unit_b), county.post_east, recent(1), 60, review_state="pending")
    shift = add_shift(volunteer, county.post_east, recent(1, 14), 300, review_state="pending", credited=240,
                      flags=["capped"])

    def post(shift_id, body):
        res = client.post(review_url(shift_id), headers=h, json=body)
        return res.status_code, res.get_json()["error"].get("field")

    assert post(theirs.id, {"decision": "nonsense"})[0] == 404  # scope first, whatever the body
    assert client.post(review_url(theirs.id), headers=h, data="not json").status_code == 404
    assert post(999999, {})[0] == 404
    assert post(shift.id, {"decision": "maybe", "reason": ""}) == (422, "decision")
    assert post(shift.id, {"credited_minutes": -5}) == (422, "decision")
    assert post(shift.id, {"decision": "reject", "credited_minutes": -5}) == (422, "reason")
    assert post(shift.id, {"decision": "adjust", "reason": "  ", "credited_minutes": 99999}) == (422, "reason")
    assert post(shift.id, {"decision": "adjust", "reason": "核实"}) == (422, "credited_minutes")
    assert post(shift.id, {"decision": "adjust", "reason": "核实", "credited_minutes": "60"}) == (422, "credited_minutes")
    assert post(shift.id, {"decision": "adjust", "reason": "核实", "credited_minutes": -1}) == (422, "credited_minutes")
    assert post(shift.id, {"decision": "adjust", "reason": "核实", "credited_minutes": 301}) == (422, "credited_minutes")
    # Within the shift's 300 minutes but above the 240-minute cap: only an admin may.
    assert post(shift.id, {"decision": "adjust", "reason": "核实", "credited_minutes": 280}) == (422, "credited_minutes")
    admin = factories.headers(factories.console_user("admin"))
    res = client.post(review_url(shift.id), headers=admin,
                      json={"decision": "adjust", "reason": "全天值守，经指挥部批准", "credited_minutes": 280})
    assert res.status_code == 200 and res.get_json()["credited_minutes"] == 280


def test_leaders_read_but_do_not_review(client, county, volunteer):
    shift = add_shift(volunteer, county.post_east, recent(1), 10, review_state="pending", credited=0)
    leader = factories.headers(factories.console_user("leader"))
    assert len(client.get(QUEUE, headers=leader).get_json()["items"]) == 1
    res = client.post(review_url(shift.id), headers=leader, json={"decision": "approve"})
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "FORBIDDEN"


def test_open_shifts_cannot_be_reviewed(client, county, volunteer, h):
    shift = add_shift(volunteer, county.post_east, recent(0, 0), 0, status="open")
    res = client.post(review_url(shift.id), headers=h, json={"decision": "approve"})
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "SHIFT_NOT_REVIEWABLE"


def test_coordinator_adds_a_forgotten_shift_which_counts_as_manual(client, county, volunteer, coordinator, h):
    start = recent(2, 7)
    body = {"volunteer_id": volunteer.id, "post_id": county.post_east.id, "started_at": local_iso(start),
            "ended_at": local_iso(start + timedelta(minutes=95)), "reason": "手机没电未能扫码，现场有照片",
            "persuasions": 8}
    res = client.post("/api/console/v1/shifts", headers=h, json=body)
    assert res.status_code == 201, res.get_json()
    shift = res.get_json()
    assert shift["source"] == "manual" and shift["flags"] == ["manual"] and shift["credited_minutes"] == 95
    assert shift["review"]["state"] == "approved" and shift["review"]["reason"] == body["reason"]
    trail = client.get(audit_url(shift["id"]), headers=h).get_json()["items"]
    assert trail[0]["action"] == "manual_add" and trail[0]["before"] is None
    assert trail[0]["after"]["credited_minutes"] == 95 and trail[0]["actor"]["id"] == coordinator.id
    day = start.date().isoformat()
    totals = client.get("/api/console/v1/reports/hours", headers=h,
                        query_string={"from": day, "to": day}).get_json()["totals"]
    assert totals["manual_minutes"] == 95 and totals["scanned_minutes"] == 0

    again = client.post("/api/console/v1/shifts", headers=h, json=body)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "SHIFT_OVERLAP"


@pytest.mark.parametrize("change, field", [
    ({"reason": ""}, "reason"),
    ({"started_at": "yesterday"}, "started_at"),
    ({"ended_at": None}, "ended_at"),
    ({"swap": True}, "ended_at"),
    ({"length": 241}, "ended_at"),
])
def test_manual_shift_validation_names_the_field(client, county, volunteer, h, change, field):
    start = recent(2, 7)
    end = start + timedelta(minutes=change.pop("length", 60))
    if change.pop("swap", False):
        start, end = end, start
    body = {"volunteer_id": volunteer.id, "post_id": county.post_east.id, "started_at": local_iso(start),
            "ended_at": local_iso(end), "reason": "补录", **change}
    res = client.post("/api/console/v1/shifts", headers=h, json=body)
    assert res.status_code == 422 and res.get_json()["error"]["field"] == field


def test_manual_additions_older_than_ten_working_days_need_an_admin(client, county, volunteer, h):
    start = recent(20, 8)
    body = {"volunteer_id": volunteer.id, "post_id": county.post_east.id, "started_at": local_iso(start),
            "ended_at": local_iso(start + timedelta(hours=1)), "reason": "补录上月值守"}
    res = client.post("/api/console/v1/shifts", headers=h, json=body)
    assert res.status_code == 422 and res.get_json()["error"]["code"] == "MANUAL_SHIFT_TOO_OLD"
    admin = factories.headers(factories.console_user("admin"))
    assert client.post("/api/console/v1/shifts", headers=admin, json=body).status_code == 201


def test_working_days_skip_saturdays_and_sundays():
    friday = date(2026, 11, 13)
    assert working_days_since(friday, date(2026, 11, 13)) == 0
    assert working_days_since(friday, date(2026, 11, 15)) == 0   # the weekend after
    assert working_days_since(friday, date(2026, 11, 16)) == 1   # Monday
    assert working_days_since(friday, date(2026, 11, 27)) == 10  # still in time
    assert working_days_since(friday, date(2026, 11, 30)) == 11  # too late


def test_volunteer_asks_for_a_correction_and_the_coordinator_grants_it(client, county, volunteer, coordinator, h):
    shift = add_shift(volunteer, county.post_east, recent(1, 7), 15, credited=15)
    mine = factories.headers(volunteer)
    proposed = local_iso(recent(1, 7) + timedelta(minutes=75))
    res = client.post(f"/api/mp/v1/shifts/{shift.id}/correction", headers=mine,
                      json={"reason": "下岗时扫码失败，实际 8:15 离岗", "proposed_ended_at": proposed})
    assert res.status_code == 201, res.get_json()
    sent = res.get_json()
    assert sent["shift"]["review"]["state"] == "pending" and "correction_requested" in sent["shift"]["flags"]
    assert sent["correction"]["status"] == "pending" and sent["correction"]["proposed_ended_at"] == proposed

    second = client.post(f"/api/mp/v1/shifts/{shift.id}/correction", headers=mine,
                         json={"reason": "再次申请", "proposed_minutes": 75})
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "CORRECTION_PENDING"

    queued = client.get(QUEUE, headers=h).get_json()["items"]
    assert [q["id"] for q in queued] == [shift.id]
    assert queued[0]["correction"]["reason"] == "下岗时扫码失败，实际 8:15 离岗"
    assert "志愿者申请更正" in queued[0]["flag_labels"]
    res = client.post(review_url(shift.id), headers=h,
                      json={"decision": "adjust", "credited_minutes": 15, "reason": "扫码记录为准，更正不予采纳"})
    assert res.status_code == 200
    requests = client.get("/api/mp/v1/corrections", headers=mine).get_json()["items"]
    assert requests[0]["status"] == "resolved" and requests[0]["resolution"] == "adjust"
    trail = client.get(audit_url(shift.id), headers=h).get_json()["items"]
    assert [e["action"] for e in trail] == ["correction_request", "review_adjust"]
    assert trail[0]["actor"]["id"] == volunteer.id and trail[0]["reason"] == "下岗时扫码失败，实际 8:15 离岗"


def test_correction_requests_are_validated(client, county, volunteer):
    shift = add_shift(volunteer, county.post_east, recent(1, 7), 30)
    other = add_shift(factories.volunteer(county.unit_a), county.post_east, recent(1, 7), 30)
    mine = factories.headers(volunteer)
    url = f"/api/mp/v1/shifts/{shift.id}/correction"
    assert client.post(f"/api/mp/v1/shifts/{other.id}/correction", headers=mine,
                       json={"reason": "x", "proposed_minutes": 10}).status_code == 404
    for body, field in [({"proposed_minutes": 10}, "reason"), ({"reason": "忘了"}, "proposed_minutes"),
                        ({"reason": "x", "proposed_minutes": 9999}, "proposed_minutes"),
                        ({"reason": "x", "proposed_ended_at": "2000-01-01T08:00:00"}, "proposed_ended_at")]:
        res = client.post(url, headers=mine, json=body)
        assert res.status_code == 422 and res.get_json()["error"]["field"] == field


def test_volunteer_reports_a_missing_shift_which_waits_in_the_queue(client, county, volunteer, h):
    mine = factories.headers(volunteer)
    start = recent(3, 17)
    body = {"post_id": county.post_west.id, "started_at": local_iso(start),
            "ended_at": local_iso(start + timedelta(minutes=80)), "reason": "当天二维码被遮挡无法扫码"}
    res = client.post("/api/mp/v1/shifts/missing", headers=mine, json=body)
    assert res.status_code == 201, res.get_json()
    shift = res.get_json()["shift"]
    assert shift["source"] == "manual" and shift["review"]["state"] == "pending" and "manual" in shift["flags"]
    assert res.get_json()["correction"]["kind"] == "missing"
    hours = client.get("/api/mp/v1/me/hours", headers=mine).get_json()
    assert hours["pending_minutes"] == 80 and hours["credited_minutes"] == 0
    queued = client.get(QUEUE, headers=h).get_json()["items"]
    assert queued[0]["id"] == shift["id"] and queued[0]["correction"]["kind"] == "missing"
    assert client.post(review_url(shift["id"]), headers=h, json={"decision": "approve"}).status_code == 200
    assert client.get("/api/mp/v1/me/hours", headers=mine).get_json()["credited_minutes"] == 80

    old = recent(25, 8)
    late = client.post("/api/mp/v1/shifts/missing", headers=mine, json={
        **body, "started_at": local_iso(old), "ended_at": local_iso(old + timedelta(hours=1))})
    assert late.status_code == 422 and late.get_json()["error"]["code"] == "MANUAL_SHIFT_TOO_OLD"
    overlapping = client.post("/api/mp/v1/shifts/missing", headers=mine, json=body)
    assert overlapping.status_code == 409 and overlapping.get_json()["error"]["code"] == "SHIFT_OVERLAP"
