"""JSON shapes of the API's records. Times leave in the county's zone with its offset."""
from __future__ import annotations

from server.checkin import hours
from server.checkin import location_signals as signals
from server.clock import local_iso


def mask_phone(phone: str | None) -> str | None:
    """138****1234: enough to recognise, not enough to call."""
    if not phone or len(phone) != 11:
        return phone
    return f"{phone[:3]}****{phone[7:]}"


def shift(row: dict, tz) -> dict:
    duration = None
    if row.get("ended_at") is not None:
        duration = hours.elapsed_minutes(row["started_at"], row["ended_at"])
    body = {
        "id": row["id"],
        "post": {"id": row["post_id"], "name": row.get("post_name"), "code": row.get("post_code")},
        "volunteer_id": row["volunteer_id"],
        "status": row["status"],
        "source": row["source"],
        "started_at": local_iso(row["started_at"], tz),
        "ended_at": local_iso(row.get("ended_at"), tz),
        "local_date": row["local_date"].isoformat(),
        "duration_minutes": duration,
        "credited_minutes": row["credited_minutes"],
        "hours": hours.as_hours(row["credited_minutes"] or 0),
        "persuasions": row["persuasions"],
        "questionnaires": row.get("questionnaires") or 0,  # None on a scan-in's reply: not yet written
        "note": row.get("note"),
        "flags": list(row.get("flags") or []),
        "review": {
            "state": row["review_state"],
            "reason": row.get("review_reason"),
            "original_minutes": row.get("original_minutes"),
        },
        "start_location": _location(row, "start"),
        "end_location": _location(row, "end"),
    }
    if row.get("leader_id") is not None:  # started by a post leader from the member's card
        body["leader"] = {"id": row["leader_id"], "name": row.get("leader_name")}
    return body


_LOCATION_COLUMNS = {which: tuple(f"{which}_{name}" for name in ("lat", "lng", "accuracy", "distance_m"))
                     for which in ("start", "end")}


def _location(row: dict, which: str) -> dict | None:
    lat, lng, accuracy, distance = _LOCATION_COLUMNS[which]
    if row.get(lat) is None:
        return None
    return {"latitude": row[lat], "longitude": row[lng], "accuracy": row.get(accuracy),
            "distance_m": row.get(distance), "coordinate_system": "gcj02"}


def user(u, *, show_phone: bool = True) -> dict:
    return {
        "id": u.id,
        "name": u.name,
        "phone": u.phone if show_phone else mask_phone(u.phone),
        "unit": {"id": u.unit.id, "name": u.unit.name} if u.unit is not None else None,
        "role": u.role,
        "scope": _scope(u),
        "status": u.status,
        "registered": u.registered_at is not None,
        "username": u.username,
    }


def _scope(u) -> dict | None:
    if u.scope_unit_id is not None:
        return {"unit_id": u.scope_unit_id}
    if u.scope_district_id is not None:
        return {"district_id": u.scope_district_id}
    return None


def post(p, *, distance_m: float | None = None, published: bool = False) -> dict:
    """``published``: for the mini-program, the location rounded to about 100 m
    (location_signals.published_point), so the post's surveyed point is never handed out."""
    latitude, longitude = signals.published_point(p.latitude, p.longitude) if published \
        else (p.latitude, p.longitude)
    body = {
        "id": p.id, "code": p.code, "name": p.name, "kind": p.kind,
        "district": {"id": p.district.id, "name": p.district.name} if p.district is not None else None,
        "latitude": latitude, "longitude": longitude, "coordinate_system": "gcj02",
        "radius_m": p.radius_m, "active": p.active, "qr_version": p.qr_version,
        "require_photo_start": p.require_photo_start, "scan_window": p.scan_window,
    }
    if distance_m is not None:
        body["distance_m"] = round(distance_m, 1)
    return body
