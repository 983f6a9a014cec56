"""A coordinator's and a leader's daily work through the console pages (server-side, no browser)."""
import io
import re
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

from server.clock import utcnow, zone
from server.db import db
from server.models import AuditLog, ListedVolunteer, Shift, SpotCheck, UnitTarget, User
from tests import factories
from tests.factories import PASSWORD

SHANGHAI = zone("Asia/Shanghai")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(client, username, password=PASSWORD):
    page = client.get("/console/login").get_data(as_text=True)
    return client.post("/console/login", data={"username": username, "password": password,
                                               "csrf_token": csrf_of(page)})


def token(client, path="/console/"):
    return csrf_of(client.get(path).get_data(as_text=True))


def shift_hours_ago(volunteer, post, hours, minutes, **extra):
    start = utcnow() - timedelta(hours=hours)
    return factories.shift(volunteer, post, start, start + timedelta(minutes=minutes),
                           credited_minutes=min(minutes, 240), **extra)


# --- volunteers and records -------------------------------------------------------------------

def test_coordinator_records_a_manual_shift_from_a_volunteers_page(client, county):
    factories.console_user("coordinator", unit_=county.unit_a, username="ca")
    volunteer = factories.volunteer(county.unit_a, name="孙丽")
    sign_in(client, "ca")
    page = client.get(f"/console/volunteers/{volunteer.id}").get_data(as_text=True)
    assert "孙丽" in page and 'id="manual-form"' in page
    yesterday = (datetime.now(SHANGHAI) - timedelta(days=1)).date().isoformat()
    form = {"csrf_token": csrf_of(page), "post_id": county.post_east.id, "date": yesterday, "start": "07:00",
            "end": "08:30", "persuasions": "6", "reason": ""}
    refused = client.post(f"/console/volunteers/{volunteer.id}/shifts", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'role="alert"' in html and "补录理由" in html
    assert 'value="07:00"' in html and 'value="08:30"' in html  # what was typed stays
    res = client.post(f"/console/volunteers/{volunteer.id}/shifts", data={**form, "reason": "手机没电"})
    assert res.status_code == 302
    page = client.get(f"/console/volunteers/{volunteer.id}").get_data(as_text=True)
    assert '<dd id="lifetime-hours">1.5 小时</dd>' in page and "已补录" in page
    assert "已通过" in page  # a coordinator's 补录 counts at once
    shift = db.session.query(Shift).filter_by(volunteer_id=volunteer.id).one()
    assert shift.source == "manual" and shift.credited_minutes == 90
    assert db.session.query(AuditLog).filter_by(entity_id=shift.id, action="manual_add").count() == 1


def test_a_leader_reads_a_volunteers_page_without_any_action(client, county):
    factories.console_user("leader", username="boss")
    volunteer = factories.volunteer(county.unit_a, name="孙丽")
    shift_hours_ago(volunteer, county.post_east, 30, 60)
    sign_in(client, "boss")
    page = client.get(f"/console/volunteers/{volunteer.id}").get_data(as_text=True)
    assert "孙丽" in page and "manual-form" not in page and "作废" not in page and "停用账号" not in page
    res = client.post(f"/console/volunteers/{volunteer.id}/shifts", data={"csrf_token": csrf_of(page)})
    assert res.status_code == 403


def test_coordinator_voids_a_test_scan_and_the_record_stays_audited(client, county):
    factories.console_user("coordinator", unit_=county.unit_a, username="ca")
    volunteer = factories.volunteer(county.unit_a)
    mistake = shift_hours_ago(volunteer, county.post_east, 5, 30)
    sign_in(client, "ca")
    path = f"/console/volunteers/{volunteer.id}"
    res = client.post(f"/console/shifts/{mistake.id}/void",
                      data={"csrf_token": token(client, path), "reason": "测试扫码", "back": path})
    assert res.status_code == 302 and res.headers["Location"].endswith(path)
    db.session.expire_all()
    assert db.session.get(Shift, mistake.id).status == "voided"
    assert "已作废" in client.get(path).get_data(as_text=True)


def test_another_units_volunteer_is_not_there_for_a_coordinator(client, county):
    factories.console_user("coordinator", unit_=county.unit_b, username="cb")
    volunteer = factories.volunteer(county.unit_a)
    sign_in(client, "cb")
    assert client.get(f"/console/volunteers/{volunteer.id}").status_code == 404


def test_review_queue_filters_by_unit_and_bulk_approval_audits_each_shift(client, county):
    factories.console_user("admin", username="a1")
    ours, theirs = factories.volunteer(county.unit_a), factories.volunteer(county.unit_b)
    flagged = [shift_hours_ago(ours, county.post_east, 10 + i * 6, 300, flags=["capped"], review_state="pending")
               for i in range(3)]
    other = shift_hours_ago(theirs, county.post_west, 8, 300, flags=["capped"], review_state="pending")
    sign_in(client, "a1")
    page = client.get(f"/console/reviews?unit_id={county.unit_a.id}&flag=capped").get_data(as_text=True)
    assert all(f'id="shift-{s.id}"' in page for s in flagged) and f'id="shift-{other.id}"' not in page
    res = client.post(f"/console/reviews/approve?unit_id={county.unit_a.id}",
                      data={"csrf_token": csrf_of(page), "shift_id": [str(s.id) for s in flagged]})
    assert res.status_code == 302 and f"unit_id={county.unit_a.id}" in res.headers["Location"]
    assert "已通过 3 条记录" in client.get(res.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert [db.session.get(Shift, s.id).review_state for s in flagged] == ["approved"] * 3
    assert db.session.get(Shift, other.id).review_state == "pending"
    audits = db.session.query(AuditLog).filter(AuditLog.action == "review_approve").all()
    assert sorted(a.entity_id for a in audits) == sorted(s.id for s in flagged)


def test_a_bad_date_filter_is_an_error_not_a_crash(client, county):
    factories.console_user("admin", username="a1")
    sign_in(client, "a1")
    res = client.get("/console/reviews?from=2026-13-40")
    assert res.status_code == 422 and 'role="alert"' in res.get_data(as_text=True)


def test_corrections_queue_shows_the_volunteers_request(client, county):
    from server.models import CorrectionRequest
    factories.console_user("coordinator", unit_=county.unit_a, username="ca")
    volunteer = factories.volunteer(county.unit_a, name="陈静")
    asked = shift_hours_ago(volunteer, county.post_east, 20, 60, flags=["correction_requested"],
                            review_state="pending")
    plain = shift_hours_ago(volunteer, county.post_east, 40, 300, flags=["capped"], review_state="pending")
    db.session.add(CorrectionRequest(shift_id=asked.id, volunteer_id=volunteer.id, kind="correction",
                                     reason="忘记下岗扫码", proposed_minutes=120, status="pending",
                                     created_at=utcnow()))
    db.session.commit()
    sign_in(client, "ca")
    page = client.get("/console/corrections").get_data(as_text=True)
    assert f'id="shift-{asked.id}"' in page and f'id="shift-{plain.id}"' not in page
    assert "忘记下岗扫码" in page and "建议计入 120 分钟" in page


# --- leaders ---------------------------------------------------------------------------------

def test_leader_reads_coverage_digest_bulletin_and_downloads_the_pdf(client, county):
    factories.console_user("leader", username="boss")
    sign_in(client, "boss")
    for path in ("/console/coverage", "/console/coverage?span=week", "/console/digest", "/console/bulletin"):
        assert client.get(path).status_code == 200, path
    pdf = client.get("/console/bulletin.pdf?week=2026-W48")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"
    assert client.get("/console/bulletin?week=nonsense").status_code == 422


def test_bulletin_and_spot_checks_are_refused_to_coordinators(client, county):
    factories.console_user("coordinator", unit_=county.unit_a, username="ca")
    sign_in(client, "ca")
    assert client.get("/console/bulletin").status_code == 403
    assert client.get("/console/spot-checks").status_code == 403
    page = client.get("/console/").get_data(as_text=True)
    assert "/console/bulletin" not in page and "/console/spot-checks" not in page


def test_admin_sets_a_units_monthly_target_on_the_rankings_page(client, county):
    factories.console_user("admin", username="a1")
    sign_in(client, "a1")
    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    form = {"csrf_token": token(client, "/console/rankings"), "month": month, "unit_id": county.unit_a.id,
            "target_hours": "abc"}
    refused = client.post("/console/rankings/targets", data=form)
    assert refused.status_code == 422 and 'value="abc"' in refused.get_data(as_text=True)
    res = client.post("/console/rankings/targets", data={**form, "target_hours": "120",
                                                         "target_active_volunteers": "30"})
    assert res.status_code == 302
    target = db.session.query(UnitTarget).filter_by(unit_id=county.unit_a.id).one()
    assert target.target_hours == 120 and target.target_active_volunteers == 30
    assert "120" in client.get(f"/console/rankings?month={month}").get_data(as_text=True)


def test_leader_starts_a_spot_check_and_sees_who_must_answer(client, county):
    factories.console_user("leader", username="boss")
    volunteer = factories.volunteer(county.unit_a, name="王小明")
    factories.shift(volunteer, county.post_east, utcnow() - timedelta(minutes=20), None)
    sign_in(client, "boss")
    res = client.post("/console/spot-checks", data={"csrf_token": token(client, "/console/spot-checks"),
                                                    "post_id": county.post_east.id, "minutes": "10"})
    assert res.status_code == 302
    check = db.session.query(SpotCheck).one()
    page = client.get(res.headers["Location"]).get_data(as_text=True)
    assert f"/console/spot-checks/{check.id}" in res.headers["Location"]
    assert "王小明" in page and "等待回复" in page


# --- accounts, organisation, volunteer lists -------------------------------------------------

def test_admin_creates_a_coordinator_who_then_signs_in(client, app, county):
    factories.console_user("admin", username="a1")
    sign_in(client, "a1")
    form = {"csrf_token": token(client, "/console/accounts"), "username": "caizheng", "name": "财政局联络员",
            "role": "coordinator", "scope": "", "password": "s3cret-pass"}
    refused = client.post("/console/accounts", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "一个单位或一个片区" in html and 'value="caizheng"' in html
    assert "s3cret-pass" not in html
    assert client.post("/console/accounts", data={**form, "scope": f"unit:{county.unit_a.id}"}).status_code == 302
    user = db.session.query(User).filter_by(username="caizheng").one()
    assert user.scope_unit_id == county.unit_a.id
    assert db.session.query(AuditLog).filter_by(action="console_user_create", entity_id=user.id).count() == 1
    other = app.test_client()
    assert sign_in(other, "caizheng", "s3cret-pass").status_code == 302


def test_admin_resets_and_disables_an_account(client, app, county):
    factories.console_user("admin", username="a1")
    target = factories.console_user("leader", username="boss")
    sign_in(client, "a1")
    csrf = token(client, "/console/accounts")
    client.post(f"/console/accounts/{target.id}/password", data={"csrf_token": csrf, "password": "new-password-1"})
    assert sign_in(app.test_client(), "boss", "new-password-1").status_code == 302
    client.post(f"/console/accounts/{target.id}/status", data={"csrf_token": csrf, "enabled": "0"})
    assert sign_in(app.test_client(), "boss", "new-password-1").status_code == 403


def test_a_user_changes_their_own_password(client, app, county):
    factories.console_user("coordinator", unit_=county.unit_a, username="ca")
    sign_in(client, "ca")
    csrf = token(client, "/console/password")
    wrong = client.post("/console/password", data={"csrf_token": csrf, "old_password": "nope",
                                                    "new_password": "brand-new-1", "new_password_again": "brand-new-1"})
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)
    client.post("/console/password", data={"csrf_token": csrf, "old_password": PASSWORD,
                                           "new_password": "brand-new-1", "new_password_again": "brand-new-1"})
    assert sign_in(app.test_client(), "ca", "brand-new-1").status_code == 302


def test_only_admins_manage_accounts_and_organisation(client, county):
    factories.console_user("leader", username="boss")
    sign_in(client, "boss")
    for path in ("/console/accounts", "/console/organisation"):
        assert client.get(path).status_code == 403
    assert client.post("/console/organisation/unit", data={"csrf_token": token(client), "name": "新单位"}).status_code == 403


def test_admin_adds_and_renames_units_and_districts(client, county):
    factories.console_user("admin", username="a1")
    sign_in(client, "a1")
    csrf = token(client, "/console/organisation")
    client.post("/console/organisation/unit", data={"csrf_token": csrf, "name": "县公安局"})
    taken = client.post(f"/console/organisation/district/{county.west.id}", data={"csrf_token": csrf, "name": "城东片区"})
    assert taken.status_code == 409 and "同名" in taken.get_data(as_text=True)
    client.post(f"/console/organisation/district/{county.west.id}", data={"csrf_token": csrf, "name": "城西新区"})
    page = client.get("/console/organisation").get_data(as_text=True)
    assert "县公安局" in page and "城西新区" in page
    assert db.session.query(AuditLog).filter_by(action="district_rename").count() == 1


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_volunteer_list_with_bad_rows_saves_nothing_and_names_every_row(client, county):
    factories.console_user("coordinator", unit_=county.unit_a, username="ca")
    sign_in(client, "ca")
    csrf = token(client, "/console/volunteers/import")
    sheet = _xlsx([["姓名", "手机号", "单位"], ["张伟", 13812345678, "县财政局"], ["", "13812345679", ""],
                   ["李娜", "1381234", "县财政局"], ["赵磊", "13812345670", "县教育局"]])
    res = client.post("/console/volunteers/import", data={"csrf_token": csrf, "file": (io.BytesIO(sheet), "名单.xlsx")},
                      content_type="multipart/form-data")
    html = res.get_data(as_text=True)
    assert res.status_code == 422 and 'role="alert"' in html
    assert "第 3 行 · 姓名" in html and "第 4 行 · 手机号" in html and "第 5 行 · 单位" in html
    assert db.session.query(ListedVolunteer).count() == 0
    good = "姓名,手机号\n张伟,13812345678\n李娜,13812345679\n".encode("utf-8")
    res = client.post("/console/volunteers/import", data={"csrf_token": csrf, "file": (io.BytesIO(good), "名单.csv")},
                      content_type="multipart/form-data")
    assert res.status_code == 302
    assert {(r.name, r.unit_id) for r in db.session.query(ListedVolunteer)} == {
        ("张伟", county.unit_a.id), ("李娜", county.unit_a.id)}


def test_a_listed_volunteer_registering_lands_in_the_listed_unit(client, county):
    db.session.add(ListedVolunteer(unit_id=county.unit_a.id, name="张伟", phone="13812345678",
                                   imported_at=utcnow(), imported_by_id=factories.console_user("admin").id))
    db.session.commit()
    login = client.post("/api/mp/v1/auth/login", json={"code": "dev:zhangwei"}).get_json()
    res = client.post("/api/mp/v1/me/registration", headers={"Authorization": f"Bearer {login['token']}"},
                      json={"name": "张伟", "phone": "13812345678", "unit_id": county.unit_b.id,
                            "privacy_version": client.application.config["PRIVACY_VERSION"]})
    assert res.status_code == 201 and res.get_json()["unit"]["id"] == county.unit_a.id
    listed = db.session.query(ListedVolunteer).one()
    assert listed.user_id == res.get_json()["id"]
    assert db.session.query(User).filter_by(phone="13812345678").count() == 1


def test_leaders_cannot_import_lists(client, county):
    factories.console_user("leader", username="boss")
    sign_in(client, "boss")
    assert client.get("/console/volunteers/import").status_code == 403
    assert "导入志愿者名单" not in client.get("/console/volunteers").get_data(as_text=True)
