"""Location signals: what in a scan's reported position suggests it was not taken at the post.

The geofence only checks what the phone claims. These signals look at how it claims it:
a real GPS fix is never exactly the post's stored point, never repeats to the micro-degree
on another day, wanders a little between the start and the end of a shift, and cannot
move faster than a car between two scans. Each is a review flag: none blocks a scan, so an
honest volunteer with an odd phone loses nothing but a coordinator's glance.

Plain functions of plain values (points, times, accuracies): the scan path
(server/checkin/shifts.py) gathers the history they need, bench/trust.py and the tests call
them directly.
"""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from server.checkin import geo

# A real fix almost never lands this close to the surveyed point (nor to the rounded point
# the mini-program API hands out): it was typed in.
EXACT_POINT_M = 1.0
# Points equal to this many decimals (~0.1 m) are the same point.
REPEAT_DECIMALS = 6
# Faster than this between two scans is not walking, cycling or a bus in a county town.
MAX_SPEED_KMH = 120.0
# A phone lying still for this long still reports a drifting fix; a spoofing app does not.
STATIC_MIN_MINUTES = 15
# The mini-program API rounds post locations to this many decimals (~110 m north-south).
PUBLISHED_DECIMALS = 3

AT_POST_EXACT = "location_at_post_exact"
REPEATED = "location_repeated"
STATIC = "location_static"
JUMP = "location_jump"
ACCURACY_IMPLAUSIBLE = "accuracy_implausible"
PERSUASIONS_IMPLAUSIBLE = "persuasions_implausible"
UNROSTERED = "unrostered"

FLAGS = (AT_POST_EXACT, REPEATED, STATIC, JUMP, ACCURACY_IMPLAUSIBLE, PERSUASIONS_IMPLAUSIBLE, UNROSTERED)


class Fix(NamedTuple):
    """One reported position: GCJ-02 degrees, the phone's stated accuracy (metres), when."""

    latitude: float
    longitude: float
    accuracy: float | None
    at: datetime


def published_point(latitude: float, longitude: float) -> tuple[float, float]:
    """A post's location as the mini-program may see it: enough for a map and "nearest post",
    not enough to type in as a scan."""
    return round(latitude, PUBLISHED_DECIMALS), round(longitude, PUBLISHED_DECIMALS)


# 1e-4 degrees is more than 5 m of latitude or longitude below 60° latitude: a point farther
# than that from both points in either coordinate needs no distance computed (the scan path).
_NEAR_DEGREES = 1e-4


def at_post_exact(latitude: float, longitude: float, post_latitude: float, post_longitude: float) -> bool:
    """Within 1 m of the post's stored point or of its published (rounded) point."""
    for lat, lng in ((post_latitude, post_longitude), published_point(post_latitude, post_longitude)):
        if abs(latitude - lat) < _NEAR_DEGREES and abs(longitude - lng) < _NEAR_DEGREES \
                and geo.haversine_m(latitude, longitude, lat, lng) <= EXACT_POINT_M:
            return True
    return False


def point_key(latitude: float, longitude: float) -> int:
    """The point to 6 decimals as one integer (stored with each scan and indexed): two points
    have the same key exactly when they are the same to 6 decimals."""
    scale = 10 ** REPEAT_DECIMALS
    return round(latitude * scale) * 400_000_000 + round(longitude * scale)


def same_point(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return point_key(*a) == point_key(*b)


def accuracy_implausible(accuracy: float | None) -> bool:
    """Every phone fix has an uncertainty: none, zero or a negative one was made up."""
    return accuracy is None or accuracy <= 0


def static(start: Fix, end: Fix) -> bool:
    """Start and end identical, point and accuracy, over a shift of 15 minutes or more."""
    minutes = (end.at - start.at).total_seconds() / 60
    return (minutes >= STATIC_MIN_MINUTES and same_point(start[:2], end[:2])
            and start.accuracy == end.accuracy)


def implied_speed_kmh(previous: Fix, current: Fix) -> float:
    """The slowest speed that explains both fixes: the distance less both stated
    uncertainties (bounded, so a vague fix cannot excuse a long jump) over the time between."""
    metres = geo.haversine_m(previous.latitude, previous.longitude, current.latitude, current.longitude)
    slack = sum(min(max(fix.accuracy or 0.0, 0.0), 100.0) for fix in (previous, current))
    metres = max(0.0, metres - slack)
    seconds = (current.at - previous.at).total_seconds()
    if metres == 0:
        return 0.0
    if seconds <= 0:
        return float("inf")
    return metres / seconds * 3.6


def jump(previous: Fix | None, current: Fix) -> bool:
    """Faster than 120 km/h from the volunteer's previous scan to this one."""
    return previous is not None and implied_speed_kmh(previous, current) > MAX_SPEED_KMH


def persuasions_implausible(persuasions: int, minutes: float, per_hour_max: int) -> bool:
    """More persuasions (劝导人次) than one person can make in the shift's length."""
    return persuasions > per_hour_max * max(minutes, 0.0) / 60


def at_scan(fix: Fix, post_latitude: float, post_longitude: float, previous: Fix | None,
            repeated: bool) -> list[str]:
    """The flags of one scan (start or end); ``repeated``: the history holds the same point
    on another day, ``previous``: the volunteer's scan before this one."""
    flags = []
    if at_post_exact(fix.latitude, fix.longitude, post_latitude, post_longitude):
        flags.append(AT_POST_EXACT)
    if repeated:
        flags.append(REPEATED)
    if jump(previous, fix):
        flags.append(JUMP)
    if accuracy_implausible(fix.accuracy):
        flags.append(ACCURACY_IMPLAUSIBLE)
    return flags


def at_end(start: Fix | None, end: Fix, post_latitude: float, post_longitude: float, repeated: bool,
           persuasions: int, per_hour_max: int) -> list[str]:
    """The end scan's flags: its own, then those comparing it with the start."""
    flags = at_scan(end, post_latitude, post_longitude, start, repeated)
    if start is not None and static(start, end):
        flags.append(STATIC)
    if start is not None and persuasions_implausible(persuasions, (end.at - start.at).total_seconds() / 60,
                                                     per_hour_max):
        flags.append(PERSUASIONS_IMPLAUSIBLE)
    return flags
