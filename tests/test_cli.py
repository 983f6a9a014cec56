"""An administrator sets up the county from the command line."""
import json

import pytest

from server.db import db
from server.models import AuditLog, Post, User


def run(app, *args, env=None):
    result = app.test_cli_runner().invoke(args=list(args), env=env or {})
    assert result.exit_code == 0, result.output
    return result.output


def test_setting_up_a_county_with_json_output(app, client):
    unit = json.loads(run(app, "units", "add", "县财政局", "--json"))
    district = json.loads(run(app, "districts", "add", "城东片区", "--json"))
    assert unit["name"] == "县财政局" and isinstance(unit["id"], int)
    post = json.loads(run(app, "posts", "add", "--name", "人民路口", "--kind", "intersection",
                          "--district", str(district["id"]), "--lat", "29.248", "--lng", "117.8617",
                          "--radius", "80", "--json"))
    assert post["radius_m"] == 80 and post["code"] == f"P{post['id']:04d}"
    url = run(app, "posts", "qr", str(post["id"])).strip()
    assert url.startswith("https://redvest.example.gov.cn/q/") and len(url.splitlines()) == 1
    qr = json.loads(run(app, "posts", "qr", str(post["id"]), "--json"))
    assert qr["url"] == url and url.endswith("/" + qr["scene"]) and len(qr["scene"]) <= 32

    rotated = json.loads(run(app, "posts", "rotate-qr", str(post["id"]), "--json"))
    assert rotated["qr_version"] == 2 and rotated["url"] != url
    assert db.session.query(AuditLog).filter_by(action="rotate_qr").one().after == {"qr_version": 2}

    coordinator = json.loads(run(app, "users", "create", "--username", "coord1", "--role", "coordinator",
                                 "--unit", str(unit["id"]), "--json", env={"REDVEST_PASSWORD": "s3cret-pass"}))
    assert coordinator["role"] == "coordinator" and coordinator["scope"] == {"unit_id": unit["id"]}
    res = client.post("/api/console/v1/auth/login", json={"username": "coord1", "password": "s3cret-pass"})
    assert res.status_code == 200 and res.get_json()["user"]["username"] == "coord1"


def test_password_can_come_from_a_prompt(app):
    result = app.test_cli_runner().invoke(args=["users", "create", "--username", "boss", "--role", "leader"],
                                          input="long-password-1\nlong-password-1\n")
    assert result.exit_code == 0, result.output
    assert db.session.query(User).filter_by(username="boss").one().password_hash


@pytest.mark.parametrize("args", [
    ["posts", "add", "--name", "x", "--district", "999", "--lat", "29", "--lng", "117"],
    ["posts", "qr", "999"],
    ["users", "create", "--username", "c", "--role", "coordinator"],
    ["posts", "add", "--name", "x", "--kind", "bridge", "--district", "1", "--lat", "29", "--lng", "117"],
])
def test_bad_commands_fail_with_a_message_and_change_nothing(app, args):
    result = app.test_cli_runner().invoke(args=args, env={"REDVEST_PASSWORD": "long-password-1"})
    assert result.exit_code != 0 and result.output.strip()
    assert db.session.query(User).count() == 0 and db.session.query(Post).count() == 0


def test_demo_refuses_production_mode(make_app):
    app = make_app(WECHAT_APPID="wx-real-app", SECRET_KEY="a-very-long-production-secret-key-xyz")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code != 0 and "production" in result.output


def test_demo_builds_a_county_with_working_logins(app, client):
    output = run(app, "demo", "--no-serve")
    password = next(line.split()[-1] for line in output.splitlines() if "console login  admin" in line)
    res = client.post("/api/console/v1/auth/login", json={"username": "admin", "password": password})
    assert res.status_code == 200
    token = client.post("/api/mp/v1/auth/login", json={"code": "dev:demo-volunteer-1"}).get_json()["token"]
    me = client.get("/api/mp/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["user"]["registered"] and me["hours"]["lifetime_minutes"] > 0
