"""After an install or an upgrade: does the site answer through the proxy as users will meet it?

    REDVEST_ENV_FILE=/etc/redvest/redvest.env /srv/redvest/venv/bin/python deploy/check.py \\
        --url https://redvest.example.gov.cn [--resolve 127.0.0.1] [--insecure] \\
        --console-user admin   (password in REDVEST_PASSWORD)

Checks, through nginx: HTTP goes to HTTPS; /readyz is ready; the console's sign-in page and
its stylesheet (served by nginx, cached); a console user signs in and sees the dashboard;
a volunteer scans in at a post and out again, with the answer carrying the request id nginx
gave it. The scan needs a volunteer and a post: the check makes a unit, district, post and
volunteer named 部署自检 in the database of the env file, and deletes them (and the shift)
afterwards. Prints one line per check; exits 1 at the first failure.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from urllib.parse import urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
NAME = "部署自检"


class Resolve(HTTPAdapter):
    """Send requests for the site's host to a given address (before DNS points there)."""

    def __init__(self, address: str, **kwargs) -> None:
        self.address = address
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        from urllib3.util import connection

        original = connection.create_connection
        address = self.address

        def create_connection(host_port, *a, **k):
            return original((address, host_port[1]), *a, **k)

        connection.create_connection = create_connection  # this process only: a one-shot check
        super().init_poolmanager(*args, **kwargs)


def ok(what: str, condition: bool, detail: object = "") -> None:
    print(f"{'ok  ' if condition else 'FAIL'} {what}" + (f": {detail}" if detail and not condition else ""))
    if not condition:
        raise SystemExit(1)


def fixtures():
    """A unit, district, post and volunteer for the scan, and a function deleting them again."""
    from server import create_app, tokens
    from server.checkin import posts as post_service
    from server.clock import utcnow
    from server.db import db
    from server.models import District, Shift, Unit, User

    app = create_app()
    ctx = app.app_context()
    ctx.push()
    now = utcnow()
    unit, district = Unit(name=NAME, created_at=now), District(name=NAME, created_at=now)
    db.session.add_all([unit, district])
    db.session.flush()
    post = post_service.create(name=NAME, kind="intersection", district_id=district.id, latitude=29.2491,
                               longitude=117.8644, radius_m=100, now=now, code=None)
    volunteer = User(openid="deploy-check", name=NAME, phone="13900000000", unit_id=unit.id, role="volunteer",
                     registered_at=now, created_at=now)
    db.session.add(volunteer)
    db.session.commit()
    scan = {"qr": post_service.qr_url(post), "latitude": 29.2491, "longitude": 117.8644, "accuracy": 10}
    token = tokens.issue(volunteer.id, "mp")[0]
    ids = (unit.id, district.id, post.id, volunteer.id)

    def cleanup() -> None:
        db.session.rollback()
        db.session.query(Shift).filter(Shift.volunteer_id == ids[3]).delete()
        db.session.query(User).filter(User.id == ids[3]).delete()
        from server.models import Post
        db.session.query(Post).filter(Post.id == ids[2]).delete()
        db.session.query(District).filter(District.id == ids[1]).delete()
        db.session.query(Unit).filter(Unit.id == ids[0]).delete()
        db.session.commit()
        ctx.pop()

    return token, scan, cleanup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the site's https:// address (PUBLIC_BASE_URL)")
    parser.add_argument("--resolve", help="connect to this address instead of the host's DNS")
    parser.add_argument("--insecure", action="store_true", help="accept a self-signed certificate")
    parser.add_argument("--console-user", default="admin")
    args = parser.parse_args()
    base = args.url.rstrip("/")
    http = requests.Session()
    if args.resolve:
        http.mount("https://", Resolve(args.resolve))
        http.mount("http://", Resolve(args.resolve))
    if args.insecure:
        http.verify = False
        urllib3.disable_warnings()

    plain = http.get("http://" + urlsplit(base).netloc + "/console/login", allow_redirects=False, timeout=10)
    ok("http redirects to https", plain.status_code == 301 and plain.headers["Location"].startswith("https://"),
       plain.status_code)
    ready = http.get(f"{base}/readyz", timeout=10)
    ok("readyz through the proxy", ready.status_code == 200, ready.text)
    page = http.get(f"{base}/console/login", timeout=10)
    ok("console sign-in page", page.status_code == 200 and "password" in page.text, page.status_code)
    css = http.get(f"{base}/static/console.css", timeout=10)
    ok("console stylesheet from nginx, cached", css.status_code == 200 and "max-age" in css.headers.get(
        "Cache-Control", ""), css.headers)
    password = os.environ.get("REDVEST_PASSWORD", "")
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    ok("the sign-in form carries a CSRF token", csrf is not None)
    signed = http.post(f"{base}/console/login", timeout=10, allow_redirects=False,
                       data={"username": args.console_user, "password": password, "csrf_token": csrf.group(1)},
                       headers={"Referer": f"{base}/console/login"})
    ok("console user signs in (secure session cookie)",
       signed.status_code in (302, 303) and "Secure" in signed.headers.get("Set-Cookie", ""),
       (signed.status_code, signed.text[:200]))
    dashboard = http.get(f"{base}/console/", timeout=10)
    ok("console dashboard", dashboard.status_code == 200 and "退出" in dashboard.text, dashboard.status_code)

    token, scan, cleanup = fixtures()
    try:
        headers = {"Authorization": f"Bearer {token}"}
        start = http.post(f"{base}/api/mp/v1/shifts", json=scan, headers=headers, timeout=10)
        ok("a volunteer scans in through the proxy", start.status_code == 201, start.text[:200])
        ok("the answer carries nginx's request id", len(start.headers.get("X-Request-Id", "")) == 32,
           start.headers)
        end = http.post(f"{base}/api/mp/v1/shifts/{start.json()['id']}/end", json=scan, headers=headers, timeout=10)
        ok("and scans out", end.status_code == 200 and end.json()["status"] == "closed", end.text[:200])
    finally:
        cleanup()
    print("all checks passed")


if __name__ == "__main__":
    main()
