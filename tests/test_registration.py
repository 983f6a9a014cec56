"""A first-time volunteer registers their real name, mobile and work unit."""
import pytest
from flask import current_app

from tests import factories


def register_body(unit, **change) -> dict:
    """What the mini-program sends when a volunteer registers, having agreed to the privacy notice."""
    return {"name": "李娜", "phone": "13912345678", "unit_id": unit.id,
            "privacy_version": current_app.config["PRIVACY_VERSION"], **change}


@pytest.fixture
def newcomer(client):
    token = client.post("/api/mp/v1/auth/login", json={"code": "dev:newcomer"}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_volunteer_picks_a_unit_and_registers(client, newcomer):
    unit = factories.unit("县财政局")
    units = client.get("/api/mp/v1/units", headers=newcomer).get_json()["items"]
    assert {"id": unit.id, "name": "县财政局"} in units
    res = client.post("/api/mp/v1/me/registration", headers=newcomer,
                      json=register_body(unit, name=" 张伟 ", phone="13812345678"))
    assert res.status_code == 201
    user = res.get_json()
    assert user["name"] == "张伟" and user["phone"] == "13812345678" and user["unit"]["name"] == "县财政局"
    assert client.get("/api/mp/v1/me", headers=newcomer).get_json()["user"]["registered"] is True
    again = client.post("/api/mp/v1/auth/login", json={"code": "dev:newcomer"}).get_json()
    assert again["registered"] is True


@pytest.mark.parametrize("change, field", [
    ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": "张" * 51}, "name"), ({"name": 7}, "name"),
    ({"phone": "1381234567"}, "phone"), ({"phone": "138123456789"}, "phone"), ({"phone": "23812345678"}, "phone"),
    ({"phone": "12812345678"}, "phone"), ({"phone": 13812345678}, "phone"), ({"phone": "138-1234-567"}, "phone"),
    ({"unit_id": 99999}, "unit_id"), ({"unit_id": "1"}, "unit_id"), ({"unit_id": None}, "unit_id"),
    ({"unit_id": True}, "unit_id"),
])
def test_registration_names_the_field_that_is_wrong(client, newcomer, change, field):
    unit = factories.unit()
    body = register_body(unit, **change)
    res = client.post("/api/mp/v1/me/registration", headers=newcomer, json=body)
    assert res.status_code == 422
    error = res.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["field"] == field
    assert client.get("/api/mp/v1/me", headers=newcomer).get_json()["user"]["registered"] is False


def test_a_mobile_number_belongs_to_one_volunteer(client, newcomer):
    unit = factories.unit()
    other = factories.volunteer(unit)
    res = client.post("/api/mp/v1/me/registration", headers=newcomer,
                      json=register_body(unit, name="王芳", phone=other.phone))
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "PHONE_TAKEN"


def test_registered_volunteer_can_update_their_details(client):
    unit_a, unit_b = factories.unit(), factories.unit()
    volunteer = factories.volunteer(unit_a)
    res = client.post("/api/mp/v1/me/registration", headers=factories.headers(volunteer),
                      json=register_body(unit_b, name="新名字", phone="13700000001"))
    assert res.status_code == 200 and res.get_json()["unit"]["id"] == unit_b.id


def test_registration_needs_a_json_object(client, newcomer):
    res = client.post("/api/mp/v1/me/registration", headers=newcomer, data="name=x",
                      content_type="application/x-www-form-urlencoded")
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "BAD_REQUEST"
