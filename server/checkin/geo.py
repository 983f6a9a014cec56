"""Distances and the geofence, in GCJ-02 (the coordinates Tencent Maps and WeChat use)."""
from __future__ import annotations

import math
from typing import NamedTuple

EARTH_RADIUS_M = 6371008.8  # mean Earth radius (IUGG)

# Krasovsky 1940 ellipsoid parameters used by the published GCJ-02 transform.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def outside_china(lat: float, lng: float) -> bool:
    """The rough bounding box inside which GCJ-02 differs from WGS-84."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """The standard WGS-84 → GCJ-02 transform; identity outside mainland China."""
    if outside_china(lat, lng):
        return lat, lng
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - _GCJ_EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_GCJ_A / sqrt_magic * math.cos(rad) * math.pi)
    return lat + dlat, lng + dlng


class FenceCheck(NamedTuple):  # one per scan: a NamedTuple is built in C
    distance_m: float
    allowed_m: float

    @property
    def inside(self) -> bool:
        return self.distance_m <= self.allowed_m


def check_geofence(post_lat: float, post_lng: float, radius_m: float,
                   lat: float, lng: float, accuracy_m: float | None,
                   max_allowance_m: float) -> FenceCheck:
    """Inside when the distance is within the radius plus the phone's stated
    uncertainty, but that allowance is bounded: a phone claiming 2 km accuracy
    must not open a 2 km fence."""
    allowance = min(max(accuracy_m or 0.0, 0.0), max_allowance_m)
    return FenceCheck(haversine_m(post_lat, post_lng, lat, lng), radius_m + allowance)
