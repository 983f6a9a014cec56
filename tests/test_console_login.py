"""Coordinators, leaders and admins sign in to the console API; volunteers cannot use it."""
import pytest

from tests import factories
from tests.factories import PASSWORD


def test_console_user_signs_in_and_sees_themselves(client, county):
    coordinator = factories.console_user("coordinator", unit_=county.unit_a, username="caizheng")
    res = client.post("/api/console/v1/auth/login", json={"username": "caizheng", "password": PASSWORD})
    assert res.status_code == 200
    body = res.get_json()
    assert body["user"]["scope"] == {"unit_id": county.unit_a.id} and body["expires_in"] > 0
    me = client.get("/api/console/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["user"]["id"] == coordinator.id


@pytest.mark.parametrize("username, password", [("caizheng", "wrong"), ("nobody", PASSWORD), ("caizheng", "")])
def test_wrong_credentials_are_one_error(client, county, username, password):
    factories.console_user("coordinator", unit_=county.unit_a, username="caizheng")
    res = client.post("/api/console/v1/auth/login", json={"username": username, "password": password})
    assert res.status_code in (401, 422)
    if password:
        assert res.get_json()["error"]["code"] == "LOGIN_FAILED"


def test_volunteer_token_does_not_open_the_console(client, county):
    volunteer = factories.volunteer(county.unit_a)
    res = client.get("/api/console/v1/me", headers=factories.headers(volunteer))
    # A mini-program token is no credential at the console's door at all (issue 14).
    assert res.status_code == 401 and res.get_json()["error"]["code"] == "UNAUTHORIZED"


def test_console_needs_a_token(client):
    assert client.get("/api/console/v1/me").status_code == 401


def test_suspended_console_user_cannot_sign_in(client, county):
    user = factories.console_user("leader", username="old-leader")
    user.status = "suspended"
    from server.db import db
    db.session.commit()
    res = client.post("/api/console/v1/auth/login", json={"username": "old-leader", "password": PASSWORD})
    assert res.status_code == 403


def test_mini_program_token_of_a_leader_does_not_open_the_console(client, county):
    """Each kind of token opens its own door only (issue 14, finding 2)."""
    leader = factories.console_user("leader")
    res = client.get("/api/console/v1/me", headers=factories.headers(leader, kind="mp"))
    assert res.status_code == 401


def test_repeated_failures_lock_the_username_for_a_while(client, county):
    from datetime import timedelta
    from server import accounts
    from server.clock import utcnow
    from server.errors import ApiError
    factories.console_user("coordinator", unit_=county.unit_a, username="target")
    for _ in range(5):
        res = client.post("/api/console/v1/auth/login", json={"username": "target", "password": "guess"})
        assert res.status_code == 401
    res = client.post("/api/console/v1/auth/login", json={"username": "target", "password": PASSWORD})
    assert res.status_code == 429 and res.get_json()["error"]["code"] == "LOGIN_LOCKED"
    assert res.get_json()["error"]["retry_after"] > 0
    # Fifteen minutes later the right password works again, and success clears the count.
    user = accounts.check_console_login("target", PASSWORD, now=utcnow() + timedelta(minutes=16))
    assert user.username == "target"
    try:
        accounts.check_console_login("target", PASSWORD)
    except ApiError as err:  # pragma: no cover - shown if the count was not cleared
        raise AssertionError(f"still locked: {err.code}")
