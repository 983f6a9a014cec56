"""A volunteer opens the mini-program and logs in with WeChat."""
import pytest

from server import create_app
from tests import factories
from tests.fake_wechat import APPID


def login(client, code):
    return client.post("/api/mp/v1/auth/login", json={"code": code})


def test_dev_code_logs_in_without_wechat_credentials(client):
    res = login(client, "dev:alice")
    assert res.status_code == 200
    body = res.get_json()
    assert body["registered"] is False and body["expires_in"] > 0
    me = client.get("/api/mp/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["user"]["id"] == body["user"]["id"]


def test_same_dev_id_is_the_same_volunteer(client):
    first = login(client, "dev:bob").get_json()["user"]["id"]
    assert login(client, "dev:bob").get_json()["user"]["id"] == first


def test_dev_codes_are_refused_once_wechat_is_configured(wechat_app, fake_wechat):
    before = len(fake_wechat.calls_to("/sns/jscode2session"))
    res = login(wechat_app.test_client(), "dev:alice")
    assert res.status_code == 401
    assert res.get_json()["error"]["code"] == "WECHAT_CODE_INVALID"
    assert len(fake_wechat.calls_to("/sns/jscode2session")) == before  # never sent to WeChat


@pytest.mark.parametrize("omit_errcode", [False, True])
def test_wechat_code_is_exchanged_for_the_openid(wechat_app, fake_wechat, omit_errcode):
    fake_wechat.omit_errcode_on_success = omit_errcode
    try:
        code = fake_wechat.issue_code("o-real-openid-1")
        res = login(wechat_app.test_client(), code)
    finally:
        fake_wechat.omit_errcode_on_success = False
    assert res.status_code == 200, res.get_json()
    assert "session_key" not in res.get_data(as_text=True)
    assert "c2Vzc2lvbi1rZXktc2VjcmV0" not in res.get_data(as_text=True)
    call = fake_wechat.calls_to("/sns/jscode2session")[-1]
    assert call["js_code"] == code and call["appid"] == APPID and call["grant_type"] == "authorization_code"
    from server.models import User
    from server.db import db
    assert db.session.get(User, res.get_json()["user"]["id"]).openid == "o-real-openid-1"


def test_a_code_works_only_once(wechat_app, fake_wechat):
    client = wechat_app.test_client()
    code = fake_wechat.issue_code("o-once")
    assert login(client, code).status_code == 200
    again = login(client, code)
    assert again.status_code == 401 and again.get_json()["error"]["code"] == "WECHAT_CODE_INVALID"


@pytest.mark.parametrize("errcode, status, code", [
    (40029, 401, "WECHAT_CODE_INVALID"),
    (40226, 403, "WECHAT_USER_BLOCKED"),
    (45011, 429, "WECHAT_RATE_LIMITED"),
    (-1, 503, "WECHAT_UNAVAILABLE"),
])
def test_wechat_errors_become_clear_json_errors(wechat_app, fake_wechat, errcode, status, code):
    fake_wechat.code_errors[f"bad-{errcode}"] = errcode
    res = login(wechat_app.test_client(), f"bad-{errcode}")
    assert res.status_code == status
    error = res.get_json()["error"]
    assert error["code"] == code and error["message"]


def test_wechat_timeout_is_a_503(wechat_app, fake_wechat):
    fake_wechat.slow_codes.add("slow-code")
    wechat_app.config["WECHAT_TIMEOUT"] = 1.0  # the client is built from the config on each call
    res = login(wechat_app.test_client(), "slow-code")  # fake sleeps 3 s, our timeout is 1 s
    assert res.status_code == 503 and res.get_json()["error"]["code"] == "WECHAT_UNAVAILABLE"


def test_wechat_unreachable_is_a_503(make_app):
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens here now
    app = make_app(WECHAT_APPID=APPID, WECHAT_SECRET="x", WECHAT_API_BASE=f"http://127.0.0.1:{port}")
    res = login(app.test_client(), "any-code")
    assert res.status_code == 503 and res.get_json()["error"]["code"] == "WECHAT_UNAVAILABLE"


@pytest.mark.parametrize("body", [None, [], {"code": ""}, {"code": 5}, {}])
def test_malformed_login_is_a_client_error(client, body):
    res = client.post("/api/mp/v1/auth/login", json=body) if body is not None else \
        client.post("/api/mp/v1/auth/login", data="not json", content_type="text/plain")
    assert res.status_code in (400, 422)
    assert res.get_json()["error"]["code"] in ("BAD_REQUEST", "VALIDATION_ERROR")


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer garbage", "Basic abc", "Bearer a.b.c"])
def test_every_endpoint_but_login_needs_a_valid_token(client, header):
    headers = {"Authorization": header} if header else {}
    for path in ("/api/mp/v1/me", "/api/mp/v1/shifts", "/api/mp/v1/units", "/api/mp/v1/me/hours"):
        res = client.get(path, headers=headers)
        assert res.status_code == 401 and res.get_json()["error"]["code"] == "UNAUTHORIZED"


def test_expired_token_is_refused(make_app):
    app = make_app(TOKEN_TTL_SECONDS=-1)
    with app.app_context():
        volunteer = factories.volunteer(factories.unit())
        res = app.test_client().get("/api/mp/v1/me", headers=factories.headers(volunteer))
    assert res.status_code == 401


def test_token_signed_with_another_key_is_refused(app, client):
    volunteer = factories.volunteer(factories.unit())
    headers = factories.headers(volunteer)
    other = create_app({"SECRET_KEY": "a-completely-different-secret", "DATABASE_URL": "sqlite://"})
    assert other.test_client().get("/api/mp/v1/me", headers=headers).status_code == 401
    assert client.get("/api/mp/v1/me", headers=headers).status_code == 200


def test_production_refuses_a_default_secret_key():
    with pytest.raises(SystemExit):
        create_app({"REDVEST_ENV": "production", "SECRET_KEY": "dev-insecure-secret-key",
                    "DATABASE_URL": "sqlite://"})
    with pytest.raises(SystemExit):
        create_app({"WECHAT_APPID": "wx123", "SECRET_KEY": "", "DATABASE_URL": "sqlite://"})
