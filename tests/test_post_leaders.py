"""Post leaders (岗长) named in the console and on the command line, and volunteers a
coordinator adds by hand because they have no WeChat (issue 21)."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from server.db import db
from server.models import AuditLog, PostLeader, User
from tests import factories
from tests.factories import headers

CONSOLE = "/api/console/v1"


def leaders_url(post) -> str:
    return f"{CONSOLE}/posts/{post.id}/leaders"


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=[*args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def audit_actions() -> list[str]:
    db.session.rollback()
    return list(db.session.execute(sa.select(AuditLog.action).order_by(AuditLog.id)).scalars())


def test_a_district_coordinator_names_and_removes_a_leader_of_their_post(client, county):
    coordinator = headers(factories.console_user("coordinator", district_=county.east))
    volunteer = factories.volunteer(county.unit_b, name="陈岗长")
    res = client.post(leaders_url(county.post_east), headers=coordinator, json={"volunteer_id": volunteer.id})
    assert res.status_code == 201
    (leader,) = res.get_json()["items"]
    assert (leader["id"], leader["name"], leader["unit"]["name"]) == (volunteer.id, "陈岗长", "县教育局")
    again = client.post(leaders_url(county.post_east), headers=coordinator, json={"volunteer_id": volunteer.id})
    assert again.status_code == 200 and len(again.get_json()["items"]) == 1  # named once
    assert client.get(leaders_url(county.post_east), headers=coordinator).get_json()["items"][0]["id"] == volunteer.id
    res = client.delete(f"{leaders_url(county.post_east)}/{volunteer.id}", headers=coordinator)
    assert res.status_code == 204
    assert client.get(leaders_url(county.post_east), headers=coordinator).get_json()["items"] == []
    assert audit_actions() == ["post_leader_add", "post_leader_remove"]


def test_leaders_are_named_only_within_scope(client, county):
    volunteer = factories.volunteer(county.unit_a)
    west = headers(factories.console_user("coordinator", district_=county.west))
    unit = headers(factories.console_user("coordinator", unit_=county.unit_a))
    county_leader = headers(factories.console_user("leader"))
    body = {"volunteer_id": volunteer.id}
    assert client.post(leaders_url(county.post_east), headers=west, json=body).status_code == 404  # not their post
    factories.shift(volunteer, county.post_east, factories.utcnow(), None)  # the unit served there: it sees the post
    assert client.post(leaders_url(county.post_east), headers=unit, json=body).status_code == 403
    assert client.post(leaders_url(county.post_east), headers=county_leader, json=body).status_code == 403
    assert client.post(leaders_url(county.post_east), headers=headers(volunteer, "console"), json=body).status_code == 403
    admin = headers(factories.console_user("admin"))
    res = client.post(leaders_url(county.post_east), headers=admin, json={"volunteer_id": 999999})
    assert res.status_code == 404
    assert db.session.execute(sa.select(sa.func.count()).select_from(PostLeader)).scalar() == 0


def test_the_command_line_names_lists_and_removes_post_leaders(app, county):
    volunteer = factories.volunteer(county.unit_a, name="陈岗长")
    code, out = cli(app, "posts", "leaders", "add", str(county.post_east.id), str(volunteer.id))
    assert code == 0 and out["added"] is True
    code, out = cli(app, "posts", "leaders", "list", str(county.post_east.id))
    assert code == 0 and [i["name"] for i in out["items"]] == ["陈岗长"]
    code, out = cli(app, "posts", "leaders", "remove", str(county.post_east.id), str(volunteer.id))
    assert code == 0 and out["removed"] is True
    code, out = cli(app, "posts", "leaders", "remove", str(county.post_east.id), str(volunteer.id))
    assert code == 1 and out["error"]["code"] == "NOT_FOUND"


def test_a_unit_coordinator_adds_a_volunteer_without_wechat(client, county):
    coordinator = headers(factories.console_user("coordinator", unit_=county.unit_a))
    res = client.post(f"{CONSOLE}/volunteers", headers=coordinator,
                      json={"name": " 王大爷 ", "phone": "13900001111", "unit_id": county.unit_a.id})
    assert res.status_code == 201
    body = res.get_json()
    assert (body["name"], body["unit"]["id"], body["status"], body["phone"]) == (
        "王大爷", county.unit_a.id, "active", "139****1111")
    db.session.rollback()
    user = db.session.get(User, body["id"])
    assert user.openid is None and user.username is None and user.registered_at is not None
    assert user.card_version == 1
    # The new volunteer is in the unit's list like anyone registered.
    listed = client.get(f"{CONSOLE}/volunteers", headers=coordinator, query_string={"q": "王大爷"}).get_json()
    assert [v["id"] for v in listed["items"]] == [body["id"]]
    assert audit_actions() == ["volunteer_add"]


@pytest.mark.parametrize("body, code, status", [
    ({"name": "", "phone": "13900001111"}, "VALIDATION_ERROR", 422),
    ({"name": "王大爷", "phone": "12345"}, "VALIDATION_ERROR", 422),
    ({"name": "王\n大爷", "phone": "13900001111"}, "VALIDATION_ERROR", 422),
])
def test_a_volunteer_added_by_hand_needs_a_name_and_a_mobile(client, county, body, code, status):
    coordinator = headers(factories.console_user("coordinator", unit_=county.unit_a))
    res = client.post(f"{CONSOLE}/volunteers", headers=coordinator, json={**body, "unit_id": county.unit_a.id})
    assert res.status_code == status and res.get_json()["error"]["code"] == code
    assert audit_actions() == []


def test_hand_added_volunteers_are_scoped_to_the_coordinators_unit_and_mobiles_stay_unique(client, county):
    taken = factories.volunteer(county.unit_a)
    unit_a = headers(factories.console_user("coordinator", unit_=county.unit_a))
    district = headers(factories.console_user("coordinator", district_=county.east))
    body = {"name": "王大爷", "phone": "13900001111", "unit_id": county.unit_b.id}
    assert client.post(f"{CONSOLE}/volunteers", headers=unit_a, json=body).status_code == 403
    assert client.post(f"{CONSOLE}/volunteers", headers=district, json=body).status_code == 403
    res = client.post(f"{CONSOLE}/volunteers", headers=unit_a,
                      json={**body, "unit_id": county.unit_a.id, "phone": taken.phone})
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "PHONE_TAKEN"
    assert db.session.execute(sa.select(sa.func.count()).select_from(User).where(User.name == "王大爷")).scalar() == 0


def test_the_command_line_adds_a_volunteer_without_wechat(app, county):
    code, out = cli(app, "volunteers", "add", "--name", "王大爷", "--phone", "13900001111",
                    "--unit", str(county.unit_a.id))
    assert code == 0 and out["name"] == "王大爷"
    assert db.session.get(User, out["id"]).unit_id == county.unit_a.id
    code, out = cli(app, "volunteers", "add", "--name", "李阿姨", "--phone", "13900001111",
                    "--unit", str(county.unit_a.id))
    assert code == 1 and out["error"]["code"] == "PHONE_TAKEN"


def test_a_leader_who_erases_their_account_is_no_longer_listed_as_the_posts_leader(client, county):
    coordinator = headers(factories.console_user("coordinator", district_=county.east))
    volunteer = factories.volunteer(county.unit_b, name="陈岗长")
    assert client.post(leaders_url(county.post_east), headers=coordinator,
                       json={"volunteer_id": volunteer.id}).status_code == 201
    assert client.delete("/api/mp/v1/me", headers=headers(volunteer)).status_code == 204
    assert client.get(leaders_url(county.post_east), headers=coordinator).get_json()["items"] == []
