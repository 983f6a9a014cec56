"""Was every planned slot staffed? Covered, partial (how much missing, how late) or missed."""
import pytest

from tests import factories
from tests.roster_data import shift, slots

CONSOLE = "/api/console/v1"
DAY = "2026-11-20"


@pytest.fixture
def week(county):
    """One Friday at three posts; the expected figures are worked out by hand in each test."""
    class Week:
        admin = factories.console_user("admin")
        leader = factories.console_user("leader")
        coordinator_a = factories.console_user("coordinator", unit_=county.unit_a)
        west_coordinator = factories.console_user("coordinator", district_=county.west)
        alice = factories.volunteer(county.unit_a, name="王小丽")
        bob = factories.volunteer(county.unit_a, name="李大军")
        carol = factories.volunteer(county.unit_b, name="陈芳")
        dave = factories.volunteer(county.unit_b, name="赵强")

    w = Week
    east, west, east2 = county.post_east, county.post_west, county.post_east2
    w.s1 = slots(w.coordinator_a, east, DAY, "07:00", "09:00", volunteers=[w.alice])
    w.s2 = slots(w.coordinator_a, east, DAY, "17:00", "19:00", volunteers=[w.bob])
    w.s3 = slots(w.admin, west, DAY, "07:00", "09:00", unit=county.unit_b)
    w.s4 = slots(w.admin, east2, DAY, "07:00", "09:00", needed=2, volunteers=[w.carol, w.dave], unit=county.unit_b)
    w.s5 = slots(w.admin, east2, DAY, "12:00", "13:00", volunteers=[w.carol], unit=county.unit_b)
    w.later = slots(w.admin, east, "2099-01-01", "07:00", "09:00")
    shift(w.alice, east, f"{DAY} 06:50", f"{DAY} 09:05")          # s1 whole: covered
    shift(w.bob, east, f"{DAY} 17:22", f"{DAY} 19:00")            # s2 from 17:22: 22 minutes late
    shift(w.bob, west, f"{DAY} 07:00", f"{DAY} 09:00", status="voided")  # s3: a voided shift covers nothing
    shift(w.carol, east2, f"{DAY} 07:00", f"{DAY} 08:00")         # s4 needs two: one at a time,
    shift(w.dave, east2, f"{DAY} 08:00", f"{DAY} 09:00")          # so half the person-minutes
    shift(w.carol, east2, f"{DAY} 12:03", f"{DAY} 13:00")         # s5: 3 minutes late, within the grace
    shift(w.bob, west, f"{DAY} 12:00", f"{DAY} 13:00")            # no slot: hours, not coverage
    return w


def report(client, user, **params):
    res = client.get(f"{CONSOLE}/coverage", query_string={"from": DAY, "to": DAY, **params},
                     headers=factories.headers(user))
    assert res.status_code == 200, res.json
    return res.json


def test_each_slot_is_covered_partial_or_missed_in_person_minutes(client, county, week):
    body = report(client, week.leader)
    by_id = {s["slot_id"]: s for s in body["slots"]}
    figures = {key: (s["state"], s["planned_person_minutes"], s["covered_person_minutes"],
                     s["missing_person_minutes"], s["late_minutes"]) for key, s in
               (("s1", by_id[week.s1]), ("s2", by_id[week.s2]), ("s3", by_id[week.s3]), ("s4", by_id[week.s4]),
                ("s5", by_id[week.s5]))}
    assert figures == {
        "s1": ("covered", 120, 120, 0, 0),
        "s2": ("partial", 120, 98, 22, 22),
        "s3": ("missed", 120, 0, 120, None),
        "s4": ("partial", 240, 120, 120, 0),
        "s5": ("covered", 60, 57, 3, 3),
    }


def test_posts_and_districts_get_the_share_of_planned_minutes_covered(client, county, week):
    body = report(client, week.leader)
    posts = {p["post"]["id"]: (p["planned_person_minutes"], p["covered_person_minutes"], p["share"],
                               p["covered"], p["partial"], p["missed"]) for p in body["posts"]}
    assert posts == {
        county.post_east.id: (240, 218, round(218 / 240, 4), 1, 1, 0),
        county.post_west.id: (120, 0, 0.0, 0, 0, 1),
        county.post_east2.id: (300, 177, round(177 / 300, 4), 1, 1, 0),
    }
    districts = {d["district"]["name"]: d["share"] for d in body["districts"]}
    assert districts == {"城东片区": round(395 / 540, 4), "城西片区": 0.0}
    assert body["totals"]["share"] == round(395 / 660, 4) and body["totals"]["slots"] == 5


def test_a_shift_with_no_slot_counts_as_hours_but_not_as_coverage(client, county, week):
    body = report(client, week.leader, post_id=county.post_west.id)
    assert [(s["state"], s["covered_person_minutes"]) for s in body["slots"]] == [("missed", 0)]
    ranking = client.get(f"{CONSOLE}/rankings", query_string={"from": DAY, "to": DAY},
                         headers=factories.headers(week.leader)).json
    unit_a = next(row for row in ranking["items"] if row["unit"]["id"] == county.unit_a.id)
    assert unit_a["credited_minutes"] == 135 + 98 + 60  # alice 06:50-09:05, bob 17:22-19:00, bob at noon


def test_future_slots_are_upcoming_and_not_in_any_share(client, county, week):
    body = report(client, week.leader, **{"from": "2099-01-01", "to": "2099-01-01"})
    assert [s["state"] for s in body["slots"]] == ["upcoming"]
    assert body["totals"]["share"] is None and body["totals"]["upcoming"] == 1


def test_coordinators_see_coverage_of_their_own_slots_only(client, county, week):
    west = report(client, week.west_coordinator)
    assert [s["slot_id"] for s in west["slots"]] == [week.s3]
    assert [d["district"]["name"] for d in west["districts"]] == ["城西片区"]
    unit_a = report(client, week.coordinator_a)
    assert sorted(s["slot_id"] for s in unit_a["slots"]) == sorted([week.s1, week.s2])
    only_east = report(client, week.leader, district_id=county.east.id)
    assert {s["post"]["district_id"] for s in only_east["slots"]} == {county.east.id}
    elsewhere = client.get(f"{CONSOLE}/coverage", query_string={"district_id": county.east.id},
                           headers=factories.headers(week.west_coordinator))
    assert elsewhere.status_code == 404


def test_the_daily_digest_names_late_missed_and_auto_closed(app, client, county, week):
    shift(week.dave, county.post_west, f"{DAY} 14:00", f"{DAY} 18:00", status="auto_closed")
    res = client.get(f"{CONSOLE}/digest", query_string={"date": DAY}, headers=factories.headers(week.leader))
    assert res.status_code == 200
    digest = res.json
    # Dave took the second hour of s4, an hour after it began; Bob came 22 minutes into s2.
    assert [(r["volunteer"]["name"], r["late_minutes"]) for r in digest["late"]] == [("赵强", 60), ("李大军", 22)]
    assert digest["missed"] == []  # nobody was assigned to the empty west slot
    assert [r["volunteer"]["name"] for r in digest["auto_closed"]] == ["赵强"]
    assert "迟到 22 分钟" in digest["text"] and "李大军（县财政局）" in digest["text"]

    result = app.test_cli_runner().invoke(args=["digest", "--date", DAY])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("【红马甲每日通报】2026年11月20日（星期五）")
    mine = client.get(f"{CONSOLE}/digest", query_string={"date": DAY},
                      headers=factories.headers(week.coordinator_a)).json
    assert mine["counts"]["auto_closed"] == 0  # Dave is unit B's


def test_a_volunteer_who_never_came_is_missed_once_the_slot_ended(client, county, week):
    slots(week.admin, county.post_west, DAY, "19:00", "21:00", volunteers=[week.alice, week.carol], needed=2)
    shift(week.carol, county.post_west, f"{DAY} 19:20", f"{DAY} 21:00")
    digest = client.get(f"{CONSOLE}/digest", query_string={"date": DAY},
                        headers=factories.headers(week.leader)).json
    assert [r["volunteer"]["name"] for r in digest["missed"]] == ["王小丽"]
    assert ("陈芳", 20) in [(r["volunteer"]["name"], r["late_minutes"]) for r in digest["late"]]


def test_overlapping_records_count_once_per_person_and_never_past_what_the_slot_needs(client, county):
    leader, admin = factories.console_user("leader"), factories.console_user("admin")
    carol, dave = factories.volunteer(county.unit_b, name="陈芳"), factories.volunteer(county.unit_b, name="赵强")
    day = "2026-11-21"
    pair = slots(admin, county.post_east2, day, "15:00", "17:00", needed=2)
    single = slots(admin, county.post_east, day, "15:00", "17:00", needed=1)
    shift(carol, county.post_east2, f"{day} 15:00", f"{day} 16:30")
    shift(carol, county.post_east2, f"{day} 16:00", f"{day} 17:00")  # her second record overlaps the first
    shift(carol, county.post_east, f"{day} 15:00", f"{day} 16:30")
    shift(dave, county.post_east, f"{day} 16:00", f"{day} 17:00")  # two people where one is needed
    by_id = {s["slot_id"]: s for s in report(client, leader, **{"from": day, "to": day})["slots"]}
    assert (by_id[pair]["state"], by_id[pair]["covered_person_minutes"]) == ("partial", 120)  # one person, not 150
    assert (by_id[single]["state"], by_id[single]["covered_person_minutes"]) == ("covered", 120)  # not 150
