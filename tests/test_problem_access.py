"""Who sees and does what with a problem: scope is 404, role 403, state 409, fields 422, in that order."""
from datetime import date, timedelta

import pytest

from server.clock import local_date, utcnow
from tests import factories
from tests.problem_helpers import CONSOLE, MP, console, photo, report
from tests.roster_data import TZ


@pytest.fixture
def people(county):
    class People:
        volunteer = factories.volunteer(county.unit_b)
        other_volunteer = factories.volunteer(county.unit_b)
        admin = factories.console_user("admin")
        leader = factories.console_user("leader")
        unit_a = factories.console_user("coordinator", unit_=county.unit_a)
        unit_b = factories.console_user("coordinator", unit_=county.unit_b)
        east = factories.console_user("coordinator", district_=county.east)
        west = factories.console_user("coordinator", district_=county.west)
    return People


def reported_at(client, people, post, **extra) -> int:
    res = report(client, people.volunteer, post, post_id=post.id, confirm_new=True, **extra)
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def assigned(client, people, post, unit) -> int:
    pid = reported_at(client, people, post)
    res = console(client, people.leader, "POST", f"/problems/{pid}/assign", json={"unit_id": unit.id})
    assert res.status_code == 200, res.get_json()
    return pid


def visible_ids(client, user) -> set[int]:
    res = console(client, user, "GET", "/problems")
    assert res.status_code == 200, res.get_json()
    return {item["id"] for item in res.get_json()["items"]}


def test_each_role_sees_the_problems_of_its_scope(client, county, people):
    east_open = reported_at(client, people, county.post_east)
    west_for_a = assigned(client, people, county.post_west, county.unit_a)
    everything = {east_open, west_for_a}
    assert visible_ids(client, people.admin) == everything
    assert visible_ids(client, people.leader) == everything
    assert visible_ids(client, people.east) == {east_open}  # reported at the district's posts
    assert visible_ids(client, people.west) == {west_for_a}
    assert visible_ids(client, people.unit_a) == {west_for_a}  # assigned to the unit
    assert visible_ids(client, people.unit_b) == set()
    for user, pid in ((people.unit_b, east_open), (people.unit_a, east_open), (people.east, west_for_a)):
        assert console(client, user, "GET", f"/problems/{pid}").status_code == 404
        assert console(client, user, "GET", f"/problems/{pid}/audit").status_code == 404
    # A volunteer has no console at all, and in the mini-program sees only their own reports.
    assert console(client, people.volunteer, "GET", "/problems").status_code == 401  # a mini-program token
    assert client.get(f"{MP}/problems/{east_open}", headers=factories.headers(people.other_volunteer)).status_code == 404
    assert client.get(f"{MP}/problems", headers=factories.headers(people.other_volunteer)).get_json()["items"] == []


def test_only_the_command_office_and_the_district_assign_and_reject(client, county, people):
    pid = reported_at(client, people, county.post_east)
    body = {"unit_id": county.unit_a.id}
    assert console(client, people.west, "POST", f"/problems/{pid}/assign", json=body).status_code == 404
    # A unit coordinator who reported it may see it, but not dispatch it.
    own = report(client, people.unit_b, county.post_west, post_id=county.post_west.id).get_json()["id"]
    assert console(client, people.unit_b, "POST", f"/problems/{own}/assign", json=body).status_code == 403
    res = console(client, people.east, "POST", f"/problems/{pid}/assign", json=body)
    assert res.status_code == 200 and res.get_json()["unit"]["id"] == county.unit_a.id
    # The district coordinator may reassign it while it is with a unit; the unit may not verify.
    assert console(client, people.unit_a, "POST", f"/problems/{pid}/verify",
                   json={"accepted": True}).status_code == 403
    assert console(client, people.east, "POST", f"/problems/{pid}/reject", json={"reason": "非本岗位问题"}
                   ).get_json()["status"] == "rejected"


def test_checks_run_scope_then_role_then_state_then_fields(client, county, people):
    pid = reported_at(client, people, county.post_east)
    bad = {"unit_id": "甲", "deadline": "明天"}
    assert console(client, people.west, "POST", f"/problems/{pid}/assign", json=bad).status_code == 404
    assert console(client, people.east, "POST", f"/problems/{pid}/fix", json={}).status_code == 403
    res = console(client, people.leader, "POST", f"/problems/{pid}/verify", json={"accepted": "yes"})
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "PROBLEM_STATE"
    res = console(client, people.leader, "POST", f"/problems/{pid}/assign", json=bad)
    assert res.status_code == 422 and res.get_json()["error"]["field"] == "unit_id"
    past = (local_date(utcnow(), TZ) - timedelta(days=1)).isoformat()
    res = console(client, people.leader, "POST", f"/problems/{pid}/assign",
                  json={"unit_id": county.unit_a.id, "deadline": past})
    assert res.status_code == 422 and res.get_json()["error"]["field"] == "deadline"
    for body in (None, [], "x"):
        res = client.post(f"{CONSOLE}/problems/{pid}/assign", headers=factories.headers(people.leader), json=body)
        assert res.status_code == 400
    # Fixing needs an after photo of this very problem.
    console(client, people.leader, "POST", f"/problems/{pid}/assign", json={"unit_id": county.unit_a.id})
    other = assigned(client, people, county.post_west, county.unit_a)
    foreign = photo(client, people.unit_a, f"{CONSOLE}/problems/{other}/photos", seed=7).get_json()["id"]
    res = console(client, people.unit_a, "POST", f"/problems/{pid}/fix", json={"note": "已修", "photo_id": foreign})
    assert res.status_code == 422 and res.get_json()["error"]["field"] == "photo_id"
    res = console(client, people.unit_a, "POST", f"/problems/{pid}/fix", json={"photo_id": foreign})
    assert res.status_code == 422 and res.get_json()["error"]["field"] == "note"
    # A closed problem takes no more decisions.
    console(client, people.leader, "POST", f"/problems/{other}/reject", json={"reason": "重复", "duplicate_of": pid})
    res = console(client, people.leader, "POST", f"/problems/{other}/assign", json={"unit_id": county.unit_b.id})
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "PROBLEM_STATE"


def test_a_return_needs_a_reason(client, county, people):
    pid = assigned(client, people, county.post_east, county.unit_a)
    after = photo(client, people.unit_a, f"{CONSOLE}/problems/{pid}/photos", seed=5).get_json()["id"]
    console(client, people.unit_a, "POST", f"/problems/{pid}/fix", json={"note": "已修", "photo_id": after})
    res = console(client, people.admin, "POST", f"/problems/{pid}/verify", json={"accepted": False})
    assert res.status_code == 422 and res.get_json()["error"]["field"] == "reason"


def test_a_second_report_of_the_same_thing_nearby_is_answered_with_the_first(client, county, people):
    first = reported_at(client, people, county.post_east)
    res = report(client, people.other_volunteer, county.post_east, description="护栏坏了")
    assert res.status_code == 409
    error = res.get_json()["error"]
    assert error["code"] == "PROBLEM_LIKELY_DUPLICATE" and error["duplicate_of"]["id"] == first
    assert error["duplicate_of"]["distance_m"] <= 50
    # Another category at the same place, or the same category 200 m away, is a new problem.
    assert report(client, people.other_volunteer, county.post_east, category="环境卫生").status_code == 201
    far = report(client, people.other_volunteer, county.post_east,
                 latitude=county.post_east.latitude + 0.002)
    assert far.status_code == 201
    # The reporter may confirm that it is a new problem after all.
    again = report(client, people.other_volunteer, county.post_east, confirm_new=True)
    assert again.status_code == 201 and again.get_json()["id"] != first


def test_a_report_sent_again_after_a_lost_answer_returns_the_problem_it_made(client, county, people):
    # The phone's first answer timed out; it sends the same report with the same request id.
    first = report(client, people.volunteer, county.post_east, client_request_id="tap-1")
    assert first.status_code == 201
    again = report(client, people.volunteer, county.post_east, client_request_id="tap-1")
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    assert own_ids(client, people.volunteer) == [first.get_json()["id"]]
    # So the photos go to it, instead of the volunteer being told someone else reported it.
    path = f"{MP}/problems/{first.get_json()['id']}/photos"
    assert photo(client, people.volunteer, path, seed=11).status_code == 201
    # Another tap (another id) is another report, and meets the likely-duplicate check as before.
    other_tap = report(client, people.volunteer, county.post_east, client_request_id="tap-2")
    assert other_tap.status_code == 409 and other_tap.get_json()["error"]["code"] == "PROBLEM_LIKELY_DUPLICATE"


def test_a_request_id_is_the_reporters_own(client, county, people):
    mine = report(client, people.volunteer, county.post_east, client_request_id="tap-1")
    theirs = report(client, people.other_volunteer, county.post_east, client_request_id="tap-1",
                    confirm_new=True)
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert theirs.get_json()["id"] != mine.get_json()["id"]


def test_the_same_report_sent_twice_at_once_makes_one_problem(client, county, people, live_server):
    import requests
    from concurrent.futures import ThreadPoolExecutor

    body = {"category": "公共设施", "description": "护栏倒伏", "latitude": county.post_east.latitude,
            "longitude": county.post_east.longitude, "client_request_id": "tap-9"}
    headers = factories.headers(people.volunteer, "mp")

    def send(_) -> tuple[int, int]:
        res = requests.post(f"{live_server}{MP}/problems", json=body, headers=headers, timeout=30)
        return res.status_code, res.json().get("id")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(4)))

    assert sorted(status for status, _ in answers) == [200, 200, 200, 201]
    assert len({pid for _, pid in answers}) == 1
    assert own_ids(client, people.volunteer) == [answers[0][1]]


def own_ids(client, volunteer) -> list[int]:
    res = client.get(f"{MP}/problems", headers=factories.headers(volunteer, "mp"))
    return [item["id"] for item in res.get_json()["items"]]


def test_the_default_deadline_counts_the_countys_working_days(app, client, county, people):
    today = local_date(utcnow(), TZ)
    # A three-day holiday starting tomorrow pushes a 3-working-day deadline (交通秩序) back.
    first = today + timedelta(days=1)
    app.test_cli_runner().invoke(args=["calendar", "set", first.isoformat(), (first + timedelta(days=2)).isoformat(),
                                       "--kind", "holiday"])
    pid = reported_at(client, people, county.post_east, category="交通秩序")
    deadline = date.fromisoformat(console(client, people.leader, "POST", f"/problems/{pid}/assign",
                                          json={"unit_id": county.unit_a.id}).get_json()["deadline"])
    day, left = first + timedelta(days=2), 3
    while left:
        day += timedelta(days=1)
        left -= day.weekday() < 5
    assert deadline == day


def test_categories_and_reports_refuse_what_cannot_be_meant(client, county, people):
    h = factories.headers(people.volunteer)
    names = [c["name"] for c in client.get(f"{MP}/problem-categories", headers=h).get_json()["items"]]
    assert names == ["交通秩序", "环境卫生", "市容市貌", "公共设施", "文明行为", "其他"]
    good = {"category": "其他", "description": "井盖缺失", "latitude": 29.2, "longitude": 117.8}
    for field, value in (("category", "不存在"), ("category", 999), ("category", True), ("description", ""),
                         ("latitude", 91), ("longitude", "东"), ("post_id", 999999), ("notify", "yes")):
        res = client.post(f"{MP}/problems", headers=h, json={**good, field: value})
        assert res.status_code == 422 and res.get_json()["error"]["field"] == field, (field, res.get_json())
    unregistered = factories.volunteer(None, registered=False)
    assert client.post(f"{MP}/problems", headers=factories.headers(unregistered), json=good).status_code == 403
    pid = client.post(f"{MP}/problems", headers=h, json=good).get_json()["id"]
    res = client.post(f"{MP}/problems/{pid}/photos", headers=h, data={}, content_type="multipart/form-data")
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "PHOTO_MISSING"
    res = photo(client, people.other_volunteer, f"{MP}/problems/{pid}/photos", seed=9)
    assert res.status_code == 404
    for query in ("status=lost", "overdue=maybe", "cursor=%%%", "unit_id=x"):
        res = client.get(f"{CONSOLE}/problems?{query}", headers=factories.headers(people.leader))
        assert res.status_code == 422, query


def test_the_list_puts_overdue_problems_first_and_filters(client, county, people):
    from server.db import db
    from server.models import Problem

    late = assigned(client, people, county.post_east, county.unit_a)
    fresh = assigned(client, people, county.post_west, county.unit_b)
    newest = reported_at(client, people, county.post_east, category="其他")
    db.session.get(Problem, late).deadline = local_date(utcnow(), TZ) - timedelta(days=2)
    db.session.commit()
    items = console(client, people.leader, "GET", "/problems").get_json()["items"]
    assert [i["id"] for i in items] == [late, newest, fresh] and items[0]["overdue"] is True
    assert [i["id"] for i in console(client, people.leader, "GET", "/problems?overdue=true").get_json()["items"]] \
        == [late]
    assert [i["id"] for i in console(client, people.leader, "GET",
                                     f"/problems?district_id={county.west.id}").get_json()["items"]] == [fresh]
    assert [i["id"] for i in console(client, people.leader, "GET",
                                     f"/problems?unit_id={county.unit_a.id}&status=assigned").get_json()["items"]] \
        == [late]
    page = console(client, people.leader, "GET", "/problems?limit=2").get_json()
    rest = console(client, people.leader, "GET", f"/problems?limit=2&cursor={page['next_cursor']}").get_json()
    assert [i["id"] for i in page["items"] + rest["items"]] == [late, newest, fresh] and rest["next_cursor"] is None


def test_an_admin_configures_the_categories_and_their_deadlines(client, county, people):
    h = factories.headers(people.admin)
    res = client.post(f"{CONSOLE}/problem-categories", headers=h, json={"name": "占道经营", "deadline_working_days": 2})
    assert res.status_code == 201, res.get_json()
    added = res.get_json()["id"]
    litter = next(c for c in client.get(f"{CONSOLE}/problem-categories", headers=h).get_json()["items"]
                  if c["name"] == "环境卫生")
    res = client.patch(f"{CONSOLE}/problem-categories/{litter['id']}", headers=h, json={"active": False})
    assert res.status_code == 200 and res.get_json()["active"] is False
    names = [c["name"] for c in client.get(f"{MP}/problem-categories",
                                           headers=factories.headers(people.volunteer)).get_json()["items"]]
    assert "占道经营" in names and "环境卫生" not in names
    assert report(client, people.volunteer, county.post_east, category="环境卫生").status_code == 422
    for body, field in (({"name": "占道经营", "deadline_working_days": 3}, "name"),
                        ({"name": "新类别", "deadline_working_days": 0}, "deadline_working_days"),
                        ({"name": "新类别"}, "deadline_working_days")):
        res = client.post(f"{CONSOLE}/problem-categories", headers=h, json=body)
        assert res.status_code == 422 and res.get_json()["error"]["field"] == field
    assert client.patch(f"{CONSOLE}/problem-categories/99999", headers=h, json={}).status_code == 404
    for user in (people.leader, people.east):
        assert client.patch(f"{CONSOLE}/problem-categories/{added}", headers=factories.headers(user),
                            json={"active": False}).status_code == 403
