"""The published API contract: both documents are valid OpenAPI 3.1, every API route is documented
and every documented operation is a route, the documents are served to anyone, and the suite's
responses are checked against them (tests/openapi_contract.py, hooked into every test client)."""
import json
import re

import pytest
from openapi_spec_validator import validate

from server.api_docs import UNDOCUMENTED_ROUTES
from server.api_docs.documents import APIS, document
from server.converters import ID_MAX
from tests import factories, openapi_contract

PREFIX = {"mp": "/api/mp/v1", "console": "/api/console/v1"}


def routes(app) -> set[tuple[str, str]]:
    """(METHOD, OpenAPI path) of every Flask route under /api/."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in UNDOCUMENTED_ROUTES:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((method, path))
    return found


def documented() -> set[tuple[str, str]]:
    return {(method.upper(), PREFIX[api] + path)
            for api in APIS for path, item in document(api)["paths"].items()
            for method in item if method in ("get", "put", "post", "delete", "patch")}


def drift(app) -> tuple[set, set]:
    """(routes nobody documented, documented operations that are no route)."""
    actual, written = routes(app), documented()
    return actual - written, written - actual


@pytest.mark.parametrize("api", APIS)
def test_each_document_is_valid_openapi_3_1(api):
    spec = document(api)
    assert spec["openapi"].startswith("3.1")
    validate(spec)


def test_every_api_route_is_documented_and_every_documented_operation_exists(app):
    undocumented, missing = drift(app)
    assert not undocumented, f"routes to document in server/api_docs/ (see its README.md): {sorted(undocumented)}"
    assert not missing, f"documented operations with no route: {sorted(missing)}"


def rate_limited_routes(app) -> dict[tuple[str, str], str]:
    """(METHOD, OpenAPI path) of each API route server/rate_limits.py limits -> its setting."""
    from server.rate_limits import LIMITS
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in LIMITS and rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                found[(method, path)] = LIMITS[rule.endpoint][0]
    return found


def test_the_documents_say_which_operations_are_rate_limited_and_by_which_setting(app):
    """A limited endpoint may answer 429 RATE_LIMITED; the document says so exactly where it can."""
    written = {}
    for api in APIS:
        for path, item in document(api)["paths"].items():
            for method, operation in item.items():
                if method in ("get", "put", "post", "delete", "patch"):
                    codes = operation["responses"].get("429", {}).get("description", "")
                    assert bool(operation.get("x-rate-limit")) == ("RATE_LIMITED" in codes.split("、"))
                    if operation.get("x-rate-limit"):
                        written[(method.upper(), PREFIX[api] + path)] = operation["x-rate-limit"]
    assert written == rate_limited_routes(app)


def test_a_route_added_without_documenting_it_is_caught(make_app):
    app = make_app()
    app.add_url_rule("/api/mp/v1/me/secret-new-thing", "new_thing", lambda: {"ok": True})
    undocumented, _ = drift(app)
    assert undocumented == {("GET", "/api/mp/v1/me/secret-new-thing")}


def test_every_operation_has_a_chinese_summary_and_declares_its_errors():
    for api in APIS:
        for path, item in document(api)["paths"].items():
            for method, op in item.items():
                if method not in ("get", "put", "post", "delete"):
                    continue
                assert re.search(r"[\u4e00-\u9fff]", op.get("summary", "")), f"{method} {path}: summary"
                assert "503" in op["responses"], f"{method} {path}: every operation may be DATABASE_UNAVAILABLE"
                if op.get("security", document(api)["security"]):
                    assert "401" in op["responses"], f"{method} {path}: 401 for a missing token"


def test_path_ids_are_documented_with_the_databases_range():
    for api in APIS:
        spec = document(api)
        for path, item in spec["paths"].items():
            for param in item.get("parameters", []):
                param = openapi_contract.resolve(spec, param)
                if param["in"] == "path":
                    schema = openapi_contract.resolve(spec, param["schema"])
                    assert schema["type"] == "integer" and schema["maximum"] == ID_MAX, (path, param)


@pytest.mark.parametrize("api", APIS)
def test_the_documents_are_served_to_anyone(client, api):
    res = client.get(f"{PREFIX[api]}/openapi.json")  # no token
    assert res.status_code == 200 and res.is_json
    assert res.get_json() == document(api)


def test_the_docs_page_lists_every_operation_and_loads_nothing_from_elsewhere(client):
    res = client.get("/api/docs")
    assert res.status_code == 200 and res.mimetype == "text/html"
    page = res.get_data(as_text=True)
    for method, path in documented():
        assert path in page, path
    assert "POST" in page and "WECHAT_CODE_INVALID" in page and "扫码上岗" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "a resource from another origin"
    assert "<script" not in page


@pytest.mark.parametrize("url", [
    "/api/mp/v1/shifts/99999999999999999999999",
    f"/api/mp/v1/shifts/{ID_MAX + 1}",
    "/api/console/v1/shifts/99999999999999999999999/audit",
    "/api/console/v1/slots/1/assignments/99999999999999999999999",
    "/api/console/v1/volunteers/9223372036854775808",
])
def test_an_id_beyond_the_databases_range_is_not_found(client, county, url):
    admin = factories.console_user("admin")
    method = "DELETE" if "assignments" in url else "GET"
    res = client.open(url, method=method, headers=factories.headers(admin))
    assert res.status_code == 404
    assert res.get_json()["error"]["code"] == "NOT_FOUND"


def test_the_largest_id_the_database_holds_is_looked_up_normally(client, county):
    volunteer = factories.volunteer(county.unit_a)
    res = client.get(f"/api/mp/v1/shifts/{ID_MAX}", headers=factories.headers(volunteer))
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "NOT_FOUND"


def test_a_response_with_a_renamed_field_fails_the_contract(client, county):
    volunteer = factories.volunteer(county.unit_a)
    res = client.get("/api/mp/v1/me", headers=factories.headers(volunteer))
    body = res.get_json()
    body["user"]["mobile"] = body["user"].pop("phone")
    res.set_data(json.dumps(body))
    with pytest.raises(openapi_contract.ContractViolation, match="phone"):
        openapi_contract.check(res)


def test_an_error_code_the_operation_does_not_list_fails_the_contract(client, county):
    volunteer = factories.volunteer(county.unit_a)
    res = client.get("/api/mp/v1/shifts/12345", headers=factories.headers(volunteer))
    assert res.status_code == 404
    res.set_data(b'{"error": {"code": "SHIFT_GONE", "message": "\\u627e\\u4e0d\\u5230"}}')
    with pytest.raises(openapi_contract.ContractViolation):
        openapi_contract.check(res)


def test_a_wrong_method_is_405_naming_the_methods_the_path_takes(client, county):
    volunteer = factories.volunteer(county.unit_a)
    res = client.delete("/api/mp/v1/me/hours", headers=factories.headers(volunteer))
    assert res.status_code == 405 and res.get_json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in res.headers["Allow"]


def test_in_dev_mode_a_code_that_is_not_a_dev_code_is_refused_without_asking_wechat(client, fake_wechat):
    before = len(fake_wechat.calls)
    res = client.post("/api/mp/v1/auth/login", json={"code": "abc"})
    assert res.status_code == 401
    error = res.get_json()["error"]
    assert error["code"] == "WECHAT_CODE_INVALID" and "dev:" in error["message"]
    assert len(fake_wechat.calls) == before  # no AppID: WeChat is never called


def _examples(spec: dict):
    """(where, example, schema) for every example the document shows: schemas' and request bodies'."""
    for name, schema in spec["components"]["schemas"].items():
        if "example" in schema:
            yield f"schema {name}", schema["example"], schema
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            for media, content in (op.get("requestBody") or {}).get("content", {}).items():
                if "example" in content:
                    yield f"{method} {path} {media}", content["example"], content["schema"]
            for status, response in op.get("responses", {}).items():
                for media, content in response.get("content", {}).items():
                    if "example" in content.get("schema", {}):
                        yield f"{method} {path} {status}", content["schema"]["example"], content["schema"]


@pytest.mark.parametrize("api", APIS)
def test_the_documents_examples_match_their_own_schemas(api):
    from openapi_schema_validator import OAS31Validator

    spec = document(api)
    checked = 0
    for where, example, schema in _examples(spec):
        errors = list(OAS31Validator({**schema, "components": spec["components"]}).iter_errors(example))
        assert not errors, f"{where}: {errors[0].message}"
        checked += 1
    assert checked >= 5
