"""WeChat checks the 扫普通链接二维码打开小程序 rule by fetching a file from /q/; test clock settings."""
from datetime import timedelta

from server.clock import utcnow


def test_the_link_rule_verification_file_is_served_as_plain_text(make_app):
    app = make_app(WECHAT_QR_VERIFY_NAME="a1b2c3.txt", WECHAT_QR_VERIFY_CONTENT="9f8e7d6c5b4a")
    res = app.test_client().get("/q/a1b2c3.txt")
    assert res.status_code == 200
    assert res.mimetype == "text/plain" and res.get_data(as_text=True) == "9f8e7d6c5b4a"
    assert app.test_client().get("/q/other.txt").status_code == 404


def test_without_a_configured_file_the_name_is_just_an_unknown_code(client):
    assert client.get("/q/a1b2c3.txt").status_code == 404


def test_the_clock_offset_moves_the_server_clock_outside_production(make_app):
    app = make_app(CLOCK_OFFSET_SECONDS=1200)
    with app.app_context():
        assert abs(utcnow() - timedelta(seconds=1200) - _real_now()) < timedelta(seconds=5)


def test_production_ignores_the_clock_offset(make_app):
    app = make_app(CLOCK_OFFSET_SECONDS=1200, REDVEST_ENV="production", SECRET_KEY="x" * 32)
    with app.app_context():
        assert abs(utcnow() - _real_now()) < timedelta(seconds=5)


def _real_now():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc)
