"""A problem past its deadline and not fixed is overdue: the weekly bulletin names it under its
unit, and the unit's on-time rate (bulletin and rankings) drops."""
from datetime import datetime, time, timedelta, timezone

import pytest

from server.db import db
from server.models import Problem
from tests import factories
from tests.problem_helpers import CONSOLE, console, photo, report
from tests.roster_data import TZ
from tests.test_bulletin import pdf_text

WEEK, MONDAY, SUNDAY = "2026-W47", datetime(2026, 11, 16).date(), datetime(2026, 11, 22).date()


@pytest.fixture
def people(county):
    class People:
        volunteer = factories.volunteer(county.unit_b)
        leader = factories.console_user("leader")
        unit_a = factories.console_user("coordinator", unit_=county.unit_a)
    return People


def assigned(client, people, post, description: str, unit) -> int:
    res = report(client, people.volunteer, post, description=description, post_id=post.id, confirm_new=True)
    pid = res.get_json()["id"]
    res = console(client, people.leader, "POST", f"/problems/{pid}/assign", json={"unit_id": unit.id})
    assert res.status_code == 200, res.get_json()
    return pid


def due_on(pid: int, deadline, fixed_on=None) -> None:
    """Move a problem into the bulletin's week: its deadline, and when it was fixed (local noon)."""
    row = db.session.get(Problem, pid)
    row.deadline = deadline
    if fixed_on is not None:
        row.fixed_at = datetime.combine(fixed_on, time(12), TZ).astimezone(timezone.utc)
    db.session.commit()


def bulletin(client, user) -> dict:
    res = client.get(f"{CONSOLE}/bulletin", query_string={"week": WEEK}, headers=factories.headers(user))
    assert res.status_code == 200, res.get_json()
    return res.get_json()


def unit_a_rate(client, people, county) -> float | None:
    res = client.get(f"{CONSOLE}/rankings", query_string={"from": MONDAY.isoformat(), "to": SUNDAY.isoformat()},
                     headers=factories.headers(people.leader))
    return next(row for row in res.get_json()["items"] if row["unit"]["id"] == county.unit_a.id)["on_time_rate"]


def test_an_overdue_problem_is_named_in_the_bulletin_under_its_unit_and_its_rate_drops(client, county, people):
    on_time = assigned(client, people, county.post_east, "路口护栏断裂", county.unit_a)
    after = photo(client, people.unit_a, f"{CONSOLE}/problems/{on_time}/photos", seed=11).get_json()["id"]
    console(client, people.unit_a, "POST", f"/problems/{on_time}/fix", json={"note": "已修", "photo_id": after})
    due_on(on_time, MONDAY + timedelta(days=2), fixed_on=MONDAY + timedelta(days=1))
    figures = bulletin(client, people.leader)["problems"]
    assert figures["overdue_by_unit"] == []
    assert [(r["unit"]["id"], r["on_time_rate"]) for r in figures["on_time_by_unit"]] == [(county.unit_a.id, 1.0)]
    assert unit_a_rate(client, people, county) == 1.0

    late = assigned(client, people, county.post_west, "公园南门垃圾桶倾倒", county.unit_a)
    due_on(late, MONDAY + timedelta(days=3))  # Thursday, and still not fixed

    figures = bulletin(client, people.leader)["problems"]
    assert [(u["unit"]["name"], [p["id"] for p in u["problems"]]) for u in figures["overdue_by_unit"]] \
        == [(county.unit_a.name, [late])]
    assert figures["overdue_by_unit"][0]["problems"][0]["days_overdue"] == 4  # judged on the Monday after
    assert [(r["unit"]["id"], r["on_time_rate"]) for r in figures["on_time_by_unit"]] == [(county.unit_a.id, 0.5)]
    assert unit_a_rate(client, people, county) == 0.5

    pdf = client.get(f"{CONSOLE}/bulletin.pdf", query_string={"week": WEEK}, headers=factories.headers(people.leader))
    text = pdf_text(pdf.data)
    assert "逾期未整改的问题" in text and f"{county.unit_a.name}（1 个）" in text
    assert "公园南门垃圾桶倾倒" in text and "按期整改率 50.0%" in text


def test_a_fix_sent_back_is_no_longer_on_time(client, county, people):
    pid = assigned(client, people, county.post_east, "井盖缺失", county.unit_a)
    after = photo(client, people.unit_a, f"{CONSOLE}/problems/{pid}/photos", seed=12).get_json()["id"]
    console(client, people.unit_a, "POST", f"/problems/{pid}/fix", json={"note": "已补", "photo_id": after})
    console(client, people.leader, "POST", f"/problems/{pid}/verify", json={"accepted": False, "reason": "尺寸不符"})
    due_on(pid, MONDAY)
    assert [p["id"] for u in bulletin(client, people.leader)["problems"]["overdue_by_unit"] for p in u["problems"]] \
        == [pid]
    assert unit_a_rate(client, people, county) == 0.0
