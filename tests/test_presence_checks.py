"""Presence checks: the server picks shifts at random and, some time into them, asks the
volunteer for a live photo and the current location, like a leader's spot check."""
import io
import json
from datetime import datetime, timedelta, timezone

import pytest

from server.checkin import post_rules
from server.clock import utcnow
from server.db import db
from server.duty import spot_checks
from server.models import Shift, SpotCheck
from tests import factories
from tests.factories import at_post
from tests.fake_wechat import APPID, SECRET
from tests.photo_helpers import local_exif_time, make_scene, with_exif

MP = "/api/mp/v1"
TEMPLATE = "tmpl-duty-reminder"


@pytest.fixture
def app(make_app):
    """Every shift is picked (PRESENCE_CHECK_RATE=1), WeChat can deliver subscription messages."""
    app = make_app(PRESENCE_CHECK_RATE=1.0, SPOT_CHECK_ANSWER_MINUTES=10, WECHAT_APPID=APPID,
                   WECHAT_SECRET=SECRET, WECHAT_SPOT_CHECK_TEMPLATE_ID=TEMPLATE)
    with app.app_context():
        yield app


@pytest.fixture
def volunteer(county):
    return factories.volunteer(county.unit_a, name="赵勤")


def scan_in(client, volunteer, post) -> int:
    res = client.post(f"{MP}/shifts", headers=factories.headers(volunteer), json=at_post(post))
    assert res.status_code == 201, res.get_json()
    return res.get_json()["id"]


def make_due(shift_id: int) -> None:
    """Time passes: the drawn moment of the check has come."""
    shift = db.session.get(Shift, shift_id)
    shift.started_at -= timedelta(minutes=30)
    shift.presence_check_at = utcnow() - timedelta(seconds=5)
    db.session.commit()


def pending(client, volunteer) -> list[dict]:
    res = client.get(f"{MP}/me", headers=factories.headers(volunteer))
    assert res.status_code == 200
    return res.get_json()["spot_checks_pending"]


def answer(client, volunteer, task_id, post, photo: bytes):
    form = {"file": (io.BytesIO(photo), "tmp_wx.jpg"), "latitude": str(post.latitude + 0.0001),
            "longitude": str(post.longitude), "accuracy": "15"}
    return client.post(f"{MP}/me/spot-checks/{task_id}/answer", data=form, headers=factories.headers(volunteer),
                       content_type="multipart/form-data")


def photo_taken_at(instant: datetime, seed: int = 1) -> bytes:
    return with_exif(make_scene((800, 600), seed=seed), taken=local_exif_time(instant), offset=None)


def flags_of(shift_id: int) -> tuple[list[str], str]:
    db.session.expire_all()
    shift = db.session.get(Shift, shift_id)
    return shift.flags, shift.review_state


def test_a_share_of_shifts_is_picked_at_a_random_minute_between_ten_minutes_in_and_the_cap():
    now = datetime(2026, 5, 4, 1, 0, tzinfo=timezone.utc)
    draws = [post_rules.presence_check_at(now, 0.2, 240) for _ in range(4000)]
    picked = [at for at in draws if at is not None]
    assert 0.17 < len(picked) / len(draws) < 0.23
    assert all(now + timedelta(minutes=10) <= at <= now + timedelta(minutes=240) for at in picked)
    assert max(picked) - min(picked) > timedelta(minutes=200)  # spread over the whole range
    assert post_rules.presence_check_at(now, 0.0, 240) is None


def test_a_picked_shift_is_asked_once_its_minute_comes_and_the_volunteer_sees_it(client, county, volunteer):
    shift_id = scan_in(client, volunteer, county.post_east)
    drawn = db.session.get(Shift, shift_id).presence_check_at
    assert drawn is not None and drawn >= utcnow() + timedelta(minutes=9)
    assert pending(client, volunteer) == []  # not yet

    make_due(shift_id)
    [task] = pending(client, volunteer)
    assert task["shift_id"] == shift_id and task["post"]["id"] == county.post_east.id
    assert len(pending(client, volunteer)) == 1  # raised once, however often the app asks
    check = db.session.query(SpotCheck).one()
    assert check.shift_id == shift_id and check.created_by_id is None


def test_cron_raises_due_checks_once_and_messages_volunteers_who_accepted(app, client, county, volunteer,
                                                                         fake_wechat):
    client.post(f"{MP}/me/reminder-consent", headers=factories.headers(volunteer))
    make_due(scan_in(client, volunteer, county.post_east))

    def run():
        result = app.test_cli_runner().invoke(args=["presence-checks", "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    assert run() == {"raised": 1, "sent": 1, "failed": 0}
    assert run() == {"raised": 0, "sent": 0, "failed": 0}
    [message] = fake_wechat.subscribe_messages_to(volunteer.openid)
    assert message["data"]["thing1"]["value"] == county.post_east.name


def test_answering_with_a_photo_taken_just_now_clears_the_shift(client, county, volunteer):
    shift_id = scan_in(client, volunteer, county.post_east)
    make_due(shift_id)
    [task] = pending(client, volunteer)

    res = answer(client, volunteer, task["id"], county.post_east, photo_taken_at(utcnow()))

    assert res.status_code == 200 and res.get_json()["state"] == "answered"
    assert flags_of(shift_id) == (["spot_check_answered"], "none")
    assert pending(client, volunteer) == []


@pytest.mark.parametrize("photo", ["an hour old", "no capture time"])
def test_answering_with_an_old_photo_or_one_without_a_capture_time_is_not_live(client, county, volunteer,
                                                                               photo):
    shift_id = scan_in(client, volunteer, county.post_east)
    make_due(shift_id)
    [task] = pending(client, volunteer)
    data = (photo_taken_at(utcnow() - timedelta(hours=1)) if photo == "an hour old"
            else with_exif(make_scene((800, 600), seed=2), taken=None, offset=None))

    assert answer(client, volunteer, task["id"], county.post_east, data).status_code == 200

    flags, review = flags_of(shift_id)
    assert "spot_check_photo_not_live" in flags and review == "pending"


def test_an_unanswered_presence_check_flags_the_shift(client, county, volunteer):
    shift_id = scan_in(client, volunteer, county.post_east)
    make_due(shift_id)
    assert len(pending(client, volunteer)) == 1

    spot_checks.settle(utcnow() + timedelta(minutes=10) + spot_checks.LATE_WINDOW + timedelta(minutes=1))

    assert flags_of(shift_id) == (["spot_check_unanswered"], "pending")


def test_a_shift_ended_before_its_minute_is_never_asked(client, county, volunteer):
    shift_id = scan_in(client, volunteer, county.post_east)
    shift = db.session.get(Shift, shift_id)
    shift.started_at -= timedelta(minutes=30)
    db.session.commit()
    client.post(f"{MP}/shifts/{shift_id}/end", headers=factories.headers(volunteer), json=at_post(county.post_east))
    make_due(shift_id)
    assert pending(client, volunteer) == []
