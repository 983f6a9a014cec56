"""督查暗访: a leader asks whoever is on duty at a post for a live photo, and sees who answered."""
import io
from datetime import timedelta

import pytest

from server import callers
from server.duty import spot_checks
from server.clock import utcnow
from server.db import db
from server.models import AuditLog, Photo, Shift
from tests import factories
from tests.photo_helpers import local_exif_time, make_scene, with_exif
from tests.roster_data import TZ, shift

CONSOLE = "/api/console/v1"
MP = "/api/mp/v1"


def minutes_ago(minutes: int) -> str:
    return (utcnow() - timedelta(minutes=minutes)).astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture
def duty(county):
    class Duty:
        leader = factories.console_user("leader")
        alice = factories.volunteer(county.unit_a, name="王小丽")
        bob = factories.volunteer(county.unit_a, name="李大军")
        carol = factories.volunteer(county.unit_b, name="陈芳")
    Duty.alice_shift = shift(Duty.alice, county.post_east, minutes_ago(30), None).id
    Duty.bob_shift = shift(Duty.bob, county.post_east, minutes_ago(50), None).id
    Duty.carol_shift = shift(Duty.carol, county.post_west, minutes_ago(20), None).id
    return Duty


def live_photo(seed: int) -> bytes:
    """A camera photo taken just now (its EXIF says so), as the answer page takes one."""
    return with_exif(make_scene((800, 600), seed=seed), taken=local_exif_time(utcnow()), offset=None)


def answer(client, user, task_id, post, *, data=None, dlat=0.0):
    form = {"file": (io.BytesIO(data or live_photo(task_id)), "tmp_wx.jpg"),
            "latitude": str(post.latitude + dlat), "longitude": str(post.longitude), "accuracy": "15"}
    return client.post(f"{MP}/me/spot-checks/{task_id}/answer", data=form, headers=factories.headers(user),
                       content_type="multipart/form-data")


def my_tasks(client, user):
    res = client.get(f"{MP}/me/spot-checks", headers=factories.headers(user))
    assert res.status_code == 200
    return res.json["items"]


def test_volunteers_on_duty_are_asked_and_the_leader_sees_who_answered(client, county, duty):
    res = client.post(f"{CONSOLE}/spot-checks", json={"post_id": county.post_east.id, "note": "早高峰抽查"},
                      headers=factories.headers(duty.leader))
    assert res.status_code == 201, res.json
    check = res.json
    assert sorted(t["volunteer"]["name"] for t in check["tasks"]) == ["李大军", "王小丽"]
    assert check["counts"]["pending"] == 2
    assert my_tasks(client, duty.carol) == []  # on duty, but at another post

    [task] = my_tasks(client, duty.alice)
    assert (task["state"], task["post"]["id"], task["note"]) == ("pending", county.post_east.id, "早高峰抽查")
    answered = answer(client, duty.alice, task["id"], county.post_east)
    assert answered.status_code == 200, answered.json
    assert (answered.json["state"], answered.json["inside_geofence"]) == ("answered", True)

    seen = client.get(f"{CONSOLE}/spot-checks/{check['id']}", headers=factories.headers(duty.leader)).json
    states = {t["volunteer"]["name"]: t for t in seen["tasks"]}
    assert (states["王小丽"]["state"], states["李大军"]["state"]) == ("answered", "pending")
    assert states["王小丽"]["photo"]["thumbnail_url"] and states["王小丽"]["location"]["distance_m"] < 1
    # The answer joins Alice's shift: its photo is one of the shift's photos, and the shift is marked.
    db.session.expire_all()
    assert db.session.get(Shift, duty.alice_shift).flags == ["spot_check_answered"]
    assert [p.shift_id for p in db.session.query(Photo).all()] == [duty.alice_shift]

    # An hour after the deadline Bob's silence is final, and recorded on his shift.
    later = utcnow() + timedelta(minutes=75)
    result = spot_checks.get(callers.load(duty.leader.id), check["id"], later)
    assert {t["name"]: t["state"] for t in result["tasks"]} == {"王小丽": "answered", "李大军": "unanswered"}
    db.session.expire_all()
    assert db.session.get(Shift, duty.bob_shift).flags == ["spot_check_unanswered"]


def test_an_answer_after_the_deadline_counts_as_late(client, county, duty):
    started = utcnow() - timedelta(minutes=15)
    check = spot_checks.start(callers.load(duty.leader.id), post_id=county.post_west.id, district_id=None,
                              minutes=10, note=None, now=started)
    [task] = my_tasks(client, duty.carol)
    assert task["state"] == "unanswered"  # past the deadline, not yet answered
    res = answer(client, duty.carol, task["id"], county.post_west, dlat=0.01)  # about 1.1 km away
    assert res.status_code == 200
    assert (res.json["state"], res.json["inside_geofence"]) == ("late", False)
    seen = client.get(f"{CONSOLE}/spot-checks/{check.id}", headers=factories.headers(duty.leader)).json
    assert seen["counts"] == {"answered": 0, "late": 1, "unanswered": 0, "pending": 0}
    db.session.expire_all()
    assert "spot_check_late" in db.session.get(Shift, duty.carol_shift).flags


def test_a_check_of_a_whole_district_names_the_posts_where_nobody_was_on_duty(client, county, duty):
    res = client.post(f"{CONSOLE}/spot-checks", json={"district_id": county.east.id, "minutes": 5},
                      headers=factories.headers(duty.leader))
    assert res.status_code == 201
    assert {t["post"]["id"] for t in res.json["tasks"]} == {county.post_east.id}
    assert [p["id"] for p in res.json["posts_without_anyone"]] == [county.post_east2.id]
    due = res.json["due_at"]
    assert due > res.json["created_at"]


def test_a_closed_shifts_unanswered_check_leaves_an_audit_row(client, county, duty):
    spot_checks.start(callers.load(duty.leader.id), post_id=county.post_west.id, district_id=None,
                      minutes=10, note=None, now=utcnow())
    closed = db.session.get(Shift, duty.carol_shift)
    closed.status, closed.ended_at = "closed", utcnow()
    db.session.commit()
    spot_checks.settle(utcnow() + timedelta(hours=2))
    rows = db.session.query(AuditLog).filter_by(entity_type="shift", entity_id=duty.carol_shift).all()
    assert [(r.action, r.reason) for r in rows] == [("spot_check", "督查抽查未回复")]


def test_only_leaders_run_spot_checks_and_only_the_asked_volunteer_answers(client, county, duty):
    coordinator = factories.console_user("coordinator", district_=county.east)
    refused = client.post(f"{CONSOLE}/spot-checks", json={"post_id": county.post_east.id},
                          headers=factories.headers(coordinator))
    assert refused.status_code == 403
    check = client.post(f"{CONSOLE}/spot-checks", json={"post_id": county.post_east.id},
                        headers=factories.headers(duty.leader)).json
    alice_task = next(t for t in check["tasks"] if t["volunteer"]["name"] == "王小丽")
    assert answer(client, duty.bob, alice_task["id"], county.post_east).status_code == 404
    not_a_photo = answer(client, duty.alice, alice_task["id"], county.post_east, data=b"%PDF-1.4 not a photo")
    assert not_a_photo.status_code in (415, 422)
    assert my_tasks(client, duty.alice)[0]["state"] == "pending"
