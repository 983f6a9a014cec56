"""Coordinators plan who stands where: one slot, a weekly pattern, a sheet; nobody is double-booked."""
import io
import threading
from datetime import date, timedelta

import pytest
import requests
import sqlalchemy as sa
from openpyxl import Workbook

from server.clock import utcnow
from server.db import db
from server.models import DutySlot, SlotAssignment
from tests import factories
from tests.roster_data import TZ

CONSOLE = "/api/console/v1"


def day(offset: int) -> date:
    return utcnow().astimezone(TZ).date() + timedelta(days=offset)


def slot_count() -> int:
    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count()).select_from(DutySlot)).scalar_one()


@pytest.fixture
def people(county):
    class People:
        coordinator_a = factories.console_user("coordinator", unit_=county.unit_a)
        coordinator_b = factories.console_user("coordinator", unit_=county.unit_b)
        east_coordinator = factories.console_user("coordinator", district_=county.east)
        leader = factories.console_user("leader")
        admin = factories.console_user("admin")
        alice = factories.volunteer(county.unit_a, name="王小丽")
        bob = factories.volunteer(county.unit_a, name="李大军")
        carol = factories.volunteer(county.unit_b, name="陈芳")
    return People


def create(client, user, **body):
    return client.post(f"{CONSOLE}/slots", json=body, headers=factories.headers(user))


def test_coordinator_plans_a_slot_and_the_volunteer_sees_it_in_the_mini_program(client, county, people):
    res = create(client, people.coordinator_a, post_id=county.post_east.id, date=day(1).isoformat(),
                 start="07:00", end="09:00", needed=2, volunteer_ids=[people.alice.id])
    assert res.status_code == 201, res.json
    slot = res.json
    assert (slot["start"], slot["end"], slot["needed"]) == ("07:00", "09:00", 2)
    assert slot["starts_at"] == f"{day(1).isoformat()}T07:00:00+08:00"
    assert slot["unit_id"] == county.unit_a.id  # a unit coordinator's slots are staffed by its unit
    assert [p["name"] for p in slot["assigned"]] == ["王小丽"]

    roster = client.get("/api/mp/v1/me/roster", headers=factories.headers(people.alice)).json["items"]
    assert [(r["slot_id"], r["post"]["name"], r["start"]) for r in roster] == [
        (slot["id"], "人民路与解放路交叉口", "07:00")]
    assert client.get("/api/mp/v1/me/roster", headers=factories.headers(people.bob)).json["items"] == []


def test_a_slot_may_run_past_midnight_but_not_longer_than_twelve_hours(client, county, people):
    night = create(client, people.admin, post_id=county.post_west.id, date=day(1).isoformat(),
                   start="22:00", end="02:00")
    assert night.status_code == 201
    assert night.json["ends_at"] == f"{day(2).isoformat()}T02:00:00+08:00"
    too_long = create(client, people.admin, post_id=county.post_west.id, date=day(1).isoformat(),
                      start="06:00", end="19:00")
    assert too_long.status_code == 422 and too_long.json["error"]["field"] == "end"


def test_a_weekly_pattern_plans_the_chosen_weekdays_between_two_dates(client, county, people):
    # Carol (unit B) served at the east district before, so its coordinator may see and roster her.
    start = utcnow() - timedelta(days=3)
    factories.shift(people.carol, county.post_east, start, start + timedelta(hours=1))
    first = day(1)
    last = first + timedelta(days=20)
    res = client.post(f"{CONSOLE}/slots/weekly", headers=factories.headers(people.east_coordinator), json={
        "post_id": county.post_east2.id, "from": first.isoformat(), "to": last.isoformat(),
        "weekdays": [1, 3, 5], "start": "17:00", "end": "19:00", "needed": 1,
        "volunteer_ids": [people.carol.id]})
    assert res.status_code == 201, res.json
    expected = [first + timedelta(days=n) for n in range(21) if (first + timedelta(days=n)).isoweekday() in (1, 3, 5)]
    assert [item["date"] for item in res.json["items"]] == [d.isoformat() for d in expected]
    assert res.json["created"] == len(expected) == slot_count()


def test_a_volunteer_cannot_be_in_two_overlapping_slots(client, county, people):
    morning = create(client, people.coordinator_a, post_id=county.post_east.id, date=day(2).isoformat(),
                     start="07:00", end="09:00", volunteer_ids=[people.alice.id])
    assert morning.status_code == 201
    clash = create(client, people.coordinator_a, post_id=county.post_west.id, date=day(2).isoformat(),
                   start="08:30", end="10:00", volunteer_ids=[people.alice.id])
    assert clash.status_code == 409
    assert clash.json["error"]["code"] == "DOUBLE_BOOKED"
    assert clash.json["error"]["slot_id"] == morning.json["id"]
    # Back to back is fine: the first slot ends when the next begins.
    after = create(client, people.coordinator_a, post_id=county.post_west.id, date=day(2).isoformat(),
                   start="09:00", end="10:00", volunteer_ids=[people.alice.id])
    assert after.status_code == 201

    empty = create(client, people.coordinator_a, post_id=county.post_east2.id, date=day(2).isoformat(),
                   start="08:00", end="08:45", needed=1)
    assign = client.post(f"{CONSOLE}/slots/{empty.json['id']}/assignments", json={"volunteer_id": people.alice.id},
                         headers=factories.headers(people.coordinator_a))
    assert assign.status_code == 409 and assign.json["error"]["code"] == "DOUBLE_BOOKED"
    assert db.session.execute(sa.select(sa.func.count()).select_from(SlotAssignment)).scalar_one() == 2


def test_a_weekly_pattern_that_would_double_book_anyone_saves_nothing(client, county, people):
    clash_day = day(3)
    create(client, people.coordinator_a, post_id=county.post_west.id, date=clash_day.isoformat(),
           start="07:30", end="08:30", volunteer_ids=[people.bob.id])
    before = slot_count()
    res = client.post(f"{CONSOLE}/slots/weekly", headers=factories.headers(people.coordinator_a), json={
        "post_id": county.post_east.id, "from": day(1).isoformat(), "to": day(7).isoformat(),
        "start": "07:00", "end": "09:00", "volunteer_ids": [people.bob.id]})
    assert res.status_code == 422
    problems = res.json["error"]["problems"]
    assert [(p["date"], p["code"]) for p in problems] == [(clash_day.isoformat(), "DOUBLE_BOOKED")]
    assert slot_count() == before


def test_coordinators_assign_only_the_volunteers_in_their_scope(client, county, people):
    # A unit coordinator: only its own unit's people (another unit's volunteer is not found).
    other_unit = create(client, people.coordinator_a, post_id=county.post_east.id, date=day(1).isoformat(),
                        start="07:00", end="09:00", volunteer_ids=[people.carol.id])
    assert other_unit.status_code == 404
    # A district coordinator: the people it may see (who served at its posts; issue 14 finding 7),
    # and only at the district's own posts. Carol has not served there yet: not found.
    stranger = create(client, people.east_coordinator, post_id=county.post_east.id, date=day(1).isoformat(),
                      start="07:00", end="09:00", volunteer_ids=[people.carol.id])
    assert stranger.status_code == 404 and "陈芳" not in stranger.get_data(as_text=True)
    served = utcnow() - timedelta(days=3)
    factories.shift(people.carol, county.post_east, served, served + timedelta(hours=1))
    own_post = create(client, people.east_coordinator, post_id=county.post_east.id, date=day(1).isoformat(),
                      start="07:00", end="09:00", volunteer_ids=[people.carol.id])
    assert own_post.status_code == 201
    other_district = create(client, people.east_coordinator, post_id=county.post_west.id,
                            date=day(1).isoformat(), start="07:00", end="09:00")
    assert other_district.status_code == 404
    # Unit B's coordinator sees the slot its volunteer is on; unit A's does not.
    slot_id = own_post.json["id"]
    assert client.get(f"{CONSOLE}/slots/{slot_id}", headers=factories.headers(people.coordinator_b)).status_code == 200
    assert client.get(f"{CONSOLE}/slots/{slot_id}", headers=factories.headers(people.coordinator_a)).status_code == 404
    # Leaders read rosters but do not plan them.
    assert client.get(f"{CONSOLE}/slots/{slot_id}", headers=factories.headers(people.leader)).status_code == 200
    assert create(client, people.leader, post_id=county.post_east.id, date=day(1).isoformat(),
                  start="10:00", end="11:00").status_code == 403


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    return "\n".join(",".join(row) for row in rows).encode(encoding)


def upload(client, user, data: bytes, name: str = "roster.csv", **params):
    return client.post(f"{CONSOLE}/slots/import", query_string=params, headers=factories.headers(user),
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_a_sheet_saved_by_excel_in_gb18030_imports_every_row(client, county, people):
    d = day(2).isoformat()
    sheet = _csv([["岗位编号", "日期", "开始", "结束", "人数", "志愿者"],
                  [county.post_east.code, d, "7:00", "9:00", "2", f"{people.alice.phone}、李大军"],
                  [county.post_west.code, d.replace("-", "/"), "17:00", "19:00", "", "王小丽"]], "gb18030")
    checked = upload(client, people.coordinator_a, sheet, dry_run="1")
    assert checked.status_code == 200 and checked.json["created"] == 0 and slot_count() == 0
    res = upload(client, people.coordinator_a, sheet)
    assert res.status_code == 201, res.json
    assert res.json["created"] == 2 == slot_count()
    roster = client.get("/api/mp/v1/me/roster", headers=factories.headers(people.alice)).json["items"]
    assert [(r["post"]["code"], r["start"], r["end"]) for r in roster] == [
        (county.post_east.code, "07:00", "09:00"), (county.post_west.code, "17:00", "19:00")]


def test_an_xlsx_sheet_with_real_date_and_time_cells_imports(client, county, people):
    from datetime import time

    book = Workbook()
    sheet = book.active
    sheet.append(["post_code", "date", "start", "end", "volunteers"])
    sheet.append([county.post_east2.code, day(4), time(6, 30), time(8, 0), people.bob.phone])
    out = io.BytesIO()
    book.save(out)
    res = upload(client, people.coordinator_a, out.getvalue(), name="排班表.xlsx")
    assert res.status_code == 201, res.json
    slot = client.get(f"{CONSOLE}/slots/{res.json['slot_ids'][0]}", headers=factories.headers(people.admin)).json
    assert (slot["date"], slot["start"], slot["end"]) == (day(4).isoformat(), "06:30", "08:00")


def test_a_sheet_with_bad_rows_names_each_one_and_imports_nothing(client, county, people):
    d = day(2).isoformat()
    sheet = _csv([
        ["岗位编号", "日期", "开始", "结束", "人数", "志愿者"],
        [county.post_east.code, d, "07:00", "09:00", "1", people.alice.phone],   # row 2: fine on its own
        ["P9999", d, "07:00", "09:00", "1", ""],                                 # row 3: no such post
        [county.post_west.code, "明天", "07:00", "09:00", "1", ""],              # row 4: not a date
        [county.post_west.code, d, "08:00", "10:00", "1", people.alice.phone],   # row 5: overlaps row 2
        [county.post_west.code, d, "12:00", "13:00", "1", "13900000000"],        # row 6: unknown phone
        [county.post_west.code, d, "12:00", "13:00", "1", people.carol.phone],   # row 7: not this unit's
        [county.post_east2.code, d, "7:60", "09:00", "1", ""],                   # row 8: not a time
    ])
    res = upload(client, people.coordinator_a, sheet)
    assert res.status_code == 422
    assert res.json["error"]["code"] == "SHEET_INVALID"
    rows = {(r["row"], r["field"]) for r in res.json["error"]["rows"]}
    assert rows == {(3, "post_code"), (4, "date"), (5, "volunteer_ids"), (6, "volunteers"), (7, "volunteers"),
                    (8, "start")}
    assert "第 3、4、5、6、7、8 行" in res.json["error"]["message"]
    assert slot_count() == 0

    fixed = _csv([["岗位编号", "日期", "开始", "结束", "人数", "志愿者"],
                  [county.post_east.code, d, "07:00", "09:00", "1", people.alice.phone]])
    assert upload(client, people.coordinator_a, fixed).status_code == 201
    again = upload(client, people.coordinator_a, fixed)
    assert again.status_code == 422 and again.json["error"]["rows"][0]["row"] == 2
    assert slot_count() == 1


def test_two_coordinators_booking_one_volunteer_at_once_cannot_both_succeed(live_server, county, people):
    served = utcnow() - timedelta(days=3)  # so the east district's coordinator may see her
    factories.shift(people.carol, county.post_east, served, served + timedelta(hours=1))
    east = create_slot_direct(county.post_east, people.east_coordinator)
    west = create_slot_direct(county.post_west, people.admin)
    results = [None, None]
    barrier = threading.Barrier(2)
    carol_id = people.carol.id
    who = [factories.headers(people.east_coordinator), factories.headers(people.admin)]

    def book(i, slot_id):
        barrier.wait()
        results[i] = requests.post(f"{live_server}{CONSOLE}/slots/{slot_id}/assignments",
                                   json={"volunteer_id": carol_id}, headers=who[i], timeout=30).status_code

    threads = [threading.Thread(target=book, args=(0, east)), threading.Thread(target=book, args=(1, west))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409]
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(SlotAssignment).where(
        SlotAssignment.volunteer_id == carol_id)).scalar_one() == 1


def create_slot_direct(post, planner) -> int:
    from tests.roster_data import slots
    return slots(planner, post, day(5).isoformat(), "07:00", "09:00", now=utcnow())


CONSOLE_ENDPOINTS = [
    ("get", "/duty/now"), ("get", "/duty?post_id=1&at=2026-11-26T07:40:00"), ("get", "/coverage"),
    ("get", "/rankings?month=2026-11"), ("get", "/bulletin?week=2026-W48"), ("get", "/bulletin.pdf?week=2026-W48"),
    ("get", "/slots"), ("post", "/slots"), ("post", "/slots/weekly"), ("post", "/slots/import"),
    ("get", "/slots/1"), ("delete", "/slots/1"), ("post", "/slots/1/assignments"),
    ("delete", "/slots/1/assignments/1"), ("get", "/spot-checks"), ("post", "/spot-checks"),
    ("get", "/spot-checks/1"), ("get", "/digest"), ("get", "/unit-targets"), ("put", "/unit-targets"),
]


@pytest.mark.parametrize("method,path", CONSOLE_ENDPOINTS)
def test_a_volunteer_token_is_refused_on_every_roster_console_endpoint(client, county, people, method, path):
    # a console-kind token for a volunteer: the role check refuses it (a mini-program token is 401)
    res = getattr(client, method)(f"{CONSOLE}{path}", json={}, headers=factories.headers(people.alice, kind="console"))
    assert res.status_code == 403
    assert res.json["error"]["code"] == "FORBIDDEN"


@pytest.mark.skipif(not __import__("tests.conftest", fromlist=["_is_postgres"])._is_postgres(),
                    reason="the exclusion constraint exists on PostgreSQL only; SQLite relies on the service")
def test_postgresql_itself_refuses_overlapping_assignments_written_behind_the_services_back(app, county, people):
    from sqlalchemy.exc import IntegrityError

    from tests.roster_data import local, slots

    first = slots(people.admin, county.post_east, day(6).isoformat(), "07:00", "09:00", now=utcnow())
    second = slots(people.admin, county.post_west, day(6).isoformat(), "08:00", "10:00", now=utcnow())
    d = day(6).isoformat()
    db.session.add(SlotAssignment(slot_id=first, volunteer_id=people.carol.id, starts_at=local(f"{d} 07:00"),
                                  ends_at=local(f"{d} 09:00"), created_at=utcnow()))
    db.session.commit()
    db.session.add(SlotAssignment(slot_id=second, volunteer_id=people.carol.id, starts_at=local(f"{d} 08:00"),
                                  ends_at=local(f"{d} 10:00"), created_at=utcnow()))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
