"""The WeChat access token is fetched once, shared through the cache, and renewed when WeChat says so."""
from datetime import datetime, timedelta, timezone

import pytest
from flask import current_app

from server.wechat import access_token
from server.db import db
from server.models import WechatToken
from tests.conftest import REDIS_TEST_URL
from tests.fake_wechat import APPID


@pytest.fixture
def tokens(wechat_app, fake_wechat):
    fake_wechat.expire_access_tokens()
    return access_token.from_config(wechat_app.config)


def test_token_is_fetched_once_and_then_served_from_the_database(tokens, fake_wechat):
    before = len(fake_wechat.calls_to("/cgi-bin/stable_token"))
    first = tokens.get()
    assert tokens.get() == first
    # Another process (a new client object) finds it in the shared cache.
    other = access_token.from_config(current_app.config)
    assert other.get() == first
    assert len(fake_wechat.calls_to("/cgi-bin/stable_token")) == before + 1
    call = fake_wechat.calls_to("/cgi-bin/stable_token")[-1]
    assert call["grant_type"] == "client_credential" and call["force_refresh"] is False
    assert db.session.get(WechatToken, APPID).access_token == first


def test_token_close_to_expiry_is_refreshed(tokens, fake_wechat):
    tokens.get()
    row = db.session.get(WechatToken, APPID)
    row.expires_at = datetime.now(timezone.utc) + timedelta(minutes=4)
    db.session.commit()
    before = len(fake_wechat.calls_to("/cgi-bin/stable_token"))
    tokens.get()
    assert len(fake_wechat.calls_to("/cgi-bin/stable_token")) == before + 1


def test_a_rejected_token_is_renewed_and_the_call_retried_once(tokens, fake_wechat):
    stale = tokens.get()
    fake_wechat.expire_access_tokens()  # WeChat forgot it: answers 40001
    response = tokens.post("/test/echo", {"x": 1})
    assert response.json() == {"errcode": 0, "echo": {"x": 1}}
    assert tokens.get() != stale


def test_redis_cache_is_shared(make_app, fake_wechat):
    import redis
    try:
        redis.Redis.from_url(REDIS_TEST_URL).ping()
    except redis.ConnectionError:
        pytest.fail("Redis must be running on 127.0.0.1:6379 for this test (.ci/run starts it)")
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    fake_wechat.expire_access_tokens()
    app = make_app(WECHAT_APPID=APPID, WECHAT_SECRET="wx-test-secret", REDIS_URL=REDIS_TEST_URL)
    with app.app_context():
        before = len(fake_wechat.calls_to("/cgi-bin/stable_token"))
        first = access_token.from_config(app.config).get()
        second = access_token.from_config(app.config).get()
        assert first == second
        assert len(fake_wechat.calls_to("/cgi-bin/stable_token")) == before + 1
        assert db.session.get(WechatToken, APPID) is None  # it lives in Redis, not the database
