"""Before a slot, each assigned volunteer gets one WeChat reminder; a refusal is recorded, not retried."""
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.clock import utcnow
from server.db import db
from server.models import SlotReminder
from tests import factories
from tests.fake_wechat import APPID, SECRET
from tests.roster_data import TZ, slots

SEND = "/cgi-bin/message/subscribe/send"
TEMPLATE = "tmpl-duty-reminder"


@pytest.fixture
def app(make_app):
    """WeChat configured with a reminder template and an hour's lead time."""
    app = make_app(WECHAT_APPID=APPID, WECHAT_SECRET=SECRET, WECHAT_REMINDER_TEMPLATE_ID=TEMPLATE,
                   REMINDER_LEAD_MINUTES=60)
    with app.app_context():
        yield app


@pytest.fixture
def people(county):
    class People:
        admin = factories.console_user("admin")
        alice = factories.volunteer(county.unit_a, name="王小丽")
        bob = factories.volunteer(county.unit_a, name="李大军")
        carol = factories.volunteer(county.unit_b, name="陈芳")
    return People


def slot_in(planner, post, minutes: int, volunteers, *, length: int = 90) -> int:
    begins = (utcnow() + timedelta(minutes=minutes)).astimezone(TZ)
    ends = begins + timedelta(minutes=length)
    return slots(planner, post, begins.date().isoformat(), begins.strftime("%H:%M"), ends.strftime("%H:%M"),
                 volunteers=volunteers, now=utcnow() - timedelta(hours=1))


def send(app) -> dict:
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def sent_to(fake_wechat, user) -> list[dict]:
    return fake_wechat.subscribe_messages_to(user.openid)


def asked(fake_wechat, user) -> int:
    return sum(1 for call in fake_wechat.calls_to(SEND) if call.get("touser") == user.openid)


def test_each_assigned_volunteer_is_reminded_once_before_the_slot(app, county, people, fake_wechat):
    soon = slot_in(people.admin, county.post_east, 40, [people.alice, people.bob])
    slot_in(people.admin, county.post_west, 180, [people.alice])        # too far ahead for now
    slot_in(people.admin, county.post_east2, -10, [people.carol])       # already begun: too late to remind

    counts = send(app)
    assert (counts["sent"], counts["refused"], counts["failed"]) == (2, 0, 0)
    [message] = sent_to(fake_wechat, people.alice)
    assert len(sent_to(fake_wechat, people.bob)) == 1 and sent_to(fake_wechat, people.carol) == []
    begins = (utcnow() + timedelta(minutes=40)).astimezone(TZ)
    assert message["template_id"] == TEMPLATE and message["page"].endswith(f"slot_id={soon}")
    assert message["data"]["thing1"]["value"] == "人民路与解放路交叉口"
    assert message["data"]["time2"]["value"].startswith(f"{begins.year}年{begins.month}月{begins.day}日 ")

    assert send(app)["sent"] == 0  # cron runs again a few minutes later
    assert len(sent_to(fake_wechat, people.alice)) == 1 and len(sent_to(fake_wechat, people.bob)) == 1
    results = db.session.execute(sa.select(SlotReminder.volunteer_id, SlotReminder.result)).all()
    assert sorted(results) == sorted([(people.alice.id, "sent"), (people.bob.id, "sent")])


def test_a_volunteer_who_refused_is_recorded_and_not_asked_again_until_they_accept(
        app, client, county, people, fake_wechat):
    fake_wechat.refuse_subscriptions(people.alice.openid)
    try:
        first = slot_in(people.admin, county.post_east, 30, [people.alice], length=15)
        assert send(app)["refused"] == 1
        row = db.session.execute(sa.select(SlotReminder).where(SlotReminder.slot_id == first)).scalar_one()
        assert (row.result, row.errcode) == ("refused", 43101)

        slot_in(people.admin, county.post_west, 50, [people.alice])
        assert send(app)["refused"] == 0
        assert asked(fake_wechat, people.alice) == 1  # the second slot did not ask WeChat again
        assert sent_to(fake_wechat, people.alice) == []
    finally:
        fake_wechat.refusing_openids.discard(people.alice.openid)

    # She taps "allow" in the mini-program; the next run reminds her of the slot still to come.
    res = client.post("/api/mp/v1/me/reminder-consent", headers=factories.headers(people.alice))
    assert res.status_code == 200
    assert send(app)["sent"] == 1
    assert len(sent_to(fake_wechat, people.alice)) == 1
    roster = client.get("/api/mp/v1/me/roster", headers=factories.headers(people.alice)).json["items"]
    assert [item["reminder"] for item in roster] == ["refused", "sent"]


def test_a_long_post_name_is_cut_to_what_the_template_accepts(app, county, people, fake_wechat):
    long_post = factories.post(county.east, name="人民路与解放路交叉口东北角公交站台南侧人行横道")
    slot_in(people.admin, long_post, 20, [people.carol])
    assert send(app)["sent"] == 1
    assert len(sent_to(fake_wechat, people.carol)[0]["data"]["thing1"]["value"]) == 20


def test_reminders_without_a_template_are_off_and_cron_stays_quiet(make_app, fake_wechat):
    app = make_app(WECHAT_APPID=APPID, WECHAT_SECRET=SECRET)
    before = len(fake_wechat.calls_to(SEND))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert (result.exit_code, result.output) == (0, "提醒未配置，跳过\n")
    assert len(fake_wechat.calls_to(SEND)) == before
