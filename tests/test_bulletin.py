"""The weekly supervision bulletin (督查通报) says what the console says, as a Chinese PDF."""
import json

import pypdfium2
import pytest

from tests import factories
from tests.roster_data import shift, slots

CONSOLE = "/api/console/v1"
WEEK, MONDAY, SUNDAY = "2026-W47", "2026-11-16", "2026-11-22"


@pytest.fixture
def week(county):
    admin, leader = factories.console_user("admin"), factories.console_user("leader")
    a, b = county.unit_a, county.unit_b
    alice, bob = factories.volunteer(a, name="王小丽"), factories.volunteer(a, name="李大军")
    carol, dave = factories.volunteer(b, name="陈芳"), factories.volunteer(b, name="赵强")
    east, west = county.post_east, county.post_west
    for day in ("2026-11-16", "2026-11-17", "2026-11-18"):
        slots(admin, east, day, "07:00", "09:00", unit=a, volunteers=[alice])
        slots(admin, west, day, "07:00", "09:00", unit=b, volunteers=[carol])
    shift(alice, east, "2026-11-16 07:00", "2026-11-16 09:00")
    shift(alice, east, "2026-11-17 07:00", "2026-11-17 09:00")
    shift(alice, east, "2026-11-18 07:10", "2026-11-18 09:00")
    shift(bob, east, "2026-11-19 17:00", "2026-11-19 18:30")
    shift(carol, west, "2026-11-17 07:00", "2026-11-17 08:00")   # west missed on the 16th and 18th
    shift(dave, west, "2026-11-21 09:00", "2026-11-21 10:00")
    shift(dave, west, "2026-11-23 09:00", "2026-11-23 10:00")    # the next week: not in this bulletin
    return leader


def get(client, user, path, **params):
    res = client.get(f"{CONSOLE}{path}", query_string=params, headers=factories.headers(user))
    assert res.status_code == 200, res.json
    return res.json


def pdf_text(data: bytes) -> str:
    document = pypdfium2.PdfDocument(data)
    return "".join(page.get_textpage().get_text_range() for page in document).replace("\r", "")


def test_the_bulletins_figures_are_those_of_the_coverage_and_rankings_endpoints(client, county, week):
    bulletin = get(client, week, "/bulletin", week=WEEK)
    assert (bulletin["from"], bulletin["to"]) == (MONDAY, SUNDAY)
    coverage = get(client, week, "/coverage", **{"from": MONDAY, "to": SUNDAY})
    assert bulletin["totals"]["coverage"] == coverage["totals"]
    assert bulletin["districts"] == coverage["districts"]
    rankings = get(client, week, "/rankings", **{"from": MONDAY, "to": SUNDAY})
    assert bulletin["units"] == rankings["items"]
    assert bulletin["totals"]["hours"] == round(sum(row["credited_minutes"] for row in rankings["items"]) / 60, 2)
    assert [d["hours"] for d in bulletin["hours_per_day"]] == [2.0, 3.0, 1.83, 1.5, 0.0, 1.0, 0.0]
    assert bulletin["posts_missed"] == [{"post": {"id": county.post_west.id, "code": county.post_west.code,
                                                  "name": "星江公园南门"},
                                         "missed": 2, "dates": ["2026-11-16", "2026-11-18"]}]
    assert [row["unit"]["name"] for row in bulletin["best_units"]] == ["县财政局"]
    assert [row["unit"]["name"] for row in bulletin["worst_units"]] == ["县教育局"]


def test_the_pdf_prints_the_same_numbers_in_chinese(client, county, week):
    figures = get(client, week, "/bulletin", week=WEEK)
    res = client.get(f"{CONSOLE}/bulletin.pdf", query_string={"week": WEEK}, headers=factories.headers(week))
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    text = pdf_text(res.data)
    totals = figures["totals"]
    assert "督查通报（2026年第47周）" in text
    assert f"累计服务 {totals['hours']:.2f} 小时" in text
    assert f"排班覆盖率 {totals['coverage']['share'] * 100:.1f}%" in text
    assert f"空岗 {totals['coverage']['missed']} 个" in text
    assert "星江公园南门：空岗 2 次（11月16日、11月18日）" in text
    assert "第1名 县财政局" in text and "第2名 县教育局" in text


def test_the_command_line_writes_the_pdf_for_a_week(app, county, week, tmp_path):
    out = tmp_path / "bulletin.pdf"
    result = app.test_cli_runner().invoke(args=["bulletin", "--week", WEEK, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["pdf"] == str(out) and printed["totals"]["shifts"] == 6
    assert f"累计服务 {printed['totals']['hours']:.2f} 小时" in pdf_text(out.read_bytes())
    bad = app.test_cli_runner().invoke(args=["bulletin", "--week", "2026-48", "--out", str(out)])
    assert bad.exit_code != 0 and "2026-W48" in bad.output


def test_coordinators_do_not_get_the_county_bulletin(client, county, week):
    coordinator = factories.console_user("coordinator", unit_=county.unit_a)
    for path in ("/bulletin", "/bulletin.pdf"):
        res = client.get(f"{CONSOLE}{path}", query_string={"week": WEEK}, headers=factories.headers(coordinator))
        assert res.status_code == 403
