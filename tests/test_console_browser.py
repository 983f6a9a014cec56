"""A coordinator and a leader use the console in a real browser (Debian's Chromium, headless)."""
import pytest

from server.db import db
from tests import factories
from tests.browser import browser_page, chromium  # noqa: F401  (fixtures)
from tests.factories import PASSWORD


def sign_in(page, username):
    page.goto("/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/")


@pytest.fixture
def admin(county):
    return factories.console_user("admin", username="admin1")


def test_admin_signs_in_and_rotates_a_posts_qr(browser_page, admin, county):
    page = browser_page
    sign_in(page, "admin1")
    assert page.locator("nav a").first.get_attribute("href").startswith("/console/")
    page.click("nav >> text=岗位")
    row = page.locator("tr", has_text="人民路与解放路交叉口")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button", has_text="更换二维码").click()
    page.wait_for_selector("text=已更换二维码")
    db.session.refresh(county.post_east)
    assert county.post_east.qr_version == 2
    assert page.locator("tr", has_text="人民路与解放路交叉口").locator("td.num").nth(1).inner_text() == "2"
