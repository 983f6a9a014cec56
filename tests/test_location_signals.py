"""Each location signal at its boundary: 1 m, 6 decimals, 120 km/h, 15 minutes."""
from datetime import datetime, timedelta, timezone

import pytest

from server.checkin import geo
from server.checkin import location_signals as signals
from server.checkin.location_signals import Fix

POST = (29.248123, 117.861789)
T0 = datetime(2026, 5, 4, 1, 0, tzinfo=timezone.utc)
METRE_LAT = 1 / 111_195  # degrees of latitude in a metre (mean Earth radius)


def north(point, metres):
    return point[0] + metres * METRE_LAT, point[1]


def test_a_point_within_one_metre_of_the_post_is_exact_and_beyond_it_is_not():
    assert signals.at_post_exact(*POST, *POST)
    assert signals.at_post_exact(*north(POST, 0.99), *POST)
    assert not signals.at_post_exact(*north(POST, 1.01), *POST)
    assert geo.haversine_m(*north(POST, 1.01), *POST) == pytest.approx(1.01, abs=0.001)


def test_the_rounded_point_the_mini_program_shows_counts_as_the_post_too():
    published = signals.published_point(*POST)
    assert published == (29.248, 117.862)
    assert signals.at_post_exact(*published, *POST)
    assert not signals.at_post_exact(*north(published, 1.5), *POST)


def test_points_equal_to_six_decimals_are_the_same_and_one_millionth_apart_are_not():
    assert signals.same_point((29.1234561, 117.1234564), (29.1234564, 117.1234559))
    assert not signals.same_point((29.123456, 117.123456), (29.123457, 117.123456))
    assert not signals.same_point((29.123456, 117.123456), (29.123456, 117.123455))
    assert signals.point_key(29.123456, 117.123456) != signals.point_key(29.123456, 117.123457)


def fix(point, accuracy, minutes):
    return Fix(point[0], point[1], accuracy, T0 + timedelta(minutes=minutes))


def test_a_shift_standing_perfectly_still_for_fifteen_minutes_is_static():
    start = fix(north(POST, 20), 15.0, 0)
    assert signals.static(start, start._replace(at=T0 + timedelta(minutes=15)))
    assert not signals.static(start, start._replace(at=T0 + timedelta(minutes=14, seconds=59)))
    # a real phone's fix drifts: another point or another stated accuracy is not static
    assert not signals.static(start, fix(north(POST, 21), 15.0, 60))
    assert not signals.static(start, fix(north(POST, 20), 16.0, 60))


def test_moving_faster_than_120_kmh_between_two_scans_is_a_jump():
    # 2 km in one minute is 120 km/h exactly: allowed; a little more is a jump.
    before = fix(POST, 0.0, 0)
    assert signals.implied_speed_kmh(before, fix(north(POST, 2000), 0.0, 1)) == pytest.approx(120, rel=1e-6)
    assert not signals.jump(before, fix(north(POST, 1999), 0.0, 1))
    assert signals.jump(before, fix(north(POST, 2001), 0.0, 1))
    assert not signals.jump(None, fix(POST, 10.0, 0))


def test_the_stated_accuracies_excuse_gps_jitter_but_not_a_long_jump():
    before = fix(POST, 30.0, 0)
    assert not signals.jump(before, fix(north(POST, 55), 30.0, 0))  # same second, jitter within 60 m
    assert signals.jump(before, fix(north(POST, 5000), 3000.0, 1))  # a vague fix excuses at most 100 m


def test_missing_zero_or_negative_accuracy_is_implausible():
    assert signals.accuracy_implausible(None)
    assert signals.accuracy_implausible(0)
    assert signals.accuracy_implausible(-5)
    assert not signals.accuracy_implausible(0.5)


def test_more_persuasions_than_120_an_hour_of_the_shift_are_implausible():
    assert not signals.persuasions_implausible(120, 60, 120)
    assert signals.persuasions_implausible(121, 60, 120)
    assert not signals.persuasions_implausible(30, 15, 120)
    assert signals.persuasions_implausible(31, 15, 120)


def test_an_honest_shift_raises_nothing_and_a_cheat_raises_what_explains_it():
    start = fix(north(POST, 12), 18.0, 0)
    end = fix(north(POST, 17), 24.0, 62)
    assert signals.at_scan(start, *POST, None, repeated=False) == []
    assert signals.at_end(start, end, *POST, False, 40, 120) == []

    home_start, home_end = fix(POST, None, 0), fix(POST, None, 16)
    assert signals.at_end(home_start, home_end, *POST, True, 500, 120) == [
        "location_at_post_exact", "location_repeated", "accuracy_implausible", "location_static",
        "persuasions_implausible"]
