"""A problem found at a post goes from the volunteer's photo to the command office's acceptance
of the unit's fix, and every step is on its audit trail."""
import pytest

from server.clock import local_date, utcnow
from tests import factories
from tests.problem_helpers import (BROKEN_RAILING, CONSOLE, MP, console, photo, report,
                                   working_days_after)
from tests.roster_data import TZ

TEMPLATE = "tmpl-problem-fixed"


@pytest.fixture
def app(make_app, fake_wechat):
    """WeChat configured with the "problem fixed" subscription template."""
    from tests.fake_wechat import APPID, SECRET

    fake_wechat.subscribe_templates[TEMPLATE] = {"thing1": "thing", "phrase2": "phrase", "thing3": "thing"}
    app = make_app(WECHAT_APPID=APPID, WECHAT_SECRET=SECRET, WECHAT_PROBLEM_TEMPLATE_ID=TEMPLATE)
    with app.app_context():
        yield app


@pytest.fixture
def people(county):
    class People:
        volunteer = factories.volunteer(county.unit_b, name="陈芳")
        leader = factories.console_user("leader")
        unit_a = factories.console_user("coordinator", unit_=county.unit_a)
        unit_b = factories.console_user("coordinator", unit_=county.unit_b)
    return People


def test_a_broken_railing_goes_from_the_volunteers_photo_to_an_accepted_fix(client, county, people, fake_wechat):
    h = factories.headers(people.volunteer)
    assert client.post(f"{MP}/shifts", headers=h, json=factories.at_post(county.post_east)).status_code == 201

    # The volunteer on duty reports it with a photo; the post is the one they are on duty at.
    res = report(client, people.volunteer, county.post_east, notify=True)
    assert res.status_code == 201, res.get_json()
    problem = res.get_json()
    assert problem["status"] == "open" and problem["post"]["id"] == county.post_east.id
    pid = problem["id"]
    before = photo(client, people.volunteer, f"{MP}/problems/{pid}/photos", seed=1)
    assert before.status_code == 201, before.get_json()
    assert client.get(before.get_json()["url"]).mimetype == "image/jpeg"

    # A coordinator of another unit does not see it, in the list or by id.
    assert console(client, people.unit_a, "GET", "/problems").get_json()["items"] == []
    assert console(client, people.unit_a, "GET", f"/problems/{pid}").status_code == 404

    # The leader assigns it to unit A with a 3-working-day deadline.
    deadline = working_days_after(local_date(utcnow(), TZ), 3).isoformat()
    res = console(client, people.leader, "POST", f"/problems/{pid}/assign",
                  json={"unit_id": county.unit_a.id, "deadline": deadline, "note": "请三日内修复"})
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["status"] == "assigned" and res.get_json()["deadline"] == deadline
    assert [p["id"] for p in res.get_json()["photos"]["before"]] == [before.get_json()["id"]]

    # Unit B's coordinator cannot fix it or send its photo: it is not theirs to see.
    assert console(client, people.unit_b, "POST", f"/problems/{pid}/fix",
                   json={"note": "已修", "photo_id": 1}).status_code == 404
    assert photo(client, people.unit_b, f"{CONSOLE}/problems/{pid}/photos", seed=2).status_code == 404

    # Unit A's coordinator fixes it with an after photo; the reporter hears of it once.
    after = photo(client, people.unit_a, f"{CONSOLE}/problems/{pid}/photos", seed=3)
    assert after.status_code == 201, after.get_json()
    res = console(client, people.unit_a, "POST", f"/problems/{pid}/fix",
                  json={"note": "已更换护栏", "photo_id": after.get_json()["id"]})
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["status"] == "fixed"
    messages = fake_wechat.subscribe_messages_to(people.volunteer.openid)
    assert len(messages) == 1 and messages[0]["template_id"] == TEMPLATE
    assert messages[0]["data"]["thing3"]["value"] == "已更换护栏"

    # The leader sends it back once with a reason...
    res = console(client, people.leader, "POST", f"/problems/{pid}/verify",
                  json={"accepted": False, "reason": "护栏仍有松动"})
    assert res.get_json()["status"] == "assigned" and res.get_json()["status_reason"] == "护栏仍有松动"
    again = photo(client, people.unit_a, f"{CONSOLE}/problems/{pid}/photos", seed=4)
    res = console(client, people.unit_a, "POST", f"/problems/{pid}/fix",
                  json={"note": "已加固", "photo_id": again.get_json()["id"]})
    assert res.get_json()["status"] == "fixed"
    assert len(fake_wechat.subscribe_messages_to(people.volunteer.openid)) == 1  # one message per consent
    # ...then verifies it.
    res = console(client, people.leader, "POST", f"/problems/{pid}/verify", json={"accepted": True})
    assert res.status_code == 200 and res.get_json()["status"] == "verified"
    assert len(res.get_json()["photos"]["after"]) == 2

    # The audit shows every step with who and why.
    trail = console(client, people.leader, "GET", f"/problems/{pid}/audit").get_json()["items"]
    steps = [(e["action"], e["actor"]["id"], e["reason"]) for e in trail]
    assert steps == [
        ("problem_report", people.volunteer.id, None),
        ("problem_photo", people.volunteer.id, None),
        ("problem_assign", people.leader.id, "请三日内修复"),
        ("problem_photo", people.unit_a.id, None),
        ("problem_fix", people.unit_a.id, "已更换护栏"),
        ("problem_return", people.leader.id, "护栏仍有松动"),
        ("problem_photo", people.unit_a.id, None),
        ("problem_fix", people.unit_a.id, "已加固"),
        ("problem_verify", people.leader.id, None),
    ]
    assert trail[2]["after"]["unit_id"] == county.unit_a.id and trail[2]["after"]["deadline"] == deadline
    assert trail[5]["before"]["status"] == "fixed" and trail[5]["after"]["status"] == "assigned"

    # The reporter's list shows it verified.
    mine = client.get(f"{MP}/problems", headers=h).get_json()["items"]
    assert [(p["id"], p["status"], p["description"]) for p in mine] == [(pid, "verified", BROKEN_RAILING)]


def fixed(client, county, people, **report_extra) -> int:
    pid = report(client, people.volunteer, county.post_east, post_id=county.post_east.id, confirm_new=True,
                 **report_extra).get_json()["id"]
    console(client, people.leader, "POST", f"/problems/{pid}/assign", json={"unit_id": county.unit_a.id})
    after = photo(client, people.unit_a, f"{CONSOLE}/problems/{pid}/photos", seed=pid + 30).get_json()["id"]
    res = console(client, people.unit_a, "POST", f"/problems/{pid}/fix", json={"note": "已修", "photo_id": after})
    assert res.status_code == 200, res.get_json()
    return pid


def notice_state(pid: int) -> str:
    from server.db import db
    from server.models import Problem

    db.session.rollback()
    return db.session.get(Problem, pid).notice_state


def test_no_message_without_the_reporters_consent(client, county, people, fake_wechat):
    pid = fixed(client, county, people)
    assert fake_wechat.subscribe_messages_to(people.volunteer.openid) == [] and notice_state(pid) == "none"


def test_a_refused_message_is_recorded_and_the_fix_stands(client, county, people, fake_wechat):
    fake_wechat.refuse_subscriptions(people.volunteer.openid)
    pid = fixed(client, county, people, notify=True)
    assert notice_state(pid) == "refused"
    assert console(client, people.leader, "GET", f"/problems/{pid}").get_json()["status"] == "fixed"
