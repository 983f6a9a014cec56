"""An administrator sets up the county from the command line."""
import json

import pytest

from server.db import db
from server.models import AuditLog, Post, Unit, User
from tests import factories


def run(app, *args, env=None):
    result = app.test_cli_runner().invoke(args=list(args), env=env or {})
    assert result.exit_code == 0, result.output
    return result.stdout


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


def test_the_ids_other_commands_need_can_be_listed(app, county):
    coordinator = factories.console_user("coordinator", unit_=county.unit_a)
    volunteer = factories.volunteer(county.unit_b)

    units = json.loads(run(app, "units", "list", "--json"))["items"]
    districts = json.loads(run(app, "districts", "list", "--json"))["items"]
    east_posts = json.loads(run(app, "posts", "list", "--district", str(county.east.id), "--json"))["items"]
    all_posts = json.loads(run(app, "posts", "list", "--json"))["items"]
    coordinators = json.loads(run(app, "users", "list", "--role", "coordinator", "--json"))["items"]
    everyone = json.loads(run(app, "users", "list", "--json"))["items"]

    assert units == [{"id": county.unit_a.id, "name": "县财政局"}, {"id": county.unit_b.id, "name": "县教育局"}]
    assert [d["name"] for d in districts] == ["城东片区", "城西片区"]
    assert [p["id"] for p in east_posts] == [county.post_east.id, county.post_east2.id]
    assert len(all_posts) == 3 and all_posts[2]["district"]["name"] == "城西片区"
    assert [u["username"] for u in coordinators] == [coordinator.username]
    assert coordinators[0]["scope"] == {"unit_id": county.unit_a.id}
    listed = next(u for u in everyone if u["id"] == volunteer.id)
    assert listed["phone"] == volunteer.phone[:3] + "****" + volunteer.phone[7:]  # ids, not phone numbers

    text = run(app, "posts", "list", "--district", str(county.west.id))
    assert text.splitlines() == [f"{county.post_west.id:>4}  {county.post_west.code}  星江公园南门  [城西片区]"]
    assert "县教育局" in run(app, "units", "list")


def test_lists_of_an_empty_database_say_how_to_fill_them(app):
    assert json.loads(run(app, "units", "list", "--json")) == {"items": []}
    assert "units add" in run(app, "units", "list")


def test_demo_refuses_production_mode(make_app):
    app = make_app(WECHAT_APPID="wx-real-app", SECRET_KEY="a-very-long-production-secret")
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--json"])
    assert result.exit_code == 1 and "生产模式" in result.stderr
    assert json.loads(result.stdout)["error"]["code"] == "PRODUCTION_MODE"


def demo(app, *args) -> dict:
    return json.loads(run(app, "demo", "--no-serve", "--json", *args))


def test_demo_builds_a_county_with_working_logins(app, client):
    made = demo(app)
    assert made["created"] and [u["role"] for u in made["users"]] == ["admin", "leader", "coordinator", "coordinator"]
    for user in made["users"]:
        res = client.post("/api/console/v1/auth/login", json={"username": user["username"],
                                                               "password": user["password"]})
        assert res.status_code == 200, user
    token = client.post("/api/mp/v1/auth/login", json={"code": "dev:demo-volunteer-1"}).get_json()["token"]
    me = client.get("/api/mp/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert me["user"]["registered"] and me["hours"]["lifetime_minutes"] > 0


def test_the_demo_prints_its_console_address_and_a_table_of_logins(app):
    output = run(app, "demo", "--no-serve", "--port", "5123")
    assert "Console       http://127.0.0.1:5123/console/login" in output
    rows = [line.split() for line in output.splitlines() if line.startswith("  ") and "demo" not in line]
    assert [r[0] for r in rows] == ["role", "admin", "leader", "coordinator", "coordinator"]
    assert [r[-2] for r in rows[1:]] == ["admin", "leader", "coord_east", "coord_caizheng"]
    assert all(len(r[-1]) >= 12 for r in rows[1:])


def test_a_second_demo_keeps_the_passwords_of_the_first_unless_reset(app, client):
    def logs_in(user):
        return client.post("/api/console/v1/auth/login", json={"username": user["username"],
                                                                "password": user["password"]}).status_code == 200

    first = demo(app)
    units = db.session.query(Unit).count()
    second = demo(app)
    assert not second["created"] and all(u["password"] is None for u in second["users"])
    assert all(logs_in(u) for u in first["users"]) and db.session.query(Unit).count() == units
    assert "passwords unchanged" in run(app, "demo", "--no-serve")

    third = demo(app, "--reset")
    assert not third["created"] and all(logs_in(u) for u in third["users"])
    assert not any(logs_in(u) for u in first["users"])


def test_the_demo_will_not_mix_itself_into_real_data(app):
    run(app, "units", "add", "县财政局")
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve", "--json"])
    assert result.exit_code == 1 and json.loads(result.stdout)["error"]["code"] == "NOT_A_DEMO_DATABASE"
    assert db.session.query(User).count() == 0


def test_a_demo_on_a_busy_port_stops_before_changing_anything(app):
    import socket

    first = demo(app)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = app.test_cli_runner().invoke(args=["demo", "--port", str(port), "--reset", "--json"])
    assert result.exit_code == 1 and f"端口 {port} 已被占用" in result.stderr
    assert json.loads(result.stdout)["error"]["code"] == "PORT_IN_USE"
    assert "ready" not in result.output and "password" not in result.stdout
    admin = first["users"][0]
    assert app.test_client().post("/api/console/v1/auth/login", json={
        "username": admin["username"], "password": admin["password"]}).status_code == 200
