"""Coordinators and leaders use the console in a real browser (Debian's Chromium, headless).

Every test fails on an uncaught JavaScript exception, a failed request, an
HTTP error or a request to another origin on any console page (tests/browser.py).
"""
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest
import requests

from server.checkin import hours as rules
from server.clock import zone
from server.db import db
from tests import factories
from tests.browser import follow
from tests.factories import PASSWORD, at_post

SHANGHAI = zone("Asia/Shanghai")


def sign_in(page, username):
    page.goto("/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/")


def past_shift(volunteer, post, start, minutes, **extra):
    """A shift already on record (scanned days ago)."""
    end = start + timedelta(minutes=minutes)
    credit = rules.credit(start, end, min_minutes=15, max_minutes=240)
    return factories.shift(volunteer, post, start, end, tz=SHANGHAI, credited_minutes=credit.minutes,
                           persuasions=5, flags=credit.flags,
                           review_state="pending" if credit.flags else "none", **extra)


@pytest.fixture
def admin(county):
    return factories.console_user("admin", username="admin1")


def test_admin_signs_in_and_rotates_a_posts_qr(browser_page, admin, county):
    page = browser_page
    sign_in(page, "admin1")
    assert page.locator("nav a").first.get_attribute("href").startswith("/console/")
    follow(page, "nav >> text=岗位")
    row = page.locator("tr", has_text="人民路与解放路交叉口")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button", has_text="更换二维码").click()
    page.wait_for_selector("text=已更换二维码")
    db.session.refresh(county.post_east)
    assert county.post_east.qr_version == 2
    assert page.locator("tr", has_text="人民路与解放路交叉口").locator("td.num").nth(1).inner_text() == "2"


def test_a_scan_appears_on_the_on_duty_board_by_itself(browser_page, app, live_server, county):
    app.config["DUTY_REFRESH_SECONDS"] = 1
    factories.console_user("coordinator", district_=county.east, username="east")
    volunteer = factories.volunteer(county.unit_a, name="王小明")
    page = browser_page
    sign_in(page, "east")
    follow(page, "nav >> text=在岗情况")
    assert page.locator(".volunteer-name").count() == 0
    res = requests.post(f"{live_server}/api/mp/v1/shifts", json=at_post(county.post_east),
                        headers=factories.headers(volunteer), timeout=10)
    assert res.status_code == 201
    # No click: the board reloads itself and the volunteer shows up at the post.
    card = page.locator(f"article[data-post-id='{county.post_east.id}']")
    card.locator(".volunteer-name", has_text="王小明").wait_for(timeout=10_000)
    assert "县财政局" in card.inner_text()


def test_leader_answers_who_was_on_duty_at_a_post(browser_page, county):
    factories.console_user("leader", username="leader1")
    morning = datetime(2026, 11, 20, 7, 0, tzinfo=SHANGHAI).astimezone(timezone.utc)
    past_shift(factories.volunteer(county.unit_a, name="李娜"), county.post_east, morning, 60)
    past_shift(factories.volunteer(county.unit_b, name="赵磊"), county.post_east, morning + timedelta(hours=2), 60)
    page = browser_page
    sign_in(page, "leader1")
    follow(page, "nav >> text=在岗查询")
    page.select_option("select[name=post_id]", str(county.post_east.id))
    page.fill("input[name=at]", "2026-11-20T07:40")
    page.click("#duty-form button[type=submit]")
    answer = page.locator("#duty-answer")
    answer.wait_for()
    names = answer.locator(".volunteer-name").all_inner_texts()
    assert names == ["李娜"]


def test_coordinator_approves_a_flagged_shift_and_the_hours_change(browser_page, county):
    factories.console_user("coordinator", unit_=county.unit_a, username="caizheng")
    volunteer = factories.volunteer(county.unit_a, name="陈静")
    today = datetime.now(SHANGHAI).replace(hour=7, minute=0, second=0, microsecond=0)
    start = today.astimezone(timezone.utc) - timedelta(days=1 if today.day > 1 else 0)
    past_shift(volunteer, county.post_east, start, 60)                      # counts: 1.0 h
    flagged = past_shift(volunteer, county.post_east, start + timedelta(hours=3), 300)  # capped, pending
    page = browser_page
    sign_in(page, "caizheng")
    follow(page, "nav >> text=时长统计")
    assert page.locator("#total-hours").inner_text() == "1.0"
    follow(page, "nav >> text=审核")
    item = page.locator(f"#shift-{flagged.id}")
    item.locator("button", has_text="通过").click()
    page.wait_for_selector("text=审核结果已保存")
    assert page.locator(f"#shift-{flagged.id}").count() == 0
    follow(page, "nav >> text=时长统计")
    assert page.locator("#total-hours").inner_text() == "5.0"  # 1 h + the approved 4 h (capped)


def test_hours_download_opens_in_excel_with_the_same_numbers(browser_page, county, tmp_path):
    factories.console_user("admin", username="admin2")
    today = datetime.now(SHANGHAI).replace(hour=7, minute=0, second=0, microsecond=0)
    start = today.astimezone(timezone.utc)
    past_shift(factories.volunteer(county.unit_a, name="周杰"), county.post_east, start - timedelta(hours=20), 90)
    past_shift(factories.volunteer(county.unit_b, name="吴婷"), county.post_west, start - timedelta(hours=20), 45)
    page = browser_page
    sign_in(page, "admin2")
    follow(page, "nav >> text=时长统计")
    shown = {row.locator("td").nth(0).inner_text(): row.locator("td").nth(3).inner_text()  # 计入时长（分钟）
             for row in page.locator("#hours-table tbody tr").all()}
    with page.expect_download() as download_info:
        page.click("#download-xlsx")
    path = tmp_path / "hours.xlsx"
    download_info.value.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    name_col, minutes_col = header.index("单位"), header.index("计入时长（分钟）")
    in_excel = {r[name_col]: str(r[minutes_col]) for r in rows[1:] if r[name_col] in shown}
    assert in_excel == shown == {"县财政局": "90", "县教育局": "45"}
