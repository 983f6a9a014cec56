"""The web console: sign-in, CSRF on every form, and the posts pages (server-side, without a browser)."""
import re
from datetime import timedelta

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


# --- every page, every console role ----------------------------------------------------------

PAGES = ["/console/", "/console/duty/now", "/console/duty", "/console/hours", "/console/reviews",
         "/console/corrections", "/console/posts", "/console/rosters", "/console/volunteers", "/console/calendar",
         "/console/coverage", "/console/coverage?span=week", "/console/digest"]


@pytest.mark.parametrize("role", ["coordinator_unit", "coordinator_district", "leader", "admin"])
def test_every_page_opens_for_every_console_role(client, county, role):
    kind, _, scope = role.partition("_")
    factories.console_user(kind, username="u1", unit_=county.unit_a if scope == "unit" else None,
                           district_=county.east if scope == "district" else None)
    sign_in(client, "u1")
    for path in PAGES + (["/console/rankings"] if role != "coordinator_district" else []) \
            + (["/console/bulletin", "/console/spot-checks"] if kind != "coordinator" else []):
        res = client.get(path)
        assert res.status_code == 200, (path, res.status_code)
        assert '<nav aria-label="主菜单">' in res.get_data(as_text=True)


def _shift(volunteer, post, minutes, **extra):
    from datetime import timedelta
    from server.clock import utcnow
    start = utcnow() - timedelta(hours=2)
    return factories.shift(volunteer, post, start, start + timedelta(minutes=minutes),
                           credited_minutes=min(minutes, 240), persuasions=3, **extra)


def test_hours_page_shows_the_apis_figures_and_only_the_coordinators_unit(client, county):
    coordinator = factories.console_user("coordinator", unit_=county.unit_a, username="ca")
    _shift(factories.volunteer(county.unit_a, name="甲"), county.post_east, 75)
    _shift(factories.volunteer(county.unit_b, name="乙"), county.post_east, 50)
    sign_in(client, "ca")
    page = client.get("/console/hours?group_by=volunteer").get_data(as_text=True)
    api = client.get("/api/console/v1/reports/hours?group_by=volunteer",
                     headers=factories.headers(coordinator)).get_json()
    assert [row["name"] for row in api["rows"]] == ["甲"]
    assert "甲" in page and "乙" not in page
    assert f'<td class="num" id="total-hours">{api["totals"]["hours"]}</td>' in page


def test_hours_export_from_the_page_is_the_apis_file(client, county):
    import csv
    import io
    factories.console_user("admin", username="a1")
    _shift(factories.volunteer(county.unit_a), county.post_east, 75)
    sign_in(client, "a1")
    res = client.get("/console/hours/export?format=csv&group_by=unit&unit_id=")
    assert res.status_code == 200 and "attachment" in res.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(res.get_data().decode("utf-8-sig"))))
    by_unit = {row[1]: row for row in rows[1:]}
    assert by_unit["县财政局"][rows[0].index("计入时长（分钟）")] == "75"


def test_coordinator_adjusts_a_flagged_shift_from_the_review_page(client, county):
    from server.models import AuditLog, Shift
    factories.console_user("coordinator", unit_=county.unit_a, username="ca")
    flagged = _shift(factories.volunteer(county.unit_a), county.post_east, 300, flags=["capped"],
                     review_state="pending")
    sign_in(client, "ca")
    page = client.get("/console/reviews").get_data(as_text=True)
    assert f'id="shift-{flagged.id}"' in page
    token = csrf_of(page)
    res = client.post(f"/console/reviews/{flagged.id}", data={"csrf_token": token, "decision": "adjust",
                                                             "credited_minutes": "180", "reason": ""})
    refused = res.get_data(as_text=True)  # reason is required: the page again, the minutes kept
    assert res.status_code == 422 and 'role="alert"' in refused and "未保存" in refused
    assert 'value="180"' in refused
    client.post(f"/console/reviews/{flagged.id}", data={"csrf_token": token, "decision": "adjust",
                                                       "credited_minutes": "180", "reason": "提前离岗"})
    db.session.expire_all()
    shift = db.session.get(Shift, flagged.id)
    assert shift.credited_minutes == 180 and shift.review_state == "adjusted"
    assert db.session.query(AuditLog).filter_by(entity_type="shift", entity_id=flagged.id).count() == 1


def test_coordinator_of_another_unit_cannot_review_it(client, county):
    from server.models import Shift
    factories.console_user("coordinator", unit_=county.unit_b, username="cb")
    flagged = _shift(factories.volunteer(county.unit_a), county.post_east, 300, flags=["capped"],
                     review_state="pending")
    sign_in(client, "cb")
    page = client.get("/console/reviews").get_data(as_text=True)
    assert f'id="shift-{flagged.id}"' not in page
    res = client.post(f"/console/reviews/{flagged.id}", data={"csrf_token": csrf_of(page), "decision": "approve"})
    assert res.status_code == 404
    db.session.expire_all()
    assert db.session.get(Shift, flagged.id).review_state == "pending"


def test_coordinator_suspends_and_reactivates_a_volunteer(client, county):
    from server.models import User
    factories.console_user("coordinator", unit_=county.unit_a, username="ca")
    volunteer = factories.volunteer(county.unit_a, name="孙丽")
    sign_in(client, "ca")
    page = client.get("/console/volunteers?q=孙丽").get_data(as_text=True)
    assert "孙丽" in page and "****" in page  # phone masked for a coordinator
    token = csrf_of(page)
    client.post(f"/console/volunteers/{volunteer.id}/status", data={"csrf_token": token, "status": "suspended"})
    db.session.expire_all()
    assert db.session.get(User, volunteer.id).status == "active"  # no reason given: refused
    client.post(f"/console/volunteers/{volunteer.id}/status",
                data={"csrf_token": token, "status": "suspended", "reason": "调离本县"})
    db.session.expire_all()
    assert db.session.get(User, volunteer.id).status == "suspended"
    client.post(f"/console/volunteers/{volunteer.id}/status", data={"csrf_token": token, "status": "active"})
    db.session.expire_all()
    assert db.session.get(User, volunteer.id).status == "active"
    res = client.get(f"/console/volunteers/{volunteer.id}/certificate.pdf")
    assert res.status_code == 200 and res.data.startswith(b"%PDF")


def test_coordinator_plans_a_slot_and_assigns_a_volunteer_from_the_week_view(client, county):
    from server.clock import local_date, utcnow, zone
    from server.models import DutySlot, SlotAssignment
    factories.console_user("coordinator", district_=county.east, username="ce")
    volunteer = factories.volunteer(county.unit_a, name="黄敏")
    served = utcnow() - timedelta(days=3)  # served at the district before, so its coordinator sees her
    factories.shift(volunteer, county.post_east, served, served + timedelta(hours=1))
    sign_in(client, "ce")
    # Tomorrow: a slot planned for late today has ended in the last minutes before midnight,
    # and an ended slot takes no assignments (this failed at 23:5x in the county).
    day = (local_date(utcnow(), zone("Asia/Shanghai")) + timedelta(days=1)).isoformat()
    page = client.get(f"/console/rosters?post_id={county.post_east.id}&week={day}").get_data(as_text=True)
    token = csrf_of(page)
    client.post("/console/rosters/slots", data={"csrf_token": token, "post_id": county.post_east.id,
                                                "week": day, "date": day, "start": "23:00", "end": "23:50",
                                                "needed": "1"})
    slot = db.session.query(DutySlot).one()
    client.post(f"/console/rosters/slots/{slot.id}/assign", data={"csrf_token": token, "volunteer_id": volunteer.id,
                                                                  "post_id": county.post_east.id, "week": day})
    assert db.session.query(SlotAssignment).filter_by(slot_id=slot.id, volunteer_id=volunteer.id).count() == 1
    page = client.get(f"/console/rosters?post_id={county.post_east.id}&week={day}").get_data(as_text=True)
    assert "23:00–23:50" in page and "黄敏" in page


def test_leader_cannot_change_rosters_or_reviews(client, county):
    factories.console_user("leader", username="l1")
    sign_in(client, "l1")
    assert "添加排班" not in client.get("/console/rosters").get_data(as_text=True)
    assert "通过" not in client.get("/console/reviews").get_data(as_text=True)


def test_a_long_review_queue_pages_on(client, county):
    import re as _re
    factories.console_user("admin", username="a1")
    volunteer = factories.volunteer(county.unit_a)
    for _ in range(51):
        _shift(volunteer, county.post_east, 300, flags=["capped"], review_state="pending")
    sign_in(client, "a1")
    first = client.get("/console/reviews").get_data(as_text=True)
    assert first.count('class="card review-item"') == 50
    link = _re.search(r'href="(/console/reviews\?cursor=[^"]+)" id="next-page">下一页', first).group(1)
    second = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert second.count('class="card review-item"') == 1 and "下一页" not in second


def test_admin_enters_the_golden_week_and_a_coordinator_only_reads_it(client, admin, county):
    sign_in(client, "admin1")
    token = csrf_of(client.get("/console/calendar?year=2026").get_data(as_text=True))
    client.post("/console/calendar", data={"csrf_token": token, "from": "2026-10-01", "to": "2026-10-07",
                                           "kind": "holiday", "name": "国庆节", "year": "2026"})
    refused = client.post("/console/calendar", data={"csrf_token": token, "from": "2026-10-09",
                                                     "kind": "workday", "year": "2026"}, follow_redirects=True)
    assert "未保存" in refused.get_data(as_text=True)  # a Friday is a working day already
    client.post("/console/calendar", data={"csrf_token": token, "from": "2026-10-10", "kind": "workday",
                                           "name": "国庆节调休", "year": "2026"})
    client.post("/console/calendar/clear", data={"csrf_token": token, "day": "2026-10-07", "year": "2026"})
    page = client.get("/console/calendar?year=2026").get_data(as_text=True)
    assert "<td>2026-10-01</td>" in page and "<td>2026-10-06</td>" in page and "<td>2026-10-07</td>" not in page
    assert "国庆节调休" in page and "调休上班" in page

    client.post("/console/logout", data={"csrf_token": token})
    factories.console_user("coordinator", unit_=county.unit_a, username="ca")
    sign_in(client, "ca")
    page = client.get("/console/calendar?year=2026").get_data(as_text=True)
    assert "<td>2026-10-01</td>" in page and 'action="/console/calendar"' not in page  # no form to change it
    res = client.post("/console/calendar/clear", data={"csrf_token": csrf_of(page), "day": "2026-10-01"})
    assert res.status_code == 403
    assert "<td>2026-10-01</td>" in client.get("/console/calendar?year=2026").get_data(as_text=True)


def test_the_console_cookie_opens_no_door_in_the_apis(client, admin):
    """The JSON APIs skip CSRF checks because only a bearer token authenticates them; a browser's
    console cookie must therefore count for nothing there, and no API answer sets a cookie."""
    sign_in(client, "admin1")
    assert client.get("/console/").status_code == 200  # the cookie works where it belongs
    for path in ("/api/console/v1/volunteers", "/api/mp/v1/me"):
        res = client.get(path)
        assert res.status_code == 401 and res.get_json()["error"]["code"] == "UNAUTHORIZED"
        assert "Set-Cookie" not in res.headers
    res = client.post("/api/mp/v1/auth/login", json={"code": "dev:cookie-test"})
    assert res.status_code == 200 and "Set-Cookie" not in res.headers
