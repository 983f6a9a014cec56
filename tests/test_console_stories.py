"""The issue's stories, in Chromium: accounts, a volunteer list, 补录, bulk approval, a leader's phone,
a spot check answered through the API. (tests/browser.py fails each on any console page error.)"""
import io
from datetime import datetime, timedelta, timezone

import openpyxl
import requests

from server.clock import utcnow, zone
from server.db import db
from server.models import ListedVolunteer, Shift, User
from tests import console_data, factories
from tests.browser import follow
from tests.factories import PASSWORD
from tests.photo_helpers import scene_jpeg

SHANGHAI = zone("Asia/Shanghai")


def sign_in(page, username, password=PASSWORD):
    page.goto("/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url("**/console/")


def sign_out(page):
    page.wait_for_load_state()  # the menu button shows only on a phone, once the stylesheet is in
    if page.locator("#menu-toggle").is_visible():
        page.click("#menu-toggle")
    page.click("form.logout button")
    page.wait_for_url("**/console/login")


def test_admin_creates_a_coordinator_account_who_then_signs_in(browser_page, county):
    factories.console_user("admin", username="admin1")
    page = browser_page
    sign_in(page, "admin1")
    follow(page, "nav >> text=账号")
    page.fill("#account-form input[name=username]", "caizheng")
    page.fill("#account-form input[name=name]", "财政局联络员")
    page.select_option("#account-form select[name=role]", "coordinator")
    page.select_option("#account-form select[name=scope]", f"unit:{county.unit_a.id}")
    page.fill("#account-form input[name=password]", "first-pass-1")
    page.click("#account-form button[type=submit]")
    page.wait_for_selector("text=已创建账号「caizheng」")
    sign_out(page)
    sign_in(page, "caizheng", "first-pass-1")
    assert page.locator("nav >> text=账号").count() == 0  # a coordinator manages no accounts
    assert "财政局联络员" in page.locator(".who").inner_text()


def _sheet(path, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return str(path)


def test_coordinator_imports_a_list_fixes_two_bad_rows_and_a_listed_volunteer_lands_in_the_unit(
        browser_page, live_server, county, tmp_path):
    factories.console_user("coordinator", unit_=county.unit_a, username="caizheng")
    page = browser_page
    sign_in(page, "caizheng")
    follow(page, "nav >> text=志愿者")
    page.click("text=导入志愿者名单")
    bad = _sheet(tmp_path / "bad.xlsx", [["姓名", "手机号"], ["张伟", "13812345678"], ["李娜", "1381234"],
                                         ["", "13812345670"], ["赵磊", "13812345671"]])
    page.set_input_files("#import-form input[type=file]", bad)
    page.click("#import-form button[type=submit]")
    problems = page.locator("#import-problems li").all_inner_texts()
    assert [p.split(" ·")[0] for p in problems] == ["第 3 行", "第 4 行"]
    assert db.session.query(ListedVolunteer).count() == 0
    page.problems.clear()  # the 422 of the refused sheet was the point
    good = _sheet(tmp_path / "good.xlsx", [["姓名", "手机号"], ["张伟", "13812345678"], ["李娜", "13812345679"],
                                           ["王芳", "13812345670"], ["赵磊", "13812345671"]])
    page.set_input_files("#import-form input[type=file]", good)
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("text=已导入名单 4 人")
    assert page.locator("#waiting-table tbody tr").count() == 4
    token = requests.post(f"{live_server}/api/mp/v1/auth/login", json={"code": "dev:lina"}, timeout=10).json()["token"]
    res = requests.post(f"{live_server}/api/mp/v1/me/registration", headers={"Authorization": f"Bearer {token}"},
                        json={"name": "李娜", "phone": "13812345679", "unit_id": county.unit_b.id,
                              "privacy_version": requests.get(f"{live_server}/api/mp/v1/privacy", timeout=10).json()["version"]},
                        timeout=10)
    assert res.status_code == 201 and res.json()["unit"]["name"] == "县财政局"
    page.reload()
    assert page.locator("#waiting-table tbody tr").count() == 3
    follow(page, "nav >> text=志愿者")
    assert "李娜" in page.locator("#volunteers-table").inner_text()


def test_coordinator_records_a_manual_shift_and_sees_the_hours_change(browser_page, county):
    factories.console_user("coordinator", unit_=county.unit_a, username="caizheng")
    volunteer = factories.volunteer(county.unit_a, name="孙丽")
    page = browser_page
    sign_in(page, "caizheng")
    follow(page, "nav >> text=志愿者")
    page.click("#volunteers-table >> text=孙丽")
    assert page.locator("#lifetime-hours").inner_text() == "0.0 小时"
    yesterday = (datetime.now(SHANGHAI) - timedelta(days=1)).date().isoformat()
    page.select_option("#manual-form select[name=post_id]", str(county.post_east.id))
    page.fill("#manual-form input[name=date]", yesterday)
    page.fill("#manual-form input[name=start]", "07:00")
    page.fill("#manual-form input[name=end]", "09:00")
    page.fill("#manual-form input[name=reason]", "手机没电，岗长确认")
    page.click("#manual-form button[type=submit]")
    page.wait_for_selector("text=已补录")
    assert page.locator("#lifetime-hours").inner_text() == "2.0 小时"
    assert "补录" in page.locator("#shifts-table tbody tr").first.inner_text()


def test_coordinator_approves_three_flagged_shifts_at_once(browser_page, county):
    factories.console_user("coordinator", unit_=county.unit_a, username="caizheng")
    volunteer = factories.volunteer(county.unit_a, name="陈静")
    start = utcnow() - timedelta(days=2)
    flagged = [factories.shift(volunteer, county.post_east, start + timedelta(hours=6 * i),
                               start + timedelta(hours=6 * i, minutes=300), credited_minutes=240,
                               flags=["capped"], review_state="pending") for i in range(4)]
    page = browser_page
    sign_in(page, "caizheng")
    follow(page, "nav >> text=审核")
    for shift in flagged[:3]:
        page.check(f"#shift-{shift.id} input[name=shift_id]")
    page.click("#bulk-approve")
    page.wait_for_selector("text=已通过 3 条记录")
    assert [page.locator(f"#shift-{s.id}").count() for s in flagged] == [0, 0, 0, 1]
    db.session.expire_all()
    assert [db.session.get(Shift, s.id).review_state for s in flagged] == ["approved"] * 3 + ["pending"]


def test_a_leader_on_a_phone_opens_the_board_a_posts_duty_and_the_bulletin(browser_page, county):
    busy = console_data.build(county)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "walk-leader")
    page.click("#menu-toggle")
    follow(page, "#site-menu >> text=在岗情况")
    card = page.locator(f"article[data-post-id='{county.post_east.id}']")
    assert "陈静" in card.inner_text()
    card.locator("h2 a").click()
    page.wait_for_selector("#duty-answer")
    assert "陈静" in page.locator("#duty-answer").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("#menu-toggle")
    follow(page, "#site-menu >> text=通报")
    page.wait_for_url("**/console/bulletin")
    assert page.locator("#bulletin-hours").is_visible()
    with page.expect_download() as download:
        page.click("#bulletin-pdf")
    assert download.value.suggested_filename.startswith("bulletin-")
    assert busy.users["leader"].username == "walk-leader"


def test_a_spot_check_started_in_the_console_is_answered_and_the_answer_appears(browser_page, live_server, county):
    factories.console_user("leader", username="boss")
    volunteer = factories.volunteer(county.unit_a, name="王小明")
    factories.shift(volunteer, county.post_east, utcnow() - timedelta(minutes=20), None)
    page = browser_page
    sign_in(page, "boss")
    follow(page, "nav >> text=抽查")
    page.select_option("#spot-check-form select[name=post_id]", str(county.post_east.id))
    page.click("#spot-check-form button[type=submit]")
    page.wait_for_selector("text=已发起抽查")
    assert page.locator("#count-pending").inner_text() == "1"
    headers = factories.headers(volunteer)
    [task] = requests.get(f"{live_server}/api/mp/v1/me/spot-checks", headers=headers, timeout=10).json()["items"]
    res = requests.post(f"{live_server}/api/mp/v1/me/spot-checks/{task['id']}/answer", headers=headers, timeout=20,
                        files={"file": ("tmp_wx.jpg", scene_jpeg(task["id"]), "image/jpeg")},
                        data={"latitude": str(county.post_east.latitude),
                              "longitude": str(county.post_east.longitude), "accuracy": "15"})
    assert res.status_code == 200, res.text
    page.reload()
    assert page.locator("#count-answered").inner_text() == "1"
    assert page.locator(".answer-photo").count() == 1
    assert page.evaluate("document.querySelector('.answer-photo').naturalWidth") > 0
