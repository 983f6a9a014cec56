"""A volunteer scans in at the post, scans out at the end, and sees the minutes credited."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.checkin import posts as post_service
from server.clock import utcnow
from server.db import db
from server.models import Shift
from tests import factories
from tests.factories import at_post

START = "/api/mp/v1/shifts"


def end_url(shift_id):
    return f"/api/mp/v1/shifts/{shift_id}/end"


@pytest.fixture
def volunteer(county):
    return factories.volunteer(county.unit_a, name="张伟")


@pytest.fixture
def h(volunteer):
    return factories.headers(volunteer)


def move_start_back(shift_id, minutes, seconds=0):
    """Pretend the shift started earlier (the server's clock decides, so we move the record)."""
    shift = db.session.get(Shift, shift_id)
    shift.started_at = shift.started_at - timedelta(minutes=minutes, seconds=seconds)
    db.session.commit()


def test_full_shift_from_scan_to_credited_minutes(client, county, h):
    res = client.post(START, headers=h, json=at_post(county.post_east, client_request_id="r1"))
    assert res.status_code == 201
    shift = res.get_json()
    assert shift["status"] == "open" and shift["post"]["name"] == "人民路与解放路交叉口"
    assert shift["started_at"].endswith("+08:00")
    me = client.get("/api/mp/v1/me", headers=h).get_json()
    assert me["open_shift"]["id"] == shift["id"]

    move_start_back(shift["id"], 62, 30)
    res = client.post(end_url(shift["id"]), headers=h, json=at_post(county.post_east, persuasions=23,
                                                                   note="早高峰"))
    assert res.status_code == 200
    done = res.get_json()
    assert done["status"] == "closed" and done["credited_minutes"] == 62 and done["hours"] == 1.03
    assert done["persuasions"] == 23 and done["flags"] == [] and done["review"]["state"] == "none"
    hours = client.get("/api/mp/v1/me/hours", headers=h).get_json()
    assert hours["credited_minutes"] == 62 and hours["shift_count"] == 1
    assert client.get("/api/mp/v1/me", headers=h).get_json()["open_shift"] is None


@pytest.mark.parametrize("qr, status, code", [
    ("", 400, "INVALID_QR"),
    ("   ", 400, "INVALID_QR"),
    ("你好世界", 400, "INVALID_QR"),
    ("https://redvest.example.gov.cn/q/1.1.AAAAAAAAAAAA", 400, "INVALID_QR"),
    ("https://weixin.qq.com/r/abcdef", 400, "INVALID_QR"),
    ("1.1." + "A" * 5000, 400, "INVALID_QR"),
])
def test_garbage_and_forged_codes_are_refused(client, county, h, qr, status, code):
    res = client.post(START, headers=h, json=at_post(county.post_east, qr=qr))
    assert res.status_code == status and res.get_json()["error"]["code"] == code
    assert db.session.execute(sa.select(sa.func.count(Shift.id))).scalar_one() == 0


def test_altered_code_for_another_post_is_refused(client, county, h):
    genuine = factories.qr_text(county.post_east)
    altered = genuine.replace(f"/q/{county.post_east.id}.", f"/q/{county.post_west.id}.")
    res = client.post(START, headers=h, json=at_post(county.post_west, qr=altered))
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "INVALID_QR"


def test_qr_field_missing_or_not_text_is_a_validation_error(client, county, h):
    for qr in (None, 123):
        body = at_post(county.post_east, qr=qr)
        res = client.post(START, headers=h, json=body)
        assert res.status_code == 422 and res.get_json()["error"]["field"] == "qr"


def test_old_poster_is_refused_after_rotation_and_new_one_works(client, county, h):
    old = factories.qr_text(county.post_east)
    post_service.rotate_qr(county.post_east, actor_id=None, now=utcnow())
    res = client.post(START, headers=h, json=at_post(county.post_east, qr=old))
    assert res.status_code == 410
    assert res.get_json()["error"]["code"] == "QR_REVOKED" and "新海报" in res.get_json()["error"]["message"]
    res = client.post(START, headers=h, json=at_post(county.post_east))
    assert res.status_code == 201


def test_inactive_post_cannot_be_started(client, county, h):
    county.post_east.active = False
    db.session.commit()
    res = client.post(START, headers=h, json=at_post(county.post_east))
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "POST_INACTIVE"


def scan_in_and_out(client, h, post):
    shift = client.post(START, headers=h, json=at_post(post)).get_json()
    assert client.post(end_url(shift["id"]), headers=h, json=at_post(post)).status_code == 200


def test_a_post_changed_since_the_last_scan_is_checked_as_it_is_now(client, county, h):
    """The server remembers the posts it has seen; a change made anywhere (another server process,
    the console) must count from the next scan on."""
    post = county.post_east
    scan_in_and_out(client, h, post)
    where_it_was = at_post(post)
    post.latitude += 0.01  # moved about 1.1 km north
    db.session.commit()
    res = client.post(START, headers=h, json=where_it_was)
    assert res.status_code == 422 and res.get_json()["error"]["code"] == "OUTSIDE_GEOFENCE"
    res = client.post(START, headers=h, json=at_post(post))
    assert res.status_code == 201 and res.get_json()["start_location"]["distance_m"] < 15
    assert client.post(end_url(res.get_json()["id"]), headers=h, json=at_post(post)).status_code == 200
    post.name = "人民路口（新）"
    db.session.commit()
    res = client.post(START, headers=h, json=at_post(post))
    assert res.status_code == 201 and res.get_json()["post"]["name"] == "人民路口（新）"
    assert client.post(end_url(res.get_json()["id"]), headers=h, json=at_post(post)).status_code == 200
    post.active = False
    db.session.commit()
    res = client.post(START, headers=h, json=at_post(post))
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "POST_INACTIVE"


def test_a_shift_counts_for_the_unit_the_volunteer_is_in_when_scanning_in(client, county, volunteer, h):
    scan_in_and_out(client, h, county.post_east)
    volunteer.unit_id = county.unit_b.id
    db.session.commit()
    res = client.post(START, headers=h, json=at_post(county.post_east))
    assert res.status_code == 201
    assert db.session.get(Shift, res.get_json()["id"]).unit_id == county.unit_b.id


def test_scan_from_far_away_is_refused_with_the_distance(client, county, h):
    body = at_post(county.post_east, latitude=county.post_east.latitude + 0.003, accuracy=10)  # ~333 m
    res = client.post(START, headers=h, json=body)
    assert res.status_code == 422
    error = res.get_json()["error"]
    assert error["code"] == "OUTSIDE_GEOFENCE" and 320 < error["distance_m"] < 345


def test_scan_just_inside_the_radius_is_accepted(client, county, h):
    body = at_post(county.post_east, latitude=county.post_east.latitude + 0.0008, accuracy=0)  # ~89 m
    assert client.post(START, headers=h, json=body).status_code == 201


def test_wgs84_location_is_converted_before_the_geofence(client, county, h):
    from server.checkin import geo
    post = county.post_east
    # The WGS-84 point whose GCJ-02 image is the post: what a phone without type:'gcj02' reports.
    wgs_lat, wgs_lng = post.latitude, post.longitude
    for _ in range(5):  # invert the transform by fixed-point iteration
        g_lat, g_lng = geo.wgs84_to_gcj02(wgs_lat, wgs_lng)
        wgs_lat, wgs_lng = wgs_lat - (g_lat - post.latitude), wgs_lng - (g_lng - post.longitude)
    raw = at_post(post, latitude=wgs_lat, longitude=wgs_lng, accuracy=0)
    assert client.post(START, headers=h, json=raw).status_code == 422  # read as GCJ-02: ~500 m off
    res = client.post(START, headers=h, json={**raw, "coordinate_system": "wgs84"})
    assert res.status_code == 201
    assert res.get_json()["start_location"]["distance_m"] < 1


@pytest.mark.parametrize("change, field", [
    ({"latitude": 91}, "latitude"), ({"latitude": "29.1"}, "latitude"), ({"longitude": None}, "longitude"),
    ({"accuracy": "15m"}, "accuracy"), ({"coordinate_system": "bd09"}, "coordinate_system"),
    ({"client_request_id": "x" * 65}, "client_request_id"), ({"latitude": True}, "latitude"),
])
def test_bad_location_fields_are_named(client, county, h, change, field):
    res = client.post(START, headers=h, json=at_post(county.post_east, **change))
    assert res.status_code == 422 and res.get_json()["error"]["field"] == field


def test_volunteer_already_on_duty_gets_the_open_shift_named(client, county, h):
    first = client.post(START, headers=h, json=at_post(county.post_east)).get_json()
    res = client.post(START, headers=h, json=at_post(county.post_east2))
    assert res.status_code == 409
    error = res.get_json()["error"]
    assert error["code"] == "SHIFT_ALREADY_OPEN" and error["open_shift_id"] == first["id"]


def test_retry_with_the_same_request_id_returns_the_same_shift(client, county, h):
    first = client.post(START, headers=h, json=at_post(county.post_east, client_request_id="abc-1"))
    retry = client.post(START, headers=h, json=at_post(county.post_east, client_request_id="abc-1"))
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.get_json()["id"] == first.get_json()["id"]
    assert db.session.execute(sa.select(sa.func.count(Shift.id))).scalar_one() == 1


def test_unregistered_and_suspended_volunteers_cannot_start(client, county):
    newcomer = factories.volunteer(None, registered=False)
    res = client.post(START, headers=factories.headers(newcomer), json=at_post(county.post_east))
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "NOT_REGISTERED"
    suspended = factories.volunteer(county.unit_a, status="suspended")
    res = client.post(START, headers=factories.headers(suspended), json=at_post(county.post_east))
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "ACCOUNT_SUSPENDED"


def test_suspended_volunteer_hears_so_before_anything_about_the_code_or_the_distance(client, county):
    suspended = factories.headers(factories.volunteer(county.unit_a, status="suspended"))
    far = {"latitude": county.post_east.latitude + 0.01}
    for body in (at_post(county.post_east, qr="junk"), at_post(county.post_east, **far)):
        res = client.post(START, headers=suspended, json=body)
        assert res.status_code == 403 and res.get_json()["error"]["code"] == "ACCOUNT_SUSPENDED"


def test_volunteer_suspended_during_a_shift_cannot_scan_out(client, county, h, volunteer):
    shift = client.post(START, headers=h, json=at_post(county.post_east)).get_json()
    volunteer.status = "suspended"
    db.session.commit()
    for shift_id in (shift["id"], shift["id"] + 1000):
        res = client.post(end_url(shift_id), headers=h, json=at_post(county.post_east))
        assert res.status_code == 403 and res.get_json()["error"]["code"] == "ACCOUNT_SUSPENDED"
    assert db.session.get(Shift, shift["id"]).status == "open"


def test_token_of_a_user_who_no_longer_exists_cannot_scan(client, county):
    gone = factories.volunteer(county.unit_a)
    headers = factories.headers(gone)
    db.session.delete(gone)
    db.session.commit()
    for url in (START, end_url(1)):
        for body in (at_post(county.post_east), at_post(county.post_east, qr="junk")):
            res = client.post(url, headers=headers, json=body)
            assert res.status_code == 401 and res.get_json()["error"]["code"] == "UNAUTHORIZED"


def test_volunteer_cannot_end_a_shift_with_another_posts_code(client, county, h):
    shift = client.post(START, headers=h, json=at_post(county.post_east)).get_json()
    res = client.post(end_url(shift["id"]), headers=h, json=at_post(county.post_east2))
    assert res.status_code == 422 and res.get_json()["error"]["code"] == "WRONG_POST"
    assert db.session.get(Shift, shift["id"]).status == "open"


def test_end_checks_run_in_order(client, county, h, volunteer):
    shift = client.post(START, headers=h, json=at_post(county.post_east)).get_json()
    far = {"latitude": county.post_east.latitude + 0.01}
    # Another volunteer's shift is 404 even with a garbage code.
    other = factories.headers(factories.volunteer(county.unit_a))
    assert client.post(end_url(shift["id"]), headers=other, json=at_post(county.post_east, qr="x")).status_code == 404
    # Invalid code before wrong post, wrong post before geofence.
    res = client.post(end_url(shift["id"]), headers=h, json=at_post(county.post_east, qr="junk", **far))
    assert res.get_json()["error"]["code"] == "INVALID_QR"
    res = client.post(end_url(shift["id"]), headers=h, json=at_post(county.post_east2, **far))
    assert res.get_json()["error"]["code"] == "WRONG_POST"
    res = client.post(end_url(shift["id"]), headers=h, json=at_post(county.post_east, **far))
    assert res.status_code == 422 and res.get_json()["error"]["code"] == "OUTSIDE_GEOFENCE"
    # Once closed, ending again is SHIFT_NOT_OPEN even with a bad code.
    assert client.post(end_url(shift["id"]), headers=h, json=at_post(county.post_east)).status_code == 200
    res = client.post(end_url(shift["id"]), headers=h, json=at_post(county.post_east, qr="junk"))
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "SHIFT_NOT_OPEN"


def test_volunteer_who_walked_away_can_end_outside_and_is_flagged(client, county, h):
    shift = client.post(START, headers=h, json=at_post(county.post_east)).get_json()
    move_start_back(shift["id"], 30)
    body = at_post(county.post_east, latitude=county.post_east.latitude + 0.01, allow_outside=True)
    res = client.post(end_url(shift["id"]), headers=h, json=body)
    assert res.status_code == 200
    assert "outside_geofence_end" in res.get_json()["flags"] and res.get_json()["review"]["state"] == "pending"


def test_volunteer_cannot_read_another_volunteers_shift(client, county, h):
    shift = client.post(START, headers=h, json=at_post(county.post_east)).get_json()
    other = factories.headers(factories.volunteer(county.unit_b))
    res = client.get(f"/api/mp/v1/shifts/{shift['id']}", headers=other)
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "NOT_FOUND"
    assert client.get(f"/api/mp/v1/shifts/{shift['id']}", headers=h).status_code == 200
    assert client.get("/api/mp/v1/shifts", headers=other).get_json()["items"] == []


def test_shift_list_is_newest_first_and_paginated(client, county, h):
    ids = []
    for _ in range(5):
        shift = client.post(START, headers=h, json=at_post(county.post_east)).get_json()
        move_start_back(shift["id"], 120)
        client.post(end_url(shift["id"]), headers=h, json=at_post(county.post_east))
        for earlier in ids:
            move_start_back(earlier, 200)
        ids.append(shift["id"])
    seen, cursor = [], None
    while True:
        url = "/api/mp/v1/shifts?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=h).get_json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids))
    assert client.get("/api/mp/v1/shifts?cursor=@@@", headers=h).status_code == 422


def test_nearby_posts_are_sorted_by_distance(client, county, h):
    lat = county.post_west.latitude
    items = client.get(f"/api/mp/v1/posts/nearby?latitude={lat}&longitude={county.post_west.longitude}",
                       headers=h).get_json()["items"]
    assert [i["id"] for i in items][:3] == [county.post_west.id, county.post_east.id, county.post_east2.id]
    assert items[0]["distance_m"] <= 80  # measured to the rounded (~100 m) point the mini-program is shown
    assert client.get("/api/mp/v1/posts/nearby?latitude=abc&longitude=1", headers=h).status_code == 422


def test_unknown_api_paths_and_methods_answer_json(client, h):
    res = client.get("/api/mp/v1/nothing-here", headers=h)
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "NOT_FOUND"
    res = client.delete("/api/mp/v1/shifts", headers=h)
    assert res.status_code == 405 and res.get_json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_qr_link_opened_in_a_browser_explains_itself(client, county):
    url = factories.qr_text(county.post_east)
    page = client.get(url[url.index("/q/"):])
    assert page.status_code == 200 and "人民路与解放路交叉口" in page.get_data(as_text=True)
    assert "微信" in page.get_data(as_text=True)
    assert client.get("/q/1.1.AAAAAAAAAAAA").status_code == 404
