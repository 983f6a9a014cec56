"""A scan the phone kept while it had no network arrives later with the phone's time of the scan."""
from datetime import timedelta

import pytest

from server.clock import local_iso, utcnow
from tests import factories
from tests.factories import at_post

START = "/api/mp/v1/shifts"


def end_url(shift_id):
    return f"/api/mp/v1/shifts/{shift_id}/end"


@pytest.fixture
def h(county):
    return factories.headers(factories.volunteer(county.unit_a, name="李娟"))


def test_a_scan_kept_offline_starts_the_shift_when_it_was_made_and_is_flagged(client, county, h):
    scanned = utcnow() - timedelta(minutes=20)
    res = client.post(START, headers=h, json=at_post(county.post_east, client_request_id="offline-1",
                                                     scanned_at=local_iso(scanned)))
    assert res.status_code == 201
    shift = res.get_json()
    assert shift["started_at"] == local_iso(scanned)
    assert shift["flags"] == ["offline_sync"] and shift["review"]["state"] == "pending"

    again = client.post(START, headers=h, json=at_post(county.post_east, client_request_id="offline-1",
                                                       scanned_at=local_iso(scanned)))
    assert again.status_code == 200 and again.get_json()["id"] == shift["id"]

    done = client.post(end_url(shift["id"]), headers=h, json=at_post(county.post_east)).get_json()
    assert done["credited_minutes"] == 20
    assert done["flags"] == ["offline_sync"] and done["review"]["state"] == "pending"
    hours = client.get("/api/mp/v1/me/hours", headers=h).get_json()
    assert hours["pending_minutes"] == 20 and hours["credited_minutes"] == 0  # counted once reviewed


def test_an_end_kept_offline_ends_the_shift_at_the_phone_time(client, county, h):
    shift = client.post(START, headers=h, json=at_post(county.post_east)).get_json()
    assert shift["flags"] == [] and shift["review"]["state"] == "none"
    ended = utcnow() + timedelta(seconds=30)  # within the allowed skew of a phone's clock
    done = client.post(end_url(shift["id"]), headers=h,
                       json=at_post(county.post_east, scanned_at=local_iso(ended).replace("+08:00", "+0800")))
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert "offline_sync" in body["flags"] and body["review"]["state"] == "pending"
    assert body["ended_at"] <= local_iso(utcnow())  # never later than the server's now


def test_a_scan_older_than_the_offline_limit_is_refused_and_creates_nothing(client, county, h):
    old = utcnow() - timedelta(minutes=31)
    res = client.post(START, headers=h, json=at_post(county.post_east, scanned_at=local_iso(old)))
    assert res.status_code == 422
    error = res.get_json()["error"]
    assert error["code"] == "SCAN_TOO_OLD" and "30 分钟" in error["message"]
    assert client.get("/api/mp/v1/me", headers=h).get_json()["open_shift"] is None


def test_the_offline_limit_is_a_setting(make_app, county):
    app = make_app(OFFLINE_SCAN_MAX_MINUTES=60)
    with app.app_context():
        h = factories.headers(factories.volunteer(factories.unit(), name="王芳"))
        post = factories.post(factories.district())
        scanned = local_iso(utcnow() - timedelta(minutes=45))
        res = app.test_client().post(START, headers=h, json=at_post(post, scanned_at=scanned))
    assert res.status_code == 201


@pytest.mark.parametrize("scanned_at", ["yesterday", "2026-13-40T08:00:00", 12345])
def test_a_garbled_scan_time_is_a_validation_error(client, county, h, scanned_at):
    res = client.post(START, headers=h, json=at_post(county.post_east, scanned_at=scanned_at))
    assert res.status_code == 422
    assert res.get_json()["error"]["code"] == "VALIDATION_ERROR"
    assert res.get_json()["error"]["field"] == "scanned_at"


def test_a_scan_time_in_the_future_beyond_the_skew_is_refused(client, county, h):
    future = utcnow() + timedelta(minutes=3)
    res = client.post(START, headers=h, json=at_post(county.post_east, scanned_at=local_iso(future)))
    assert res.status_code == 422 and res.get_json()["error"]["code"] == "VALIDATION_ERROR"
    assert client.get("/api/mp/v1/me", headers=h).get_json()["open_shift"] is None
