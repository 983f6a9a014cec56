"""Findings 2, 3 and 4: one token per door, no dev login in production, and credentials that can be
ended (password reset, disabling, suspending, logging out, idle and absolute session limits)."""
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.clock import utcnow
from server.db import db
from server.models import User
from tests import factories
from tests.factories import PASSWORD
from tests.report_data import add_shift
from tests.test_console_pages import sign_in

TZ = ZoneInfo("Asia/Shanghai")
ME = "/api/console/v1/me"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def console_login(client, username: str, password: str = PASSWORD) -> dict:
    res = client.post("/api/console/v1/auth/login", json={"username": username, "password": password})
    assert res.status_code == 200, res.get_json()
    return bearer(res.get_json()["token"])


# --- finding 2: one token per door -------------------------------------------------------------

def test_a_coordinators_console_token_cannot_register_them_as_a_volunteer(client, county):
    factories.console_user("coordinator", unit_=county.unit_a, username="coord")
    headers = console_login(client, "coord")
    res = client.post("/api/mp/v1/me/registration", headers=headers,
                      json={"name": "协调员", "phone": "13900000001", "unit_id": county.unit_a.id})
    assert res.status_code == 401
    assert db.session.query(User).filter_by(username="coord").one().registered_at is None


def test_a_console_account_with_a_wechat_openid_cannot_use_the_mini_program(client, county):
    coordinator = factories.console_user("coordinator", unit_=county.unit_a)
    coordinator.openid = "legacy-openid"
    db.session.commit()
    res = client.post("/api/mp/v1/auth/login", json={"code": "dev:legacy-openid"})
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "CONSOLE_ACCOUNT"
    # and a mini-program token minted for them before this change is refused too
    res = client.get("/api/mp/v1/me", headers=factories.headers(coordinator, kind="mp"))
    assert res.status_code == 403


def _yesterday_at(hour: int) -> datetime:
    day = utcnow().astimezone(TZ).date() - timedelta(days=1)
    return datetime.combine(day, datetime.min.time()).replace(hour=hour, tzinfo=TZ)


def test_nobody_adds_a_manual_shift_for_themselves(client, county):
    admin = factories.console_user("admin")
    start = _yesterday_at(14)
    res = client.post("/api/console/v1/shifts", headers=factories.headers(admin),
                      json={"volunteer_id": admin.id, "post_id": county.post_east.id,
                            "started_at": start.isoformat(), "ended_at": (start + timedelta(hours=4)).isoformat(),
                            "reason": "自己补录"})
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "OWN_SHIFT"


def test_nobody_approves_or_adjusts_their_own_shift(client, county):
    admin = factories.console_user("admin")
    admin.unit_id = county.unit_a.id  # an account that (from before this change) also served
    db.session.commit()
    shift = add_shift(admin, county.post_east, _yesterday_at(8).replace(tzinfo=None), 12, review_state="pending")
    for body in ({"decision": "approve"}, {"decision": "adjust", "credited_minutes": 240, "reason": "x"}):
        res = client.post(f"/api/console/v1/shifts/{shift.id}/review", headers=factories.headers(admin), json=body)
        assert res.status_code == 403 and res.get_json()["error"]["code"] == "OWN_SHIFT"


# --- finding 3: dev login in production -----------------------------------------------------------

@pytest.mark.parametrize("config", [{"REDVEST_ENV": "production"}, {"WECHAT_APPID": "wx-real"}])
def test_dev_login_is_refused_in_production(make_app, config):
    app = make_app(SECRET_KEY="p" * 40, **config)
    with app.app_context():
        county = factories.County.build()
        factories.volunteer(county.unit_a)
        res = app.test_client().post("/api/mp/v1/auth/login", json={"code": "dev:openid-1"})
    assert res.status_code == 401 and "token" not in (res.get_json() or {})


# --- finding 4: revocation ------------------------------------------------------------------------

def test_a_password_reset_ends_old_tokens_and_console_sessions(app, client, county):
    factories.console_user("admin", username="boss")
    token_headers = console_login(client, "boss")
    browser = app.test_client()
    sign_in(browser, "boss")
    assert browser.get("/console/").status_code == 200
    result = app.test_cli_runner().invoke(args=["users", "set-password", "boss"],
                                          env={"REDVEST_PASSWORD": "a-brand-new-password"})
    assert result.exit_code == 0, result.output
    assert client.get(ME, headers=token_headers).status_code == 401
    assert browser.get("/console/").status_code == 302
    assert client.get(ME, headers=console_login(client, "boss", "a-brand-new-password")).status_code == 200


def test_an_admin_resets_a_password_and_disables_a_user_through_the_api(client, county):
    admin = factories.headers(factories.console_user("admin"))
    target = factories.console_user("coordinator", unit_=county.unit_a, username="leaver")
    their = console_login(client, "leaver")
    res = client.post(f"/api/console/v1/users/{target.id}/password", headers=admin, json={"password": "new-pass-123"})
    assert res.status_code == 200
    assert client.get(ME, headers=their).status_code == 401
    their = console_login(client, "leaver", "new-pass-123")
    assert client.post(f"/api/console/v1/users/{target.id}/disable", headers=admin).status_code == 200
    assert client.get(ME, headers=their).status_code == 401
    res = client.post("/api/console/v1/auth/login", json={"username": "leaver", "password": "new-pass-123"})
    assert res.status_code == 403
    # a coordinator may do neither
    coordinator = factories.headers(factories.console_user("coordinator", unit_=county.unit_a))
    assert client.post(f"/api/console/v1/users/{target.id}/enable", headers=coordinator).status_code == 403


def test_the_cli_disables_a_console_user_at_once(app, client, county):
    factories.console_user("leader", username="gone")
    headers = console_login(client, "gone")
    result = app.test_cli_runner().invoke(args=["users", "disable", "gone"])
    assert result.exit_code == 0, result.output
    assert client.get(ME, headers=headers).status_code == 401


def test_a_user_changes_their_own_password(client, county):
    factories.console_user("coordinator", unit_=county.unit_a, username="me")
    old = console_login(client, "me")
    wrong = client.post("/api/console/v1/me/password", headers=old,
                        json={"old_password": "not-it", "new_password": "another-pass-1"})
    assert wrong.status_code == 403
    res = client.post("/api/console/v1/me/password", headers=old,
                      json={"old_password": PASSWORD, "new_password": "another-pass-1"})
    assert res.status_code == 200
    assert client.get(ME, headers=old).status_code == 401
    assert client.get(ME, headers=bearer(res.get_json()["token"])).status_code == 200


def test_suspending_a_volunteer_ends_their_token(client, county):
    volunteer = factories.volunteer(county.unit_a)
    headers = factories.headers(volunteer)
    assert client.get("/api/mp/v1/me", headers=headers).status_code == 200
    coordinator = factories.headers(factories.console_user("coordinator", unit_=county.unit_a))
    res = client.post(f"/api/console/v1/volunteers/{volunteer.id}/suspend", headers=coordinator,
                      json={"reason": "离职"})
    assert res.status_code == 200, res.get_json()
    assert client.get("/api/mp/v1/me", headers=headers).status_code == 401


def test_logout_ends_that_one_token_only(client, county):
    factories.console_user("leader", username="two-tabs")
    first, second = console_login(client, "two-tabs"), console_login(client, "two-tabs")
    assert client.post("/api/console/v1/auth/logout", headers=first).status_code == 204
    assert client.get(ME, headers=first).status_code == 401
    assert client.get(ME, headers=second).status_code == 200


def test_a_console_cookie_replayed_after_logout_opens_nothing(app, county):
    factories.console_user("admin", username="cookie")
    browser = app.test_client()
    sign_in(browser, "cookie")
    saved = browser.get_cookie("session").value
    page = browser.get("/console/").get_data(as_text=True)
    from tests.test_console_pages import csrf_of
    browser.post("/console/logout", data={"csrf_token": csrf_of(page)})
    thief = app.test_client()
    thief.set_cookie("session", saved)
    assert thief.get("/console/").status_code == 302


@pytest.mark.parametrize("age, idle", [(13 * 3600, 60), (3600, 31 * 60)])
def test_a_console_session_ends_after_its_lifetime_or_when_idle(app, county, age, idle):
    factories.console_user("admin", username="sleepy")
    browser = app.test_client()
    sign_in(browser, "sleepy")
    assert browser.get("/console/").status_code == 200
    with browser.session_transaction() as session:
        now = int(time.time())
        session["iat"], session["seen"] = now - age, now - idle
    assert browser.get("/console/").status_code == 302


def test_tokens_survive_a_key_rotation_listed_in_fallbacks(app, county):
    headers = factories.headers(factories.console_user("leader"))
    from flask import current_app
    current_app.config.update(SECRET_KEY="a-brand-new-secret-key-of-enough-length",
                              SECRET_KEY_FALLBACKS=[])
    client = current_app.test_client()
    assert client.get(ME, headers=headers).status_code == 401
    current_app.config["SECRET_KEY_FALLBACKS"] = ["test-secret-key-with-enough-length"]
    assert client.get(ME, headers=headers).status_code == 200


def test_posters_survive_a_secret_key_rotation_with_qr_secret_key(app, client, county):
    from server.checkin import posts
    printed = posts.qr_url(county.post_east)
    old_key = app.config["SECRET_KEY"]
    app.config.update(SECRET_KEY="a-brand-new-secret-key-of-enough-length", QR_SECRET_KEY=old_key)
    volunteer = factories.volunteer(county.unit_a)
    body = {**factories.at_post(county.post_east), "qr": printed}
    res = client.post("/api/mp/v1/shifts", headers=factories.headers(volunteer), json=body)
    assert res.status_code == 201, res.get_json()


# --- finding 5: the lockout is atomic, per name and address, and sees the real address -----------

def test_twenty_parallel_guesses_get_five_password_checks(make_app, tmp_path):
    """Twenty wrong passwords at once for one name from one address: five are checked, the rest 429."""
    import threading
    from server.models import LoginFailure
    app = make_app()
    with app.app_context():
        factories.console_user("admin", username="victim")
        db.session.remove()
    codes, barrier = [], threading.Barrier(20)

    def guess():
        client = app.test_client()
        barrier.wait()
        res = client.post("/api/console/v1/auth/login", json={"username": "victim", "password": "wrong-guess"})
        codes.append(res.status_code)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes).count(401) == 5, codes
    assert codes.count(429) == 15
    with app.app_context():
        assert db.session.query(LoginFailure).count() == 5


def test_behind_the_proxy_random_usernames_from_one_address_do_not_lock_out_the_admin(make_app):
    app = make_app(TRUSTED_PROXIES=1)
    with app.app_context():
        factories.console_user("admin", username="admin")
        client = app.test_client()
        attacker = {"X-Forwarded-For": "203.0.113.9"}
        for n in range(31):
            client.post("/api/console/v1/auth/login", headers=attacker,
                        json={"username": f"nobody{n}", "password": "x"})
        blocked = client.post("/api/console/v1/auth/login", headers=attacker,
                              json={"username": "admin", "password": PASSWORD})
        assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
        res = client.post("/api/console/v1/auth/login", headers={"X-Forwarded-For": "198.51.100.7"},
                          json={"username": "admin", "password": PASSWORD})
        assert res.status_code == 200


def test_failures_from_many_addresses_slow_a_name_down_but_its_owner_still_signs_in(app, client, county):
    factories.console_user("admin", username="popular")
    from server import accounts
    from server.errors import ApiError
    now = utcnow()
    for n in range(12):
        try:
            accounts.check_console_login("popular", "guess", remote_addr=f"10.0.0.{n}", now=now + timedelta(seconds=11 * n))
        except ApiError as err:
            assert err.code == "LOGIN_FAILED"
    later = now + timedelta(seconds=11 * 11 + 2)  # two seconds after the last guess
    with pytest.raises(ApiError) as slowed:  # one more guess right away is slowed down
        accounts.check_console_login("popular", "guess", remote_addr="10.0.1.1", now=later)
    assert slowed.value.code == "LOGIN_LOCKED" and slowed.value.details["retry_after"] <= 10
    user = accounts.check_console_login("popular", PASSWORD, remote_addr="10.9.9.9", now=later + timedelta(seconds=11))
    assert user.username == "popular"


# --- finding 7: rosters reveal nobody outside the caller's scope --------------------------------

def _tomorrow() -> str:
    return (utcnow().astimezone(TZ).date() + timedelta(days=1)).isoformat()


def test_a_district_coordinator_cannot_roster_or_read_a_volunteer_outside_their_scope(client, county):
    stranger = factories.volunteer(county.unit_b, name="赵秘密")
    east = factories.headers(factories.console_user("coordinator", district_=county.east))
    assert client.get(f"/api/console/v1/volunteers/{stranger.id}", headers=east).status_code == 404
    res = client.post("/api/console/v1/slots", headers=east, json={
        "post_id": county.post_east.id, "date": _tomorrow(), "start": "07:00", "end": "09:00", "needed": 1,
        "volunteer_ids": [stranger.id]})
    assert res.status_code in (404, 422) and "赵秘密" not in res.get_data(as_text=True)
    slot = client.post("/api/console/v1/slots", headers=east, json={
        "post_id": county.post_east.id, "date": _tomorrow(), "start": "07:00", "end": "09:00", "needed": 1})
    assert slot.status_code == 201, slot.get_json()
    res = client.post(f"/api/console/v1/slots/{slot.get_json()['id']}/assignments", headers=east,
                      json={"volunteer_id": stranger.id})
    assert res.status_code == 404 and "赵秘密" not in res.get_data(as_text=True)


def test_a_roster_dry_run_does_not_tell_whether_a_phone_belongs_to_someone_elsewhere(client, county):
    import io
    stranger = factories.volunteer(county.unit_b)
    east = factories.headers(factories.console_user("coordinator", district_=county.east))

    def dry_run(phone: str) -> str:
        sheet = f"岗位编号,日期,开始,结束,人数,志愿者\n{county.post_east.code},{_tomorrow()},7:00,9:00,1,{phone}\n"
        res = client.post("/api/console/v1/slots/import", query_string={"dry_run": "1"}, headers=east,
                          data={"file": (io.BytesIO(sheet.encode()), "r.csv")}, content_type="multipart/form-data")
        return res.get_data(as_text=True).replace(phone, "PHONE")

    assert dry_run(stranger.phone) == dry_run("13700000000")
