"""JSON shapes of rosters, duty and coverage. Times leave in the county's zone with its offset."""
from __future__ import annotations

from server.clock import local_iso


def _get(row, key):
    return row[key] if isinstance(row, dict) else getattr(row, key)


def clock(instant, tz) -> str:
    return instant.astimezone(tz).strftime("%H:%M")


def slot(row, tz, *, assigned: list[dict] | None = None, post=None) -> dict:
    """A slot from an ORM row or a mapping; ``post`` when the row does not carry its post."""
    post = post if post is not None else (row.post if not isinstance(row, dict) else None)
    body = {
        "id": _get(row, "id"),
        "post": ({"id": post.id, "code": post.code, "name": post.name, "district_id": post.district_id}
                 if post is not None else {"id": _get(row, "post_id")}),
        "unit_id": _get(row, "unit_id"),
        "date": _get(row, "local_date").isoformat(),
        "start": clock(_get(row, "starts_at"), tz),
        "end": clock(_get(row, "ends_at"), tz),
        "starts_at": local_iso(_get(row, "starts_at"), tz),
        "ends_at": local_iso(_get(row, "ends_at"), tz),
        "needed": _get(row, "needed"),
        "note": _get(row, "note"),
    }
    if assigned is not None:
        body["assigned"] = assigned
    return body


def post(p) -> dict:
    return {"id": p.id, "code": p.code, "name": p.name, "district_id": p.district_id}


def duty_shift(row: dict, tz) -> dict:
    return {
        "shift_id": row["id"],
        "volunteer": {"id": row["volunteer_id"], "name": row["volunteer_name"]},
        "unit": {"id": row["unit_id"], "name": row["unit_name"]} if row.get("unit_id") else None,
        "post": {"id": row["post_id"], "code": row.get("post_code"), "name": row.get("post_name")},
        "status": row["status"],
        "source": row["source"],
        "review_state": row["review_state"],
        "started_at": local_iso(row["started_at"], tz),
        "ended_at": local_iso(row["ended_at"], tz),
        "credited_minutes": row["credited_minutes"],
    }


def covered_slot(row: dict, tz) -> dict:
    return {
        "slot_id": row["id"],
        "post": {"id": row["post_id"], "code": row["post_code"], "name": row["post_name"],
                 "district_id": row["district_id"]},
        "unit_id": row["unit_id"],
        "date": row["local_date"].isoformat(),
        "start": clock(row["starts_at"], tz),
        "end": clock(row["ends_at"], tz),
        "needed": row["needed"],
        "state": row["state"],
        "planned_person_minutes": row["planned_person_minutes"],
        "covered_person_minutes": row["covered_person_minutes"],
        "missing_person_minutes": row["missing_person_minutes"],
        "late_minutes": row["late_minutes"],
    }
