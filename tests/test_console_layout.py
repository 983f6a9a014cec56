"""Every console page, as every console role, on a PC (1440×900) and a phone (390×844), in Chromium.

A page fails when it scrolls sideways, when a cell, button or menu link clips its own text, when a
phone's tap target is under 44 px, when axe-core finds a serious or critical accessibility violation,
or when it offers an action or a link the server then refuses that role (403, or 404 for something
outside the role's scope).
"""
from pathlib import Path

import axe_playwright_python
import pytest

from tests import console_data
from tests.browser import follow
from tests.console_walk import MEASURE
from tests.factories import PASSWORD

SIZES = {"pc": (1440, 900), "phone": (390, 844)}
REFUSED = (400, 403, 404, 405)
# axe-core from the installed wheel, added to every page the walk's context loads before the page's
# own scripts (one script, parsed by Chromium per load; nothing fetched from another origin).
AXE_SCRIPT = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")
# WCAG 2.0/2.1 A and AA rules (what issue 18 asks; best-practice advice is left out), violations only,
# no timers, XPaths or element references. Colour contrast is most of axe's time here (0.1-1.4 s a
# page); the walk stays cheap by loading each page once for both sizes (see _walk).
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "resultTypes": ["violations"], "performanceTimer": False, "iframes": False, "xpath": False,
               "elementRef": False, "ancestry": False}
# Serious and critical violations, one line per rule with its first offending elements; only those
# lines cross back from the page.
AXE_RUN = """async options => {
  const {violations} = await axe.run(document, options);
  return violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.help} — ` + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join('; '));
}"""


def sign_in(page, username):
    page.goto("/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url("**/console/")


@pytest.fixture
def busy(county):
    return console_data.build(county)


def _walk(page, role: str, paths: list[str]) -> tuple[list[str], set, list]:
    """Each page loaded once at the PC's size, measured and checked, then narrowed to the phone's and
    measured and checked again: the stylesheet alone decides the layout (console.js never reads the
    width), and axe-core, already loaded and warm, checks the phone's layout in about half the time."""
    faults, links, forms = [], set(), []
    for path in paths:
        page.set_viewport_size(dict(zip(("width", "height"), SIZES["pc"])))
        response = page.goto(path)
        assert response.status == 200, (role, path, response.status)
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            where = f"{role} {size} {path}"
            m = page.evaluate(MEASURE)
            if m["scrollWidth"] > m["viewport"]:
                faults.append(f"{where}: page scrolls sideways ({m['scrollWidth']} > {m['viewport']})")
            faults += [f"{where}: clipped {c}" for c in m["clipped"]]
            if size == "phone":
                faults += [f"{where}: tap target under 44 px: {s}" for s in m["small"]]
            faults += [f"{where}: axe {v}" for v in page.evaluate(AXE_RUN, AXE_OPTIONS)]
            links.update(m["links"])
            forms += [(path, f) for f in m["forms"]] if size == "pc" else []
    return faults, links, forms


def _refused_actions(page, links: set, forms: list) -> list[str]:
    """Ask the server about every action the pages offered; the answers must not be 'no'."""
    request, faults = page.context.request, []
    for link in sorted(links):
        if link.split("?")[0].endswith((".pdf", ".png", "/export")):
            continue  # files (certificates, posters, exports): their access is tested where they are made
        status = request.get(link, max_redirects=0).status
        if status in REFUSED or status >= 500:
            faults.append(f"link {link} offered but answered {status}")
    csrf = page.eval_on_selector("input[name=csrf_token]", "el => el.value")
    for path, form in forms:
        data = dict(form["fields"]) | {"csrf_token": csrf}
        status = request.post(form["action"], form=data, max_redirects=0).status
        if status in REFUSED or status >= 500:
            faults.append(f"form on {path} → {form['action']} offered but answered {status}")
    return faults


@pytest.mark.parametrize("role", console_data.ROLES)
def test_every_page_fits_and_offers_only_allowed_actions(browser_page, busy, role):
    page = browser_page
    page.context.add_init_script(AXE_SCRIPT)
    sign_in(page, busy.users[role].username)
    faults, links, forms = _walk(page, role, console_data.pages(busy, role))
    faults += _refused_actions(page, links, forms)
    assert not faults, "\n".join(faults)


def test_the_accessibility_check_names_an_unlabelled_field_and_faint_text(browser_page, busy):
    page = browser_page
    page.context.add_init_script(AXE_SCRIPT)
    sign_in(page, "walk-leader")
    page.evaluate("""() => document.querySelector('main').insertAdjacentHTML('beforeend',
        '<input id="nameless"><p id="faint" style="color:#ccc;background:#fff">看不清的说明</p>')""")
    found = {line.split(" ")[0]: line for line in page.evaluate(AXE_RUN, AXE_OPTIONS)}
    assert set(found) == {"label", "color-contrast"}
    assert "#nameless" in found["label"] and "#faint" in found["color-contrast"]


def test_on_a_phone_the_menu_hides_behind_one_button(browser_page, busy):
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "walk-leader")
    menu = page.locator("#site-menu")
    assert not menu.is_visible()
    first_heading = page.locator("main h1").bounding_box()
    assert first_heading["y"] < 120  # content starts right under the bar, not under nine menu items
    page.click("#menu-toggle")
    assert menu.is_visible() and page.get_attribute("#menu-toggle", "aria-expanded") == "true"
    follow(page, "#site-menu >> text=在岗情况")
    page.wait_for_url("**/console/duty/now")
    assert not page.locator("#site-menu").is_visible()


def test_chinese_error_pages_in_the_console_frame(browser_page, busy):
    page = browser_page
    page.problems.clear()
    sign_in(page, "walk-district")
    response = page.goto("/console/no-such-page")
    assert response.status == 404
    assert page.locator("h1").inner_text().startswith("找不到该页面")
    assert page.locator("[role=alert]").count() == 1 and page.locator("nav[aria-label=主菜单]").count() == 1
    response = page.goto("/console/spot-checks")
    assert response.status == 403 and "没有权限" in page.locator("h1").inner_text()
    response = page.goto("/console/volunteers/999999")
    assert response.status == 404 and "Not Found" not in page.content()
    page.problems.clear()  # the 4xx answers above were the point
