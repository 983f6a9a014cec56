"""Who may call what in the console: a table of endpoints against roles (after CTFd's
test_admin_access.py). Rows outside a coordinator's scope are 404, never another unit's data;
a volunteer's token is refused with 403 on every console endpoint."""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from server.clock import utcnow
from tests import factories
from tests.report_data import TZ, add_shift

ROLES = ("volunteer", "coordinator_a", "coordinator_b", "district_east", "leader", "admin")


@dataclass
class World:
    county: object
    volunteer: object  # of unit A, served at the east district's post
    shift: object
    headers: dict
    problem: object  # found at the east district's post, assigned to unit A


@pytest.fixture
def world(county):
    volunteer = factories.volunteer(county.unit_a, name="张伟")
    yesterday = datetime.combine(utcnow().astimezone(TZ).date() - timedelta(days=1), datetime.min.time())
    shift = add_shift(volunteer, county.post_east, yesterday + timedelta(hours=8), 12, review_state="pending",
                      credited=0, flags=["too_short"])
    users = {
        "volunteer": factories.volunteer(county.unit_a),
        "coordinator_a": factories.console_user("coordinator", unit_=county.unit_a),
        "coordinator_b": factories.console_user("coordinator", unit_=county.unit_b),
        "district_east": factories.console_user("coordinator", district_=county.east),
        "leader": factories.console_user("leader"),
        "admin": factories.console_user("admin"),
    }
    # Console-kind tokens for every role, the volunteer's too: the table tests the role check;
    # a mini-program token never gets this far (401 at the door, tests/test_security_tokens.py).
    return World(county, volunteer, shift, {role: factories.headers(u, kind="console") for role, u in users.items()},
                 _problem(county, volunteer))


def _problem(county, reporter):
    from server.db import db
    from server.models import Problem
    from server.problems import categories

    now = utcnow()
    problem = Problem(category_id=categories.active()[0].id, description="护栏断裂", latitude=county.post_east.latitude,
                      longitude=county.post_east.longitude, post_id=county.post_east.id, reporter_id=reporter.id,
                      status="assigned", unit_id=county.unit_a.id, deadline=now.astimezone(TZ).date() + timedelta(days=3),
                      assigned_at=now, notify_reporter=False, notice_state="none", created_at=now, updated_at=now)
    db.session.add(problem)
    db.session.commit()
    return problem


def _manual_body(w: World) -> dict:
    start = datetime.combine(utcnow().astimezone(TZ).date() - timedelta(days=1), datetime.min.time())
    start = (start + timedelta(hours=14)).replace(tzinfo=TZ)
    return {"volunteer_id": w.volunteer.id, "post_id": w.county.post_east.id, "started_at": start.isoformat(),
            "ended_at": (start + timedelta(hours=1)).isoformat(), "reason": "忘记扫码"}


V = "/api/console/v1"
# (name, method, url(world), json body(world) or None, expected status per role in ROLES order)
ENDPOINTS = [
    ("hours report", "GET", lambda w: f"{V}/reports/hours?group_by=unit", None, (403, 200, 200, 200, 200, 200)),
    ("unit A's hours", "GET", lambda w: f"{V}/reports/hours?unit_id={w.county.unit_a.id}", None,
     (403, 200, 404, 200, 200, 200)),
    ("west district's hours", "GET", lambda w: f"{V}/reports/hours?district_id={w.county.west.id}", None,
     (403, 404, 404, 404, 200, 200)),
    ("east post's hours", "GET", lambda w: f"{V}/reports/hours?post_id={w.county.post_east.id}", None,
     (403, 200, 404, 200, 200, 200)),
    ("hours as xlsx", "GET", lambda w: f"{V}/reports/hours?format=xlsx", None, (403, 200, 200, 200, 200, 200)),
    ("unit A's records", "GET", lambda w: f"{V}/reports/shifts?unit_id={w.county.unit_a.id}", None,
     (403, 200, 404, 200, 200, 200)),
    ("review queue", "GET", lambda w: f"{V}/reviews", None, (403, 200, 200, 200, 200, 200)),
    ("a shift", "GET", lambda w: f"{V}/shifts/{w.shift.id}", None, (403, 200, 404, 200, 200, 200)),
    ("a shift's audit trail", "GET", lambda w: f"{V}/shifts/{w.shift.id}/audit", None,
     (403, 200, 404, 200, 200, 200)),
    ("approve a shift", "POST", lambda w: f"{V}/shifts/{w.shift.id}/review", lambda w: {"decision": "approve"},
     (403, 200, 404, 200, 403, 200)),
    ("void a shift", "POST", lambda w: f"{V}/shifts/{w.shift.id}/void", lambda w: {"reason": "测试扫码"},
     (403, 200, 404, 200, 403, 200)),
    ("add a manual shift", "POST", lambda w: f"{V}/shifts", _manual_body, (403, 201, 404, 201, 403, 201)),
    ("volunteer list", "GET", lambda w: f"{V}/volunteers", None, (403, 200, 200, 200, 200, 200)),
    ("a volunteer", "GET", lambda w: f"{V}/volunteers/{w.volunteer.id}", None, (403, 200, 404, 200, 200, 200)),
    ("suspend a volunteer", "POST", lambda w: f"{V}/volunteers/{w.volunteer.id}/suspend",
     lambda w: {"reason": "多次代签"}, (403, 200, 404, 403, 403, 200)),
    ("reactivate a volunteer", "POST", lambda w: f"{V}/volunteers/{w.volunteer.id}/reactivate",
     lambda w: {}, (403, 409, 404, 403, 403, 409)),
    ("the holiday calendar", "GET", lambda w: f"{V}/calendar?year=2026", None, (403, 200, 200, 200, 200, 200)),
    ("enter a holiday", "POST", lambda w: f"{V}/calendar", lambda w: {"from": "2026-10-01", "kind": "holiday"},
     (403, 403, 403, 403, 403, 201)),
    ("clear a holiday", "POST", lambda w: f"{V}/calendar/clear", lambda w: {"from": "2026-10-01"},
     (403, 403, 403, 403, 403, 200)),
    ("a certificate", "GET", lambda w: f"{V}/volunteers/{w.volunteer.id}/certificate.pdf", None,
     (403, 200, 404, 200, 200, 200)),
    ("problem list", "GET", lambda w: f"{V}/problems", None, (403, 200, 200, 200, 200, 200)),
    ("a problem", "GET", lambda w: f"{V}/problems/{w.problem.id}", None, (403, 200, 404, 200, 200, 200)),
    ("a problem's audit trail", "GET", lambda w: f"{V}/problems/{w.problem.id}/audit", None,
     (403, 200, 404, 200, 200, 200)),
    ("reassign a problem", "POST", lambda w: f"{V}/problems/{w.problem.id}/assign",
     lambda w: {"unit_id": w.county.unit_b.id}, (403, 403, 404, 200, 200, 200)),
    ("fix a problem without its photo", "POST", lambda w: f"{V}/problems/{w.problem.id}/fix",
     lambda w: {"note": "已修"}, (403, 422, 404, 403, 403, 403)),
    ("verify a problem not yet fixed", "POST", lambda w: f"{V}/problems/{w.problem.id}/verify",
     lambda w: {"accepted": True}, (403, 403, 404, 403, 409, 409)),
    ("reject a problem", "POST", lambda w: f"{V}/problems/{w.problem.id}/reject",
     lambda w: {"reason": "非本岗位问题"}, (403, 403, 404, 200, 200, 200)),
    ("add a problem category", "POST", lambda w: f"{V}/problem-categories",
     lambda w: {"name": "占道经营", "deadline_working_days": 2}, (403, 403, 403, 403, 403, 201)),
]

CASES = [pytest.param(e, role, e[4][i], id=f"{e[0]}-{role}") for e in ENDPOINTS for i, role in enumerate(ROLES)]


@pytest.mark.parametrize("endpoint, role, status", CASES)
def test_endpoint_answers_each_role_as_the_table_says(client, world, endpoint, role, status):
    name, method, url, body, _ = endpoint
    res = client.open(url(world), method=method, headers=world.headers[role],
                      json=body(world) if body else None)
    assert res.status_code == status, (name, role, res.get_json(silent=True))
    if status in (403, 404):
        assert res.get_json()["error"]["code"] in ("FORBIDDEN", "NOT_FOUND")


def test_out_of_scope_answers_carry_no_data_from_the_other_unit(client, world):
    res = client.get(f"{V}/shifts/{world.shift.id}", headers=world.headers["coordinator_b"])
    assert res.status_code == 404 and "张伟" not in res.get_data(as_text=True)
    rows = client.get(f"{V}/reports/hours?group_by=volunteer",
                      headers=world.headers["coordinator_b"]).get_json()["rows"]
    assert all(r["name"] != "张伟" for r in rows)
    queue = client.get(f"{V}/reviews", headers=world.headers["coordinator_b"]).get_json()["items"]
    assert queue == []
    found = client.get(f"{V}/volunteers", headers=world.headers["coordinator_b"],
                       query_string={"q": "张"}).get_json()["items"]
    assert found == []


def test_west_district_coordinator_sees_nothing_of_the_east(client, world):
    west = factories.headers(factories.console_user("coordinator", district_=world.county.west))
    assert client.get(f"{V}/shifts/{world.shift.id}", headers=west).status_code == 404
    assert client.get(f"{V}/volunteers/{world.volunteer.id}", headers=west).status_code == 404
    assert client.get(f"{V}/reviews", headers=west).get_json()["items"] == []
    assert client.post(f"{V}/shifts", headers=west, json=_manual_body(world)).status_code == 404


def test_a_volunteer_token_gets_403_on_every_console_endpoint(app, client, world):
    """Every route under the console API, including ones added later, refuses a volunteer."""
    # The console API's own views; its published document (/api/console/v1/openapi.json) is public.
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith(V) and r.endpoint.startswith("console_api.")
             and r.endpoint != "console_api.login"]
    assert len(rules) >= 15
    for rule in rules:
        url = re.sub(r"<[^>]+>", str(world.shift.id), rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            res = client.open(url, method=method, headers=world.headers["volunteer"], json={})
            assert res.status_code == 403, (method, url)
            assert res.get_json()["error"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("params, field", [({"status": "gone"}, "status"), ({"q": "138"}, "q"),
                                           ({"limit": "0"}, "limit")])
def test_volunteer_list_validation(client, world, params, field):
    res = client.get(f"{V}/volunteers", headers=world.headers["coordinator_a"], query_string=params)
    assert res.status_code == 422 and res.get_json()["error"]["field"] == field
