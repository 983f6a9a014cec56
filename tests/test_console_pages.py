"""The web console: sign-in, CSRF on every form, and the posts pages (server-side, without a browser)."""
import re

import pytest

from server.db import db
from server.models import AuditLog, Post
from tests import factories
from tests.factories import PASSWORD


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, username):
    page = client.get("/console/login").get_data(as_text=True)
    return client.post("/console/login", data={"username": username, "password": PASSWORD,
                                               "csrf_token": csrf_of(page)})


@pytest.fixture
def admin(county):
    return factories.console_user("admin", username="admin1")


def test_sign_in_lands_on_the_dashboard_with_a_navigation_bar(client, admin):
    res = sign_in(client, "admin1")
    assert res.status_code == 302 and res.headers["Location"].endswith("/console/")
    cookie = res.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # dev mode
    page = client.get("/console/").get_data(as_text=True)
    assert '<a href="/console/posts"' in page and "退出" in page


def test_session_cookie_is_secure_in_production(make_app):
    app = make_app(WECHAT_APPID="wx-real", SECRET_KEY="a-very-long-production-secret-key")
    with app.app_context():
        factories.console_user("admin", username="prod-admin")
        client = app.test_client()
        res = sign_in(client, "prod-admin")
    assert "Secure" in res.headers["Set-Cookie"]


def test_pages_need_a_signed_in_console_user(client, county):
    res = client.get("/console/posts")
    assert res.status_code == 302 and "/console/login" in res.headers["Location"]


def test_wrong_password_shows_a_chinese_error(client, admin):
    page = client.get("/console/login").get_data(as_text=True)
    res = client.post("/console/login", data={"username": "admin1", "password": "nope",
                                              "csrf_token": csrf_of(page)})
    assert res.status_code == 401 and "用户名或密码错误" in res.get_data(as_text=True)


def test_a_post_without_csrf_token_changes_nothing(client, admin, county):
    sign_in(client, "admin1")
    res = client.post(f"/console/posts/{county.post_east.id}/rotate-qr", data={})
    assert res.status_code == 400 and "刷新" in res.get_data(as_text=True)
    db.session.refresh(county.post_east)
    assert county.post_east.qr_version == 1
    assert client.post("/console/login", data={"username": "admin1", "password": PASSWORD}).status_code == 400


def test_every_form_carries_a_csrf_token(client, admin):
    sign_in(client, "admin1")
    for path in ("/console/", "/console/posts", "/console/posts/new"):
        html = client.get(path).get_data(as_text=True)
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, flags=re.S)
        assert forms, path
        assert all('name="csrf_token"' in form for form in forms), path


def test_admin_adds_edits_and_rotates_a_post(client, admin, county):
    sign_in(client, "admin1")
    token = csrf_of(client.get("/console/posts/new").get_data(as_text=True))
    res = client.post("/console/posts/new", data={
        "csrf_token": token, "name": "解放路与文化路交叉口", "kind": "intersection",
        "district_id": county.east.id, "latitude": "29.2501", "longitude": "117.8655", "radius_m": "80"})
    assert res.status_code == 302
    post = db.session.query(Post).filter_by(name="解放路与文化路交叉口").one()
    assert post.radius_m == 80 and post.code.startswith("P")
    res = client.post(f"/console/posts/{post.id}/edit", data={
        "csrf_token": token, "name": "解放路口", "kind": "intersection", "district_id": county.east.id,
        "latitude": "abc", "longitude": "117.8655", "radius_m": "80", "active": "on"})
    assert res.status_code == 422 and "纬度必须是数字" in res.get_data(as_text=True)
    client.post(f"/console/posts/{post.id}/rotate-qr", data={"csrf_token": token})
    db.session.refresh(post)
    assert post.qr_version == 2
    audit = db.session.query(AuditLog).filter_by(action="rotate_qr", entity_id=post.id).one()
    assert audit.actor_id == admin.id
    assert "已更换二维码" in client.get("/console/posts").get_data(as_text=True)


def test_unit_coordinator_cannot_rotate_or_edit(client, county):
    factories.console_user("coordinator", unit_=county.unit_a, username="unitcoord")
    sign_in(client, "unitcoord")
    token = csrf_of(client.get("/console/posts").get_data(as_text=True))
    res = client.post(f"/console/posts/{county.post_east.id}/rotate-qr", data={"csrf_token": token})
    assert res.status_code == 404  # no shift of the unit there: the post is out of scope
    db.session.refresh(county.post_east)
    assert county.post_east.qr_version == 1


def test_district_coordinator_sees_only_their_posts(client, county):
    factories.console_user("coordinator", district_=county.west, username="westcoord")
    sign_in(client, "westcoord")
    page = client.get("/console/posts").get_data(as_text=True)
    assert "星江公园南门" in page and "人民路与解放路交叉口" not in page
    assert client.get(f"/console/posts/{county.post_east.id}/edit").status_code == 404


def test_volunteer_cannot_sign_in_to_the_console(client, county):
    factories.volunteer(county.unit_a)
    page = client.get("/console/login").get_data(as_text=True)
    res = client.post("/console/login", data={"username": "nobody", "password": "x", "csrf_token": csrf_of(page)})
    assert res.status_code == 401


def test_sign_out_ends_the_session(client, admin):
    sign_in(client, "admin1")
    token = csrf_of(client.get("/console/").get_data(as_text=True))
    client.post("/console/logout", data={"csrf_token": token})
    assert client.get("/console/posts").status_code == 302


def test_next_parameter_cannot_redirect_off_site(client, admin):
    page = client.get("/console/login").get_data(as_text=True)
    res = client.post("/console/login", data={"username": "admin1", "password": PASSWORD,
                                              "csrf_token": csrf_of(page), "next": "//evil.example.com/x"})
    assert res.headers["Location"].endswith("/console/")
