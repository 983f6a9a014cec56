"""The cheat of issue 19, replayed through the API: a poster photographed for its token, the
post's location taken from the mini-program API, scans sent from home. The shift is still
credited (flags never block a scan) but waits for a coordinator, who sees why."""
from datetime import timedelta

import pytest

from server.db import db
from server.models import Shift
from tests import factories
from tests.factories import at_post, qr_text

START = "/api/mp/v1/shifts"
QUEUE = "/api/console/v1/reviews"


def end_url(shift_id):
    return f"/api/mp/v1/shifts/{shift_id}/end"


@pytest.fixture
def cheat(county):
    return factories.volunteer(county.unit_a, name="李懒")


@pytest.fixture
def h(cheat):
    return factories.headers(cheat)


def pretend_started(shift_id: int, *, minutes_ago: float = 0, days_ago: int = 0) -> None:
    """The server's clock decides, so the record is moved back instead."""
    shift = db.session.get(Shift, shift_id)
    shift.started_at -= timedelta(minutes=minutes_ago, days=days_ago)
    shift.local_date -= timedelta(days=days_ago)
    if shift.ended_at is not None:
        shift.ended_at -= timedelta(minutes=minutes_ago, days=days_ago)
    db.session.commit()


def test_the_mini_program_shows_post_locations_rounded_to_about_100_m(client, county, h):
    post = county.post_east
    post.latitude, post.longitude = 29.248123, 117.861789
    db.session.commit()
    res = client.get("/api/mp/v1/posts/nearby?latitude=29.25&longitude=117.86", headers=h)
    shown = next(p for p in res.get_json()["items"] if p["id"] == post.id)
    assert (shown["latitude"], shown["longitude"]) == (29.248, 117.862)
    assert shown["distance_m"] % 10 == 0


def test_the_console_keeps_exact_post_locations(client, county):
    admin = factories.console_user("admin")
    post = county.post_east
    post.latitude = 29.248123
    db.session.commit()
    res = client.post(f"/api/console/v1/posts/{post.id}/rotate-qr", headers=factories.headers(admin))
    assert res.status_code == 200 and res.get_json()["latitude"] == 29.248123


def test_a_shift_scanned_from_home_with_the_posts_coordinates_waits_for_review_with_reasons(
        client, county, h, cheat):
    post = county.post_east
    token = qr_text(post).rsplit("/q/", 1)[1]  # read off a photo of the poster
    listed = client.get(f"/api/mp/v1/posts/nearby?latitude={post.latitude}&longitude={post.longitude}",
                        headers=h).get_json()["items"][0]
    from_home = {"qr": token, "latitude": listed["latitude"], "longitude": listed["longitude"]}

    started = client.post(START, headers=h, json=from_home)
    assert started.status_code == 201  # never blocked ...
    assert started.get_json()["review"]["state"] == "pending"  # ... but not trusted either
    pretend_started(started.get_json()["id"], minutes_ago=15.5)
    ended = client.post(end_url(started.get_json()["id"]), headers=h, json=from_home)

    assert ended.status_code == 200
    shift = ended.get_json()
    assert shift["credited_minutes"] == 15 and shift["review"]["state"] == "pending"
    assert {"location_at_post_exact", "location_static", "accuracy_implausible"} <= set(shift["flags"])

    coordinator = factories.console_user("coordinator", unit_=county.unit_a)
    queue = client.get(QUEUE, headers=factories.headers(coordinator)).get_json()["items"]
    queued = next(item for item in queue if item["id"] == shift["id"])
    assert "位置与岗位坐标完全一致" in queued["flag_labels"]
    assert "上下岗位置完全不变" in queued["flag_labels"]


def test_the_exact_stored_point_is_caught_as_well_as_the_rounded_one(client, county, h):
    post = county.post_east
    res = client.post(START, headers=h, json={"qr": qr_text(post), "latitude": post.latitude,
                                              "longitude": post.longitude, "accuracy": 12})
    assert res.status_code == 201 and res.get_json()["flags"] == ["location_at_post_exact"]


def test_a_point_replayed_on_another_day_is_caught_even_from_another_volunteer(client, county, h):
    post = county.post_east
    honest = factories.volunteer(county.unit_a, name="王勤")
    recorded = at_post(post)
    first = client.post(START, headers=factories.headers(honest), json=recorded).get_json()
    assert first["flags"] == []
    pretend_started(first["id"], minutes_ago=60, days_ago=1)

    replayed = client.post(START, headers=h, json={**recorded, "accuracy": 9.0})

    assert replayed.status_code == 201 and replayed.get_json()["flags"] == ["location_repeated"]


def test_the_same_point_on_the_same_day_is_not_a_replay(client, county, h):
    post = county.post_east
    other = factories.volunteer(county.unit_a)
    body = at_post(post)
    client.post(START, headers=factories.headers(other), json=body)
    assert client.post(START, headers=h, json=body).get_json()["flags"] == []


def test_scanning_at_a_post_two_km_away_a_minute_after_leaving_another_is_a_jump(client, county, h):
    east, west = county.post_east, county.post_west  # about 2.2 km apart
    shift = client.post(START, headers=h, json=at_post(east)).get_json()
    pretend_started(shift["id"], minutes_ago=40)
    assert client.post(end_url(shift["id"]), headers=h, json=at_post(east)).get_json()["flags"] == []

    moved = client.post(START, headers=h, json=at_post(west))

    assert moved.status_code == 201 and moved.get_json()["flags"] == ["location_jump"]


def test_too_many_persuasions_for_the_length_of_the_shift_are_flagged(client, county, h):
    shift = client.post(START, headers=h, json=at_post(county.post_east)).get_json()
    pretend_started(shift["id"], minutes_ago=30)
    ended = client.post(end_url(shift["id"]), headers=h, json=at_post(county.post_east, persuasions=61))
    assert ended.get_json()["flags"] == ["persuasions_implausible"]


def test_a_negative_accuracy_is_flagged_not_refused(client, county, h):
    res = client.post(START, headers=h, json=at_post(county.post_east, accuracy=-1))
    assert res.status_code == 201 and res.get_json()["flags"] == ["accuracy_implausible"]


@pytest.mark.parametrize("host", ["https://evil.example/x", "https://evil.example", "http://redvest.example.gov.cn",
                                  "https://redvest.example.gov.cn.evil.example"])
def test_a_genuine_token_behind_another_host_is_refused(client, county, h, host):
    token = qr_text(county.post_east).rsplit("/q/", 1)[1]
    res = client.post(START, headers=h, json=at_post(county.post_east, qr=f"{host}/q/{token}"))
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "INVALID_QR"
    assert db.session.query(Shift).count() == 0


@pytest.mark.parametrize("form", ["url", "token", "scene", "upper-case host"])
def test_our_url_the_bare_token_and_the_scene_are_accepted(client, county, h, form):
    url = qr_text(county.post_east)
    token = url.rsplit("/q/", 1)[1]
    scanned = {"url": url, "token": token, "scene": f"scene={token}",
               "upper-case host": url.replace("redvest.example", "RedVest.Example")}[form]
    assert client.post(START, headers=h, json=at_post(county.post_east, qr=scanned)).status_code == 201
