"""Screenshots of every console page at a PC's 1440×900 and a phone's 390×844, from a fresh demo county.

    .venv/bin/python docs/screenshots.py

Builds the demo data in a temporary SQLite database (plus a correction request, a
spot check and three problems found at posts, so those pages show something), serves it
on 127.0.0.1 and drives Debian's Chromium (headless, as the browser tests do). Writes
docs/console/<page>-pc.png and docs/console/<page>-phone.png; the phone shots show the
top of the page as a phone shows it, the PC shots the whole page. Most pages are the
admin's (who sees every control); the problem pages are also shown as the two
coordinators see them: the district's list and the unit's queue with its fix form. Look
at them after a layout change.
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "console"
SIZES = {"pc": (1440, 900), "phone": (390, 844)}


def _extras() -> dict:
    """A correction request, a spot check and problems on top of the demo; the ids the page list needs."""
    import sqlalchemy as sa

    from server import callers
    from server.clock import utcnow
    from server.db import db
    from server.duty import spot_checks
    from server.models import CorrectionRequest, Post, Shift, User
    from tests import console_data

    now = utcnow()
    shift = db.session.execute(sa.select(Shift).where(Shift.status == "closed", Shift.review_state == "none")
                               .order_by(Shift.started_at.desc())).scalars().first()
    shift.review_state, shift.flags = "pending", ["correction_requested"]
    db.session.add(CorrectionRequest(shift_id=shift.id, volunteer_id=shift.volunteer_id, kind="correction",
                                     reason="下岗时手机没电，实际在岗到 9 点", proposed_minutes=120,
                                     status="pending", created_at=now - timedelta(hours=3)))
    db.session.commit()
    open_shift = db.session.execute(sa.select(Shift).where(Shift.status == "open")).scalars().first()
    leader = db.session.execute(sa.select(User).where(User.username == "leader")).scalar_one()
    check = spot_checks.start(callers.load(leader.id), post_id=open_shift.post_id, district_id=None, minutes=10,
                              note="早高峰暗访", now=now)
    staff = {u.username: u for u in db.session.execute(sa.select(User).where(User.username.is_not(None))).scalars()}
    east = staff["coord_east"].scope_district_id
    in_east = db.session.execute(sa.select(Post).where(Post.district_id == east).order_by(Post.id)).scalars().all()
    elsewhere = db.session.execute(sa.select(Post).where(Post.district_id != east).order_by(Post.id)).scalars().first()
    reporter = db.session.get(User, shift.volunteer_id)
    problems = console_data.problems(reporter, staff["admin"], staff["coord_caizheng"],
                                     [in_east[0], elsewhere, in_east[1]], now)
    return {"volunteer_id": shift.volunteer_id, "post_id": open_shift.post_id, "spot_check_id": check.id,
            "first_post": db.session.execute(sa.select(Post.id).order_by(Post.id)).scalars().first(),
            "problems": problems}


def pages(ids: dict) -> list[tuple[str, str]]:
    """The admin's pages."""
    problems = ids["problems"]
    return [
        ("dashboard", "/console/"), ("duty-now", "/console/duty/now"),
        ("duty-lookup", f"/console/duty?post_id={ids['post_id']}&date={ids['today']}"),
        ("hours", "/console/hours"), ("hours-volunteers", "/console/hours?group_by=volunteer"),
        ("reviews", "/console/reviews"), ("corrections", "/console/corrections"),
        ("volunteers", "/console/volunteers"), ("volunteer", f"/console/volunteers/{ids['volunteer_id']}"),
        ("volunteer-import", "/console/volunteers/import"), ("posts", "/console/posts"),
        ("post-new", "/console/posts/new"), ("rosters", f"/console/rosters?post_id={ids['first_post']}"),
        ("coverage", "/console/coverage?span=week"), ("digest", "/console/digest"),
        ("rankings", "/console/rankings"), ("bulletin", "/console/bulletin"), ("spot-checks", "/console/spot-checks"),
        ("spot-check", f"/console/spot-checks/{ids['spot_check_id']}"), ("accounts", "/console/accounts"),
        ("organisation", "/console/organisation"), ("calendar", "/console/calendar"), ("trust", "/console/trust"),
        ("password", "/console/password"), ("problems", "/console/problems"),
        ("problem-open", f"/console/problems/{problems['open']}"),
        ("problem-fixed", f"/console/problems/{problems['fixed']}"), ("not-found", "/console/no-such-page"),
    ]


def coordinators_pages(ids: dict) -> dict[str, list[tuple[str, str]]]:
    """The problem pages as a district's coordinator and a unit's coordinator see them."""
    problems = ids["problems"]
    return {"coord_east": [("problems-district", "/console/problems")],
            "coord_caizheng": [("problems-unit", "/console/problems?status=assigned"),
                               ("problem-fix", f"/console/problems/{problems['assigned']}")]}


def _viewport(size: str) -> dict:
    width, height = SIZES[size]
    return {"width": width, "height": height}


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="redvest-shots-")
    os.environ.update(DATABASE_URL=f"sqlite:///{workdir}/demo.sqlite3", SECRET_KEY="screenshots-secret-key",
                      STORAGE_URL=f"file://{workdir}/photos")
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from server import create_app
    from server.cli import demo
    from server.clock import county_zone, local_date, utcnow

    app = create_app()
    with app.app_context():
        upgrade(revision="heads")
        passwords = demo.seed(reset=True).passwords
        ids = _extras() | {"today": local_date(utcnow(), county_zone()).isoformat()}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    from playwright.sync_api import sync_playwright
    from tests.browser import CHROMIUM, FLAGS

    OUT.mkdir(parents=True, exist_ok=True)
    walks = {"admin": pages(ids)} | coordinators_pages(ids)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS + ["--lang=zh-CN"],
                                             env={**os.environ, "LANGUAGE": "zh_CN", "LANG": "zh_CN.UTF-8"})
        for username, shots in walks.items():  # one sign-in each (sign-ins are limited per address)
            context = browser.new_context(viewport=_viewport("phone"), locale="zh-CN", device_scale_factor=1)
            page = context.new_page()
            page.goto(f"{base}/console/login")
            if username == "admin":
                page.screenshot(path=str(OUT / "login-phone.png"))
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", passwords[username])
            page.click("form button[type=submit]")
            page.wait_for_url("**/console/")
            for size in SIZES:
                page.set_viewport_size(_viewport(size))
                for name, path in shots:
                    page.goto(base + path)
                    page.screenshot(path=str(OUT / f"{name}-{size}.png"), full_page=size == "pc")
                    print(f"docs/console/{name}-{size}.png")
            if username == "admin":
                page.set_viewport_size(_viewport("phone"))
                page.goto(base + "/console/duty/now")
                page.click("#menu-toggle")
                page.screenshot(path=str(OUT / "menu-open-phone.png"))
            context.close()
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
