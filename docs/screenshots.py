"""Take the console screenshots shown in the README from a fresh demo county.

    .venv/bin/python docs/screenshots.py

Builds the demo data in a temporary SQLite database, serves it on 127.0.0.1 and
drives Debian's Chromium (headless, as the browser tests do).
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = [("/console/", "console-dashboard.png"), ("/console/duty/now", "console-on-duty.png"),
         ("/console/hours", "console-hours.png")]


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="redvest-shots-")
    os.environ.update(DATABASE_URL=f"sqlite:///{workdir}/demo.sqlite3", SECRET_KEY="screenshots-secret-key",
                      STORAGE_URL=f"file://{workdir}/photos")
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from server import create_app
    from server.cli import demo

    app = create_app()
    with app.app_context():
        upgrade(revision="heads")
        password = demo.seed()["admin"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"

    from playwright.sync_api import sync_playwright
    from tests.browser import CHROMIUM, FLAGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
        page.goto(f"{base}/console/login")
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url("**/console/")
        for path, name in PAGES:
            page.goto(base + path)
            page.screenshot(path=str(ROOT / "docs" / name), full_page=True)
            print(f"docs/{name}")
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
