"""The monthly assessment (月考核): units ranked by hours per member, targets met and slots covered."""
import pytest

from tests import factories
from tests.roster_data import shift, slots

CONSOLE = "/api/console/v1"


@pytest.fixture
def october(client, county):
    """October at three units. Every expected figure below comes from this table, not from the code."""
    unit_c = factories.unit("县公安局")
    admin, leader = factories.console_user("admin"), factories.console_user("leader")
    a, b = county.unit_a, county.unit_b
    alice, bob = factories.volunteer(a, name="王小丽"), factories.volunteer(a, name="李大军")
    factories.volunteer(a, status="suspended")           # not a member: suspended
    factories.volunteer(a, registered=False)             # not a member: never registered
    carol, dave, erin = (factories.volunteer(b, name=n) for n in ("陈芳", "赵强", "孙丽"))
    frank = factories.volunteer(unit_c, name="周明")

    east, west = county.post_east, county.post_west
    slots(admin, east, "2026-10-02", "07:00", "09:00", unit=a)               # unit A's slot
    slots(admin, west, "2026-10-03", "07:00", "09:00", needed=2, unit=b)     # unit B's slot, two people
    shifts = [  # (volunteer, post, start, end, review_state, counted minutes)
        (alice, east, "2026-10-02 07:00", "2026-10-02 09:00", "none", 120),
        (alice, east, "2026-10-09 07:00", "2026-10-09 08:00", "none", 60),
        (bob, east, "2026-10-10 07:00", "2026-10-10 08:30", "pending", 0),
        (bob, east, "2026-10-11 07:00", "2026-10-11 07:30", "rejected", 0),
        (carol, west, "2026-10-03 07:00", "2026-10-03 11:00", "none", 240),
        (dave, west, "2026-10-12 07:00", "2026-10-12 08:00", "approved", 60),
        (frank, west, "2026-10-13 07:00", "2026-10-13 07:45", "adjusted", 45),
        (alice, east, "2026-11-01 07:00", "2026-11-01 09:00", "none", 0),   # November: not October's
    ]
    for volunteer, post, start, end, review, _ in shifts:
        shift(volunteer, post, start, end, review_state=review)
    for unit, hours_, active in ((a, 5, 2), (b, 10, 3)):
        res = client.put(f"{CONSOLE}/unit-targets", headers=factories.headers(leader), json={
            "unit_id": unit.id, "month": "2026-10", "target_hours": hours_, "target_active_volunteers": active})
        assert res.status_code == 200, res.json

    class October:
        pass
    o = October
    o.leader, o.admin, o.unit_c = leader, admin, unit_c
    o.members = {a.id: 2, b.id: 3, unit_c.id: 1}
    o.minutes = {a.id: 180, b.id: 300, unit_c.id: 45}
    o.active = {a.id: 1, b.id: 2, unit_c.id: 1}
    o.targets = {a.id: (5, 2), b.id: (10, 3)}
    o.coverage = {a.id: 120 / 120, b.id: 120 / 240}
    return o


def expected_order(o) -> list[tuple[int, float, float | None, float | None]]:
    """Rank each measure by hand, then order by the mean rank."""
    units = list(o.members)
    per_member = {u: round(o.minutes[u] / 60 / o.members[u], 2) for u in units}
    attainment = {}
    for u, (target_hours, target_active) in o.targets.items():
        attainment[u] = round((o.minutes[u] / 60 / target_hours + o.active[u] / target_active) / 2, 4)

    def ranks(values: dict) -> dict:
        ordered = sorted(values, key=lambda u: -values[u])
        return {u: ordered.index(u) + 1 for u in ordered}

    all_ranks = [ranks(per_member), ranks(attainment), ranks(o.coverage)]
    score = {u: sum(r[u] for r in all_ranks if u in r) / sum(1 for r in all_ranks if u in r) for u in units}
    ordered = sorted(units, key=lambda u: score[u])
    return [(u, per_member[u], attainment.get(u), o.coverage.get(u)) for u in ordered]


def test_units_are_ranked_by_hours_per_member_targets_and_coverage(client, county, october):
    res = client.get(f"{CONSOLE}/rankings", query_string={"month": "2026-10"},
                     headers=factories.headers(october.leader))
    assert res.status_code == 200, res.json
    items = res.json["items"]
    got = [(row["unit"]["id"], row["hours_per_member"], row["attainment"], row["slot_coverage"]) for row in items]
    assert got == expected_order(october)
    assert [row["rank"] for row in items] == [1, 2, 3]
    unit_a = next(row for row in items if row["unit"]["id"] == county.unit_a.id)
    assert (unit_a["members"], unit_a["active_volunteers"], unit_a["hours"]) == (2, 1, 3.0)
    assert (unit_a["hours_attainment"], unit_a["active_attainment"]) == (0.6, 0.5)


def test_a_unit_coordinator_sees_its_own_row_with_its_county_rank(client, county, october):
    coordinator = factories.console_user("coordinator", unit_=county.unit_a)
    items = client.get(f"{CONSOLE}/rankings", query_string={"month": "2026-10"},
                       headers=factories.headers(coordinator)).json["items"]
    assert [(row["unit"]["id"], row["rank"]) for row in items] == [
        (county.unit_a.id, [u for u, *_ in expected_order(october)].index(county.unit_a.id) + 1)]
    district = factories.console_user("coordinator", district_=county.east)
    assert client.get(f"{CONSOLE}/rankings", headers=factories.headers(district)).status_code == 403


def test_only_the_command_office_sets_monthly_targets(client, county, october):
    coordinator = factories.console_user("coordinator", unit_=county.unit_a)
    res = client.put(f"{CONSOLE}/unit-targets", headers=factories.headers(coordinator), json={
        "unit_id": county.unit_a.id, "month": "2026-10", "target_hours": 1})
    assert res.status_code == 403
    listed = client.get(f"{CONSOLE}/unit-targets", query_string={"month": "2026-10"},
                        headers=factories.headers(coordinator)).json["items"]
    assert [(t["unit_id"], t["target_hours"]) for t in listed] == [(county.unit_a.id, 5)]
    bad = client.put(f"{CONSOLE}/unit-targets", headers=factories.headers(october.leader), json={
        "unit_id": county.unit_a.id, "month": "2026-13", "target_hours": 1})
    assert bad.status_code == 422 and bad.json["error"]["field"] == "month"


def test_a_period_other_than_a_month_ranks_without_targets(client, county, october):
    items = client.get(f"{CONSOLE}/rankings", query_string={"from": "2026-10-01", "to": "2026-10-07"},
                       headers=factories.headers(october.admin)).json["items"]
    by_unit = {row["unit"]["id"]: row for row in items}
    assert by_unit[county.unit_a.id]["credited_minutes"] == 120
    assert all(row["attainment"] is None for row in items)
