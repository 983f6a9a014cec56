"""Finding 9: consent at registration and again when the notice changes, a volunteer's data export
and erasure end to end, retention, the admins' log of personal-data actions, and security headers."""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from server import create_app
from server.config import ConfigError
from server.clock import utcnow
from server.db import db
from server.models import Certificate, Photo, PrivacyConsent, Shift, User
from tests import factories
from tests.photo_helpers import end_shift, scene_jpeg, start_shift, stored_keys, upload
from tests.report_data import add_shift

MP = "/api/mp/v1"
C = "/api/console/v1"


@pytest.fixture
def newcomer(client):
    token = client.post(f"{MP}/auth/login", json={"code": "dev:newcomer"}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_registration_records_consent_to_the_current_notice(app, client, county, newcomer):
    notice = client.get(f"{MP}/privacy").get_json()
    assert notice["version"] == app.config["PRIVACY_VERSION"] and notice["url"].endswith("/privacy")
    page = client.get("/privacy")
    assert page.status_code == 200 and notice["version"] in page.get_data(as_text=True)
    body = {"name": "张伟", "phone": "13812345678", "unit_id": county.unit_a.id}
    for version in (None, "2020-01-01"):
        res = client.post(f"{MP}/me/registration", headers=newcomer, json={**body, "privacy_version": version})
        assert res.status_code == 422 and res.get_json()["error"]["code"] == "CONSENT_REQUIRED"
    res = client.post(f"{MP}/me/registration", headers=newcomer, json={**body, "privacy_version": notice["version"]})
    assert res.status_code == 201
    [consent] = db.session.query(PrivacyConsent).all()
    assert consent.version == notice["version"] and consent.at is not None


def test_a_new_notice_stops_scans_until_the_volunteer_agrees_again(app, client, county):
    volunteer = factories.volunteer(county.unit_a)
    headers = factories.headers(volunteer)
    app.config["PRIVACY_VERSION"] = "2027-01-01"
    assert client.get(f"{MP}/me", headers=headers).get_json()["privacy"]["consent_needed"] is True
    res = client.post(f"{MP}/shifts", headers=headers, json=factories.at_post(county.post_east))
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "CONSENT_REQUIRED"
    assert client.post(f"{MP}/me/consent", headers=headers, json={"privacy_version": "2027-01-01"}).status_code == 200
    assert client.get(f"{MP}/me", headers=headers).get_json()["privacy"]["consent_needed"] is False
    assert client.post(f"{MP}/shifts", headers=headers, json=factories.at_post(county.post_east)).status_code == 201


def _unit_totals(client, leader) -> dict:
    rows = client.get(f"{C}/reports/hours", headers=leader,
                      query_string={"group_by": "unit", "from": "2026-11-01",
                                    "to": utcnow().date().isoformat()}).get_json()["rows"]
    return {row["key"]: (row["credited_minutes"], row["shift_count"]) for row in rows}


def test_a_volunteer_exports_then_erases_their_data(app, client, county):
    volunteer = factories.volunteer(county.unit_a, name="钱多多")
    phone, openid, headers = volunteer.phone, volunteer.openid, factories.headers(volunteer)
    add_shift(volunteer, county.post_east, datetime(2026, 11, 9, 8, 0), 90)
    shift_id = start_shift(client, volunteer, county.post_east)
    assert upload(client, volunteer, shift_id, scene_jpeg(7)).status_code == 201
    assert end_shift(client, volunteer, county.post_east, shift_id).status_code == 200
    leader = factories.headers(factories.console_user("leader"))
    admin = factories.headers(factories.console_user("admin"))
    before = _unit_totals(client, leader)

    data = client.get(f"{MP}/me/data", headers=headers).get_json()
    assert data["profile"]["phone"] == phone and data["profile"]["name"] == "钱多多"
    assert len(data["shifts"]) == 2 and len(data["photos"]) == 1
    assert client.get(data["photos"][0]["url"]).status_code == 200  # the link opens the photo
    assert data["consents"] == [] or all("version" in c for c in data["consents"])
    assert len(stored_keys(app)) == 2  # photo and thumbnail

    assert client.delete(f"{MP}/me", headers=headers).status_code == 204
    assert client.get(f"{MP}/me", headers=headers).status_code == 401
    assert _unit_totals(client, leader) == before, "the unit's hours stay"
    db.session.expire_all()
    for column, value in ((User.phone, phone), (User.name, "钱多多"), (User.openid, openid)):
        assert db.session.query(User).filter(column == value).count() == 0
    assert db.session.query(Certificate).filter(Certificate.volunteer_name == "钱多多").count() == 0
    assert db.session.query(Photo).count() == 0 and stored_keys(app) == set()
    assert all(s.start_lat is None and s.note is None and s.start_point is None and s.end_point is None
               for s in db.session.query(Shift))
    found = client.get(f"{C}/volunteers", headers=admin, query_string={"q": phone}).get_json()["items"]
    assert found == []
    # the same WeChat account logging in again starts afresh, with nothing of the old account
    res = client.post(f"{MP}/auth/login", json={"code": f"dev:{openid}"}).get_json()
    assert res["registered"] is False


def test_a_volunteer_on_duty_is_asked_to_scan_out_before_erasing_and_loses_nothing(client, county):
    volunteer = factories.volunteer(county.unit_a, name="孙在岗")
    headers = factories.headers(volunteer)
    shift_id = start_shift(client, volunteer, county.post_east)

    res = client.delete(f"{MP}/me", headers=headers)

    assert res.status_code == 409 and res.get_json()["error"]["code"] == "SHIFT_STILL_OPEN"
    assert client.get(f"{MP}/me", headers=headers).get_json()["user"]["name"] == "孙在岗"
    assert end_shift(client, volunteer, county.post_east, shift_id).status_code == 200
    assert client.delete(f"{MP}/me", headers=headers).status_code == 204


def test_retention_deletes_old_photos_but_not_under_review_and_rounds_old_locations(app, client, county):
    volunteer = factories.volunteer(county.unit_a)
    kept_id = start_shift(client, volunteer, county.post_east)
    assert upload(client, volunteer, kept_id, scene_jpeg(1)).status_code == 201
    end_shift(client, volunteer, county.post_east, kept_id)
    old_id = start_shift(client, volunteer, county.post_east)
    assert upload(client, volunteer, old_id, scene_jpeg(2)).status_code == 201
    end_shift(client, volunteer, county.post_east, old_id)
    long_ago = utcnow() - timedelta(days=400)
    db.session.execute(sa.update(Photo).values(created_at=long_ago))
    db.session.execute(sa.update(Shift).values(started_at=long_ago, start_lat=29.248123456))
    db.session.execute(sa.update(Shift).values(review_state="none"))
    db.session.execute(sa.update(Shift).where(Shift.id == kept_id).values(review_state="pending"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["privacy", "retention", "--json"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert [p.shift_id for p in db.session.query(Photo)] == [kept_id]
    assert {s.start_lat for s in db.session.query(Shift)} == {29.248}
    # nor is the exact place kept in the point keys the location signals compare
    assert {(s.start_point, s.end_point) for s in db.session.query(Shift)} == {(None, None)}


def test_admins_see_a_log_of_exports_and_searches_by_number(client, county):
    admin_user = factories.console_user("admin")
    admin = factories.headers(admin_user)
    volunteer = factories.volunteer(county.unit_a)
    client.get(f"{C}/reports/hours", headers=admin, query_string={"group_by": "volunteer", "format": "xlsx"})
    client.get(f"{C}/volunteers", headers=admin, query_string={"q": volunteer.phone[-4:]})
    log = client.get(f"{C}/personal-data-log", headers=admin).get_json()["items"]
    actions = [entry["action"] for entry in log]
    assert "export" in actions and "search_by_number" in actions
    assert all(entry["actor_id"] == admin_user.id for entry in log)
    coordinator = factories.headers(factories.console_user("coordinator", unit_=county.unit_a))
    assert client.get(f"{C}/personal-data-log", headers=coordinator).status_code == 403


def test_console_pages_send_a_strict_policy_and_no_inline_script(client, county):
    from tests.test_console_pages import sign_in
    factories.console_user("admin", username="headers")
    sign_in(client, "headers")
    for url in ("/console/login", "/console/", "/console/posts"):
        res = client.get(url)
        policy = res.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert res.headers["Referrer-Policy"] and res.headers["X-Frame-Options"] == "DENY"
        html = res.get_data(as_text=True)
        assert "<script>" not in html and " onsubmit=" not in html and " onclick=" not in html
        assert "Strict-Transport-Security" not in res.headers  # plain http in development


def test_production_sends_hsts_and_refuses_a_short_secret_key(make_app):
    with pytest.raises(ConfigError):
        create_app({"REDVEST_ENV": "production", "SECRET_KEY": "x" * 31, "DATABASE_URL": "sqlite://"})
    app = make_app(REDVEST_ENV="production", SECRET_KEY="y" * 32)
    assert "max-age" in app.test_client().get("/console/login").headers["Strict-Transport-Security"]
