"""Coordinators download the same reports for Excel: the files say exactly what the JSON says."""
import csv
import io
import json
from datetime import date, datetime
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from tests import factories
from tests.report_data import add_shift, build_month

HOURS = "/api/console/v1/reports/hours"
SHIFTS = "/api/console/v1/reports/shifts"
NOV = {"from": "2026-11-01", "to": "2026-11-30"}

# The export's Chinese header for each JSON field of an hour report row.
HEADERS = {
    "scanned_minutes": "扫码时长（分钟）", "manual_minutes": "补录时长（分钟）",
    "credited_minutes": "计入时长（分钟）", "hours": "计入时长（小时）", "shift_count": "上岗次数",
    "persuasions": "劝导人次", "questionnaires": "问卷份数", "volunteers": "参与人数", "pending_shift_count": "待审核次数",
    "pending_minutes": "待审核时长（分钟）",
}


@pytest.fixture
def month(county):
    people = {"a": [factories.volunteer(county.unit_a, name=n) for n in ("张伟", "李娜", "王芳")],
              "b": [factories.volunteer(county.unit_b, name=n) for n in ("刘洋", "陈静", "杨磊")]}
    return build_month(county, people)


@pytest.fixture
def leader(app):
    return factories.headers(factories.console_user("leader"))


def get_json(client, url, headers, **params):
    res = client.get(url, headers=headers, query_string=params)
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def xlsx_rows(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM so Excel reads Chinese"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("group_by", ["unit", "volunteer", "post", "week"])
def test_xlsx_holds_the_same_numbers_as_the_json(client, month, leader, group_by):
    body = get_json(client, HOURS, leader, group_by=group_by, **NOV)
    res = client.get(HOURS, headers=leader, query_string={"group_by": group_by, "format": "xlsx", **NOV})
    assert res.status_code == 200 and res.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in res.headers["Content-Disposition"]
    assert "志愿服务时长" in unquote(res.headers["Content-Disposition"])
    rows = xlsx_rows(res.data)
    header, data, totals = rows[0], rows[1:-1], rows[-1]
    assert len(data) == len(body["rows"])
    for field, title in HEADERS.items():
        if group_by == "volunteer" and field == "volunteers":
            continue
        column = header.index(title)
        assert [r[column] for r in data] == [r[field] for r in body["rows"]], field
        assert totals[column] == body["totals"][field]
    assert totals[0] == "合计"
    assert not any(isinstance(v, str) and v.startswith("=") for row in rows for v in row), "values, not formulas"


def test_xlsx_is_laid_out_for_people(client, month, leader):
    res = client.get(HOURS, headers=leader, query_string={"group_by": "unit", "format": "xlsx", **NOV})
    sheet = load_workbook(io.BytesIO(res.data)).worksheets[0]
    assert sheet["A1"].value == "单位编号" and sheet["B1"].value == "单位" and sheet["A1"].font.b
    assert sheet.column_dimensions["B"].width >= 20
    assert sheet.freeze_panes == "A2"
    last = sheet.max_row
    assert sheet.cell(last, 1).value == "合计" and sheet.cell(last, 1).font.b
    hours_column = [c.value for c in sheet[1]].index("计入时长（小时）") + 1
    assert sheet.cell(2, hours_column).number_format == "0.00"


def test_csv_by_volunteer_holds_the_same_rows_as_the_json(client, month, leader):
    body = get_json(client, HOURS, leader, group_by="volunteer", **NOV)
    # buffered: read the stream while the request is still in progress, as a browser does
    res = client.get(HOURS, headers=leader, query_string={"group_by": "volunteer", "format": "csv", **NOV},
                     buffered=True)
    assert res.status_code == 200 and res.mimetype == "text/csv"
    rows = csv_rows(res.data)
    header, data, totals = rows[0], rows[1:-1], rows[-1]
    assert header[:5] == ["志愿者编号", "姓名", "单位", "手机号", "星级"]
    assert [int(r[0]) for r in data] == [r["volunteer_id"] for r in body["rows"]]
    assert [r[1] for r in data] == [r["name"] for r in body["rows"]]
    assert [r[3] for r in data] == [r["phone"] for r in body["rows"]]  # masked in the file too
    for field, title in HEADERS.items():
        if field == "volunteers":
            continue
        column = header.index(title)
        convert = float if field == "hours" else int
        assert [convert(r[column]) for r in data] == [r[field] for r in body["rows"]], field
        assert convert(totals[column]) == body["totals"][field]
    assert all("****" in r[3] for r in data)


def test_shift_records_export_matches_the_json_records(client, month, leader):
    listed, cursor = [], None
    while True:
        params = {**NOV, "limit": 25, **({"cursor": cursor} if cursor else {})}
        page = get_json(client, SHIFTS, leader, **params)
        listed += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    want = [m for m in month if date(2026, 11, 1) <= m.local_date <= date(2026, 11, 30) and m.status != "open"]
    assert sorted(r["id"] for r in listed) == sorted(m.id for m in want)
    res = client.get(SHIFTS, headers=leader, query_string={**NOV, "format": "xlsx"})
    rows = xlsx_rows(res.data)
    header, data = rows[0], rows[1:]
    assert [r[0] for r in data] == [r["id"] for r in listed]
    credited = header.index("计入时长（分钟）")
    assert [r[credited] for r in data] == [r["credited_minutes"] for r in listed]
    started = header.index("上岗时间")
    assert all(isinstance(r[started], datetime) for r in data), "times are date cells, not text"
    first = listed[0]
    assert data[0][started].isoformat(timespec="seconds") == first["started_at"][:19]  # county wall-clock time
    source = header.index("来源")
    assert {r[source] for r in data} == {"扫码", "补录"}
    csv_data = csv_rows(client.get(SHIFTS, headers=leader, query_string={**NOV, "format": "csv"},
                                   buffered=True).data)
    assert [int(r[0]) for r in csv_data[1:]] == [r["id"] for r in listed]


def test_national_layout_lists_only_counted_shifts_with_the_record_fields(client, county, leader):
    volunteer = factories.volunteer(county.unit_a, name="赵磊")
    district_coordinator = factories.console_user("coordinator", district_=county.east)
    counted = add_shift(volunteer, county.post_east, datetime(2026, 11, 9, 7, 30), 90, persuasions=12)
    manual = add_shift(volunteer, county.post_west, datetime(2026, 11, 10, 8, 0), 60, source="manual",
                       review_state="approved")
    add_shift(volunteer, county.post_east, datetime(2026, 11, 11, 8, 0), 60, review_state="pending")
    add_shift(volunteer, county.post_east, datetime(2026, 11, 12, 8, 0), 60, review_state="rejected", credited=0)
    add_shift(volunteer, county.post_east, datetime(2026, 11, 13, 8, 0), 60, status="voided")
    listed = get_json(client, SHIFTS, leader, **NOV)["items"]
    assert listed[0]["activity"] == "文明交通劝导" and listed[0]["person_in_charge"] == district_coordinator.name
    assert listed[0]["content"] == "在人民路与解放路交叉口开展文明交通劝导，劝导不文明行为 12 人次"
    res = client.get(SHIFTS, headers=leader, query_string={**NOV, "format": "xlsx", "layout": "national"})
    assert res.status_code == 200
    assert "全国志愿服务信息系统导入" in unquote(res.headers["Content-Disposition"])
    rows = xlsx_rows(res.data)
    header = rows[0]
    assert header[:6] == ["序号", "志愿者姓名", "证件类型", "证件号码", "手机号码", "志愿服务项目名称"]
    records = [dict(zip(header, r)) for r in rows[1:]]
    assert [r["原始记录编号"] for r in records] == [counted.id, manual.id]
    first = records[0]
    assert first["志愿服务项目名称"] == "文明交通劝导" and first["服务时长（小时）"] == 1.5
    assert first["服务日期"].date() == date(2026, 11, 9) and first["开始时间"] == datetime(2026, 11, 9, 7, 30)
    assert first["服务地点"] == "城东片区·人民路与解放路交叉口" and "12 人次" in first["服务内容"]
    assert first["组织单位"] == "县财政局" and first["活动负责人"] == district_coordinator.name
    assert first["记录方式"] == "扫码签到签退" and records[1]["记录方式"] == "补录"
    assert records[1]["志愿服务项目名称"] == "文明游园引导"  # the west post is a park


def test_json_has_no_national_layout(client, leader):
    res = client.get(SHIFTS, headers=leader, query_string={"layout": "national"})
    assert res.status_code == 422 and res.get_json()["error"]["field"] == "layout"


def test_admin_exports_carry_full_phone_numbers(client, county):
    volunteer = factories.volunteer(county.unit_a)
    admin = factories.headers(factories.console_user("admin"))
    res = client.get(HOURS, headers=admin, query_string={"group_by": "volunteer", "format": "csv", **NOV},
                     buffered=True)
    assert csv_rows(res.data)[1][3] == volunteer.phone


def test_command_line_writes_the_monthly_unit_report(app, client, month, tmp_path):
    out = tmp_path / "十一月.xlsx"
    result = app.test_cli_runner().invoke(args=[
        "reports", "hours", "--from", "2026-11-01", "--to", "2026-11-30", "--group-by", "unit",
        "--out", str(out), "--json"])  # the format follows the file's extension
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["out"] == str(out)
    admin = factories.headers(factories.console_user("admin"))
    body = get_json(client, HOURS, admin, group_by="unit", **NOV)
    assert summary["totals"]["credited_minutes"] == body["totals"]["credited_minutes"]
    rows = xlsx_rows(out.read_bytes())
    column = rows[0].index("计入时长（分钟）")
    assert [r[column] for r in rows[1:-1]] == [r["credited_minutes"] for r in body["rows"]]
    assert rows[-1][column] == body["totals"]["credited_minutes"]


def test_command_line_national_csv_goes_to_standard_output(app, county):
    volunteer = factories.volunteer(county.unit_b)
    add_shift(volunteer, county.post_east, datetime(2026, 11, 9, 7, 30), 45)
    result = app.test_cli_runner().invoke(args=[
        "reports", "shifts", "--from", "2026-11-01", "--to", "2026-11-30", "--layout", "national", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output.lstrip("\ufeff"))))
    assert rows[0][0] == "序号" and rows[1][1] == volunteer.name and rows[1][4] == volunteer.phone
