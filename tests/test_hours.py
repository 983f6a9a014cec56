"""How a shift's length becomes credited hours, at the boundaries."""
from datetime import datetime, timedelta, timezone

import pytest

from server.checkin import hours
from server.checkin import shifts
from server.clock import zone
from server.db import db
from server.models import AuditLog, Shift, User
from tests import factories
from tests.factories import at_post

SHANGHAI = zone("Asia/Shanghai")


def rules(app):
    return shifts.Rules.from_config(app.config, SHANGHAI)


def scan(post):
    return shifts.Scan(**{k: v for k, v in at_post(post).items()})


@pytest.fixture
def volunteer(county):
    """The volunteer's user id, as the scan services take it."""
    return factories.volunteer(county.unit_a).id


def run_shift(app, volunteer, post, start, end):
    shift, _ = shifts.start(volunteer, scan(post), None, start, rules(app))
    return shifts.end(volunteer, shift["id"], scan(post), end, rules(app))


T0 = datetime(2026, 11, 20, 7, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("length, credited, flags", [
    (timedelta(minutes=14, seconds=59), 0, ["too_short"]),
    (timedelta(minutes=15), 15, []),
    (timedelta(minutes=15, seconds=59), 15, []),
    (timedelta(minutes=240), 240, []),
    (timedelta(minutes=240, seconds=59), 240, []),
    (timedelta(minutes=241), 240, ["capped"]),
])
def test_credited_minutes_at_the_boundaries(app, county, volunteer, length, credited, flags):
    shift = run_shift(app, volunteer, county.post_east, T0, T0 + length)
    assert shift["credited_minutes"] == credited
    assert shift["flags"] == flags
    assert shift["review_state"] == ("pending" if flags else "none")


def test_rules_are_configurable(make_app):
    app = make_app(MIN_SHIFT_MINUTES=30, MAX_SHIFT_MINUTES=60)
    with app.app_context():
        assert rules(app).min_minutes == 30 and rules(app).max_minutes == 60
        assert hours.credit(T0, T0 + timedelta(minutes=29), min_minutes=30, max_minutes=60).minutes == 0
        assert hours.credit(T0, T0 + timedelta(minutes=90), min_minutes=30, max_minutes=60).minutes == 60


def test_shift_belongs_to_the_local_date_it_started_on(app, county, volunteer):
    # 23:50 Beijing time on 19 Nov is 15:50 UTC; the shift runs past local midnight.
    start = datetime(2026, 11, 19, 15, 50, tzinfo=timezone.utc)
    shift = run_shift(app, volunteer, county.post_east, start, start + timedelta(minutes=40))
    assert shift["local_date"].isoformat() == "2026-11-19"
    # 00:10 Beijing time on 20 Nov is still 19 Nov in UTC, but it is the 20th locally.
    start = datetime(2026, 11, 19, 16, 10, tzinfo=timezone.utc)
    shift = run_shift(app, volunteer, county.post_east, start, start + timedelta(minutes=40))
    assert shift["local_date"].isoformat() == "2026-11-20"


def test_hours_by_local_date_range_and_month(app, client, county, volunteer):
    late_oct = datetime(2026, 10, 31, 15, 30, tzinfo=timezone.utc)  # 23:30 on 31 Oct local
    just_nov = datetime(2026, 10, 31, 16, 30, tzinfo=timezone.utc)  # 00:30 on 1 Nov local
    run_shift(app, volunteer, county.post_east, late_oct, late_oct + timedelta(minutes=50))
    run_shift(app, volunteer, county.post_east, just_nov, just_nov + timedelta(minutes=70))
    h = factories.headers(db.session.get(User, volunteer))
    nov = client.get("/api/mp/v1/me/hours?from=2026-11-01&to=2026-11-30", headers=h).get_json()
    assert nov["credited_minutes"] == 70 and nov["shift_count"] == 1
    both = client.get("/api/mp/v1/me/hours", headers=h).get_json()
    assert [(m["month"], m["credited_minutes"]) for m in both["months"]] == [("2026-10", 50), ("2026-11", 70)]
    assert both["hours"] == 2.0
    assert client.get("/api/mp/v1/me/hours?from=2026-13-01", headers=h).status_code == 422
    assert client.get("/api/mp/v1/me/hours?from=2026-11-02&to=2026-11-01", headers=h).status_code == 422


def test_flagged_shifts_are_shown_apart_until_reviewed(app, client, county, volunteer):
    run_shift(app, volunteer, county.post_east, T0, T0 + timedelta(minutes=300))  # capped → pending
    h = factories.headers(db.session.get(User, volunteer))
    totals = client.get("/api/mp/v1/me/hours", headers=h).get_json()
    assert totals["credited_minutes"] == 0
    assert totals["pending_minutes"] == 240 and totals["pending_shift_count"] == 1


@pytest.mark.parametrize("hours_served, stars", [
    (0, 0), (99.98, 0), (100, 1), (299, 1), (300, 2), (600, 3), (999, 3), (1000, 4), (1500, 5), (5000, 5)])
def test_star_levels_follow_the_national_thresholds(hours_served, stars):
    assert hours.star_level(round(hours_served * 60)) == stars


def test_close_stale_auto_closes_forgotten_shifts(app, county, volunteer):
    start = T0
    shift, _ = shifts.start(volunteer, scan(county.post_east), None, start, rules(app))
    other = factories.volunteer(county.unit_b)
    fresh, _ = shifts.start(other.id, scan(county.post_east), None,
                            start + timedelta(minutes=100), rules(app))
    closed = shifts.close_stale(start + timedelta(minutes=240), rules(app))
    assert closed == [shift["id"]]
    row = db.session.get(Shift, shift["id"])
    assert row.status == "auto_closed" and row.credited_minutes == 0
    assert row.ended_at == start + timedelta(minutes=240)
    assert "auto_closed" in row.flags and row.review_state == "pending"
    assert db.session.get(Shift, fresh["id"]).status == "open"
    audit = db.session.query(AuditLog).filter_by(entity_type="shift", entity_id=shift["id"]).one()
    assert audit.action == "auto_close" and audit.actor_id is None
    # The volunteer can start again after an auto-close.
    again, created = shifts.start(volunteer, scan(county.post_east), None, start + timedelta(minutes=241),
                                  rules(app))
    assert created


def test_close_stale_from_the_command_line(app, county, volunteer):
    shifts.start(volunteer, scan(county.post_east), None, T0, rules(app))
    result = app.test_cli_runner().invoke(args=["shifts", "close-stale", "--json"])
    assert result.exit_code == 0
    import json
    assert json.loads(result.output)["closed"] == 1


def test_audit_log_is_append_only_in_the_database(app):
    import sqlalchemy as sa
    from sqlalchemy.exc import DatabaseError
    db.session.add(AuditLog(at=T0, action="test", entity_type="shift", entity_id=1, reason="x"))
    db.session.commit()
    for statement in ("UPDATE audit_log SET reason = 'changed'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError):
            db.session.execute(sa.text(statement))
            db.session.commit()
        db.session.rollback()
    assert db.session.query(AuditLog).one().reason == "x"
