"""Starting and ending shifts by scanning a post's QR code.

This is the hot path of the whole system (every volunteer, twice a shift), so
it runs prepared SQLAlchemy Core statements on the DB-API cursor: a scan-in is
usually one guarded INSERT, a scan-out one read and one short locked UPDATE.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from qr import payload
from server.checkin import geo
from server.checkin import hours
from server.checkin import location_signals as signals
from server.checkin import post_rules, scan_history
from server.checkin.scan_codes import POST_COLUMNS, check_version, resolve_post, usable_post, verify_code
from server.checkin.shift_reads import SHIFT_COLUMNS, select_one
from server import callers
from server.config import qr_secret
from server.callers import Caller
from server.clock import local_date
from server import fastsql
from server.db import db
from server.fastsql import Prepared
from server.errors import ApiError, Conflict, Forbidden, NotFound, ValidationError
from server.models import AuditLog, Post, Shift, User

shifts_t = Shift.__table__
posts_t = Post.__table__
users_t = User.__table__


# The scan path's statements are compiled once and run on the DB-API cursor
# (server/fastsql.py): SQLAlchemy's per-execution work costs more than SQLite
# takes to run them. bench/checkin.py measures the difference.
#
# A scan-in reads the volunteer and the scanned post in one statement (no row: the user is gone).
_VOLUNTEER_AND_POST = Prepared(sa.select(
    users_t.c.status.label("volunteer_status"), users_t.c.registered_at.label("volunteer_registered_at"),
    users_t.c.unit_id.label("volunteer_unit_id"), *POST_COLUMNS,
).select_from(users_t.outerjoin(posts_t, posts_t.c.id == sa.bindparam("post_id")))
    .where(users_t.c.id == sa.bindparam("user_id")))
_OWN_SHIFT_FOR_END = Prepared(sa.select(
    *SHIFT_COLUMNS, posts_t.c.latitude.label("post_latitude"), posts_t.c.longitude.label("post_longitude"),
    posts_t.c.radius_m.label("post_radius_m"), posts_t.c.qr_version.label("post_qr_version"),
    users_t.c.status.label("volunteer_status"),
    # The end scan's point seen on another day than the shift's (a location signal), asked here
    # rather than in a statement of its own.
    scan_history.seen_on_another_day(sa.bindparam("end_point", type_=sa.BigInteger),
                                     shifts_t.c.local_date).label("end_point_seen"),
).join(posts_t, posts_t.c.id == shifts_t.c.post_id).join(users_t, users_t.c.id == shifts_t.c.volunteer_id).where(
    shifts_t.c.id == sa.bindparam("shift_id"), shifts_t.c.volunteer_id == sa.bindparam("volunteer_id")))
_SHIFT_STATE = Prepared(sa.select(shifts_t.c.status, shifts_t.c.flags)
                        .where(shifts_t.c.id == sa.bindparam("shift_id")).with_for_update())
_START_COLUMNS = (
    "volunteer_id", "unit_id", "post_id", "status", "source", "started_at", "local_date", "start_lat",
    "start_lng", "start_accuracy", "start_distance_m", "credited_minutes", "persuasions", "flags",
    "review_state", "client_request_id", "presence_check_at", "start_point",
)
_INSERT_SHIFT = Prepared(sa.insert(shifts_t).values(fastsql.named_binds(shifts_t, _START_COLUMNS))
                         .returning(shifts_t.c.id))

# Posts as this process last read them. A scan-in is checked against this copy and inserted
# only if the post row still equals it, in the same statement, so a rotation, a deactivation or
# a move made by any process counts at once; a mismatch falls back to reading the post.
_POST_KEYS = tuple(column.key for column in POST_COLUMNS)
_known_posts: dict[int, dict] = {}


def _remember_post(post: dict) -> None:
    post["guard"] = {f"known_{key}": post[key] for key in _POST_KEYS}  # the INSERT's bind values
    _known_posts[post["id"]] = post


def _insert_at_known_post():
    known = {key: sa.bindparam(f"known_{key}", type_=posts_t.c[key].type) for key in _POST_KEYS}
    given = {name: sa.bindparam(name, type_=shifts_t.c[name].type) for name in _START_COLUMNS}
    given["unit_id"] = users_t.c.unit_id  # the unit the volunteer belongs to now
    given["start_accuracy"] = sa.cast(given["start_accuracy"], sa.Float)  # NULL needs a type on PostgreSQL
    chosen = sa.select(*(given[name] for name in _START_COLUMNS)).where(
        users_t.c.id == given["volunteer_id"], users_t.c.status == "active", users_t.c.registered_at.is_not(None),
        posts_t.c.code.is_not_distinct_from(known["code"]),  # the only column that may be NULL
        *(posts_t.c[key] == known[key] for key in _POST_KEYS if key != "code"))
    return (sa.insert(shifts_t).from_select([shifts_t.c[name] for name in _START_COLUMNS], chosen)
            .returning(shifts_t.c.id, shifts_t.c.unit_id))


_INSERT_SHIFT_AT_KNOWN_POST = Prepared(_insert_at_known_post())
_END_COLUMNS = (
    "status", "ended_at", "end_lat", "end_lng", "end_accuracy", "end_distance_m", "credited_minutes",
    "persuasions", "questionnaires", "note", "flags", "review_state", "end_point",
)
_CLOSE_OPEN_SHIFT = Prepared(
    sa.update(shifts_t).where(shifts_t.c.id == sa.bindparam("b_shift_id"), shifts_t.c.status == "open")
    .values(fastsql.named_binds(shifts_t, _END_COLUMNS)))
# The common case: no flag was raised while the shift was open (compared as text: PostgreSQL's
# json type has no equality, and the stored text of an empty list is always "[]").
_CLOSE_OPEN_UNFLAGGED_SHIFT = Prepared(
    sa.update(shifts_t).where(shifts_t.c.id == sa.bindparam("b_shift_id"), shifts_t.c.status == "open",
                              sa.cast(shifts_t.c.flags, sa.Text) == "[]")
    .values(fastsql.named_binds(shifts_t, _END_COLUMNS)))


class Scan(NamedTuple):  # immutable values built on every scan: a NamedTuple is built in C
    """What the mini-program sends when a volunteer scans: the text read and where the phone is."""

    qr: str
    latitude: float
    longitude: float
    accuracy: float | None = None
    coordinate_system: str = "gcj02"
    scanned_at: datetime | None = None  # the phone's time of a scan it kept while offline

    def gcj02(self) -> tuple[float, float]:
        if self.coordinate_system == "wgs84":
            return geo.wgs84_to_gcj02(self.latitude, self.longitude)
        return self.latitude, self.longitude


class Rules(NamedTuple):
    secret_key: str
    min_minutes: int
    max_minutes: int
    accuracy_allowance_m: float
    tz: object  # ZoneInfo
    public_base_url: str | None = None  # a scanned URL must be ours; None: any host (tools, tests)
    presence_check_rate: float = 0.0
    persuasions_per_hour_max: int = 120
    scan_early_minutes: int = 15
    offline_max_minutes: int = 30

    @classmethod
    def from_config(cls, config, tz) -> "Rules":
        return cls(qr_secret(config), config["MIN_SHIFT_MINUTES"], config["MAX_SHIFT_MINUTES"],
                   config["GEOFENCE_ACCURACY_ALLOWANCE_M"], tz, config["PUBLIC_BASE_URL"],
                   config["PRESENCE_CHECK_RATE"], config["PERSUASIONS_PER_HOUR_MAX"],
                   config["SCAN_EARLY_MINUTES"], config["OFFLINE_SCAN_MAX_MINUTES"])


# A phone's clock may run a little ahead of the server's.
OFFLINE_CLOCK_SKEW = timedelta(minutes=2)


def scan_moment(scan: Scan, now: datetime, rules: Rules) -> tuple[datetime, list[str]]:
    """When the scan counts as made, and the flags that brings.

    Normally the server's clock. A scan the phone kept while it had no network
    carries the phone's time of the scan: accepted if recent enough, and flagged
    ``offline_sync`` so a coordinator looks at a time the server did not witness."""
    if scan.scanned_at is None:
        return now, []
    if scan.scanned_at > now + OFFLINE_CLOCK_SKEW:
        raise ValidationError("扫码时间晚于当前时间，请检查手机时间设置后重试", field="scanned_at")
    if now - scan.scanned_at > timedelta(minutes=rules.offline_max_minutes):
        raise ApiError(f"这次扫码已超过 {rules.offline_max_minutes} 分钟未能提交，不能再计入，请向协调员申请补录",
                       code="SCAN_TOO_OLD", status=422, max_minutes=rules.offline_max_minutes)
    return min(scan.scanned_at, now), ["offline_sync"]


def _fence(post_lat: float, post_lng: float, radius_m: int, scan: Scan, rules: Rules):
    lat, lng = scan.gcj02()
    return geo.check_geofence(post_lat, post_lng, radius_m, lat, lng, scan.accuracy, rules.accuracy_allowance_m)


def _check_fence(post_lat: float, post_lng: float, radius_m: int, scan: Scan, rules: Rules) -> float:
    fence = _fence(post_lat, post_lng, radius_m, scan, rules)
    if not fence.inside:
        raise _outside(fence, radius_m)
    return fence.distance_m


def _outside(fence: geo.FenceCheck, radius_m: int) -> ApiError:
    # Rounded to 10 m: exact distances from a few points would give away the post's stored
    # location, which a scan could then claim (location_signals.at_post_exact).
    distance = round(fence.distance_m, -1)
    return ApiError(f"您距离岗位约 {distance:.0f} 米，请到岗位附近再扫码", code="OUTSIDE_GEOFENCE", status=422,
                    distance_m=distance, radius_m=radius_m)


def _refuse_unless_volunteer(status: str, registered: bool) -> None:
    callers.refuse_suspended(status)
    if not registered:
        raise Forbidden("请先完成实名登记再上岗", code="NOT_REGISTERED")


def _load(user_id: int) -> Caller:
    caller = callers.load(user_id)
    if caller is None:
        raise callers.gone()
    return caller


def start(user_id: int, scan: Scan, client_request_id: str | None, now: datetime,
          rules: Rules) -> tuple[dict, bool]:
    """Open a shift; returns (shift, created). A retried request returns its shift, not a new one.

    Refusals come in this order: the volunteer (suspended, not registered), the
    code (forged, revoked, post inactive), then the distance from the post."""
    now, flags = scan_moment(scan, now, rules)
    try:
        code = verify_code(scan.qr, rules.secret_key, rules.public_base_url)
    except ApiError:
        caller = _load(user_id)
        _refuse_unless_volunteer(caller.status, caller.registered)
        raise
    shift = _start_at_known_post(user_id, code, scan, client_request_id, now, rules, flags)
    if shift is not None:
        return shift
    row = _VOLUNTEER_AND_POST.first({"user_id": user_id, "post_id": code.post_id})
    if row is None:
        raise callers.gone()
    if row["id"] is not None:
        _remember_post({key: row[key] for key in _POST_KEYS})
    _refuse_unless_volunteer(row["volunteer_status"], row["volunteer_registered_at"] is not None)
    post = usable_post(code, row)
    distance = _check_fence(post["latitude"], post["longitude"], post["radius_m"], scan, rules)
    values = _new_shift(user_id, row["volunteer_unit_id"], post, distance, scan, client_request_id, now, rules,
                        flags)
    try:
        rows, _ = fastsql.write(_INSERT_SHIFT, values)
    except fastsql.integrity_error():
        return _explain_refused_start(user_id, client_request_id), False
    values.update(id=rows[0][0], post_name=post["name"], post_code=post["code"])
    return _with_defaults(values), True


def _start_at_known_post(user_id: int, code: payload.PostCode, scan: Scan, client_request_id: str | None,
                         now: datetime, rules: Rules, flags: list[str]) -> tuple[dict, bool] | None:
    """The common scan-in in one statement: checked against this process's copy of the post,
    inserted only if the volunteer may scan and the post row still is that copy. None when
    anything did not hold (a refusal, an edited post): the caller reads both and explains."""
    post = _known_posts.get(code.post_id)
    if post is None or post["qr_version"] != code.qr_version or not post["active"]:
        return None
    fence = _fence(post["latitude"], post["longitude"], post["radius_m"], scan, rules)
    if not fence.inside:
        return None
    values = _new_shift(user_id, None, post, fence.distance_m, scan, client_request_id, now, rules, flags)
    try:
        rows, _ = fastsql.write(_INSERT_SHIFT_AT_KNOWN_POST, {**values, **post["guard"]})
    except fastsql.integrity_error():
        return _explain_refused_start(user_id, client_request_id), False
    if not rows:
        return None
    (shift_id, unit_id), = rows
    values.update(id=shift_id, unit_id=unit_id, post_name=post["name"], post_code=post["code"])
    return _with_defaults(values), True


def _new_shift(user_id: int, unit_id: int | None, post: dict, distance: float, scan: Scan,
               client_request_id: str | None, now: datetime, rules: Rules, offline_flags: list[str]) -> dict:
    lat, lng = scan.gcj02()
    day, point = local_date(now, rules.tz), signals.point_key(lat, lng)
    previous, seen = scan_history.start_history(user_id, point, day)
    flags = offline_flags + signals.at_scan(signals.Fix(lat, lng, scan.accuracy, now), post["latitude"],
                                            post["longitude"], previous, seen)
    flags += post_rules.start_flags(post, user_id, now, rules.scan_early_minutes, rules.tz)
    return dict(
        volunteer_id=user_id, unit_id=unit_id, post_id=post["id"], status="open",
        source="scan", started_at=now, local_date=day, start_lat=lat, start_lng=lng,
        start_accuracy=scan.accuracy, start_distance_m=round(distance, 1), start_point=point, credited_minutes=0,
        persuasions=0, client_request_id=client_request_id,
        presence_check_at=post_rules.presence_check_at(now, rules.presence_check_rate, rules.max_minutes),
        **_review(flags),
    )


def _explain_refused_start(user_id: int, client_request_id: str | None) -> dict:
    """The insert lost to the unique indexes: a retry of this request, or a shift already open."""
    if client_request_id:
        retried = select_one(shifts_t.c.volunteer_id == user_id,
                              shifts_t.c.client_request_id == client_request_id)
        if retried is not None:
            return retried
    open_shift = select_one(shifts_t.c.volunteer_id == user_id, shifts_t.c.status == "open")
    if open_shift is not None:
        raise Conflict(f"您已在「{open_shift['post_name']}」上岗，请先下岗", code="SHIFT_ALREADY_OPEN",
                       open_shift_id=open_shift["id"], post_id=open_shift["post_id"])
    raise Conflict("上岗请求冲突，请重试", code="SHIFT_CONFLICT")


def end(user_id: int, shift_id: int, scan: Scan, now: datetime, rules: Rules, *,
        persuasions: int = 0, questionnaires: int = 0, note: str | None = None,
        allow_outside: bool = False) -> dict:
    """Close the volunteer's open shift at the same post and credit its minutes.

    ``allow_outside`` lets a volunteer who already walked away still end the
    shift; it is then flagged for a coordinator instead of refused.
    """
    lat, lng = scan.gcj02()
    end_point = signals.point_key(lat, lng)
    shift = _OWN_SHIFT_FOR_END.first({"shift_id": shift_id, "volunteer_id": user_id, "end_point": end_point})
    if shift is None:
        callers.require_active(_load(user_id))  # a suspended volunteer hears that first
        raise NotFound("找不到该上岗记录")
    callers.refuse_suspended(shift.pop("volunteer_status"))
    if shift["status"] != "open":
        raise Conflict("该上岗记录已结束", code="SHIFT_NOT_OPEN", status_now=shift["status"])
    post_point = shift["post_latitude"], shift["post_longitude"]
    distance, new_flags = _check_end_scan(shift, scan, rules, allow_outside)
    now, offline_flags = scan_moment(scan, now, rules)
    now = max(now, shift["started_at"])  # a phone's clock may put the end before the start
    credit = hours.credit(shift["started_at"], now, min_minutes=rules.min_minutes, max_minutes=rules.max_minutes)
    new_flags += _end_signals(shift, signals.Fix(lat, lng, scan.accuracy, now), post_point, persuasions, rules)
    changes = dict(
        status="closed", ended_at=now, end_lat=lat, end_lng=lng, end_accuracy=scan.accuracy,
        end_distance_m=round(distance, 1), credited_minutes=credit.minutes, persuasions=persuasions,
        questionnaires=questionnaires, note=note, end_point=end_point,
    )
    shift.update(changes)
    shift.update(close_open(shift_id, shift["flags"], new_flags + credit.flags + offline_flags, changes))
    return shift


def check_fence(post: dict, scan: Scan, rules: Rules) -> float:
    """The distance from the post if ``scan`` is inside its fence; 422 OUTSIDE_GEOFENCE otherwise."""
    return _check_fence(post["latitude"], post["longitude"], post["radius_m"], scan, rules)


def close_open(shift_id: int, flags_read: list[str], new_flags: list[str], changes: dict) -> dict:
    """Write the end of an open shift; returns its final flags and review state.

    The shift was read without a lock, so the write holds the writer lock only
    briefly. A shift read without flags is closed only if it still has none and
    is still open; otherwise (a photo check raised a flag meanwhile, another end
    won) it is read again under the lock (FOR UPDATE on PostgreSQL) and the
    flags are merged, never overwritten."""
    if not flags_read:
        review = _review(hours.merge_flags([], new_flags))
        _, closed = fastsql.write(_CLOSE_OPEN_UNFLAGGED_SHIFT, {"b_shift_id": shift_id, **changes, **review})
        if closed == 1:
            return review
    with fastsql.transaction():
        latest = _SHIFT_STATE.first({"shift_id": shift_id})
        if latest["status"] != "open":
            raise Conflict("该上岗记录已结束", code="SHIFT_NOT_OPEN", status_now=latest["status"])
        review = _review(hours.merge_flags(latest["flags"], new_flags))
        _CLOSE_OPEN_SHIFT.execute({"b_shift_id": shift_id, **changes, **review}).close()
    return review


def _end_signals(shift: dict, end_fix: signals.Fix, post_point: tuple[float, float], persuasions: int,
                 rules: Rules) -> list[str]:
    start_fix = signals.Fix(shift["start_lat"], shift["start_lng"], shift["start_accuracy"], shift["started_at"])
    flags = signals.at_end(start_fix if shift["start_lat"] is not None else None, end_fix, *post_point,
                           bool(shift.pop("end_point_seen")), persuasions, rules.persuasions_per_hour_max)
    return flags + post_rules.end_flags(shift["flags"])


def _review(flags: list[str]) -> dict:
    return {"flags": flags, "review_state": "pending" if hours.needs_review(flags) else "none"}


def _check_end_scan(shift: dict, scan: Scan, rules: Rules, allow_outside: bool) -> tuple[float, list[str]]:
    """The end scan's checks, in order: a genuine code, of this shift's post, at the post."""
    code = verify_code(scan.qr, rules.secret_key, rules.public_base_url)
    if code.post_id == shift["post_id"]:
        check_version(code, shift.pop("post_qr_version"))
    else:  # another post's code: still say "revoked" or "invalid" before "wrong post"
        resolve_post(scan.qr, rules.secret_key, require_active_post=False, public_base_url=rules.public_base_url)
        raise ApiError(f"请扫描您上岗的岗位「{shift['post_name']}」的二维码", code="WRONG_POST",
                       status=422, expected_post_id=shift["post_id"], scanned_post_id=code.post_id)
    radius = shift.pop("post_radius_m")
    fence = _fence(shift.pop("post_latitude"), shift.pop("post_longitude"), radius, scan, rules)
    if fence.inside:
        return fence.distance_m, []
    if not allow_outside:
        raise _outside(fence, radius)
    return fence.distance_m, ["outside_geofence_end"]


def close_stale(now: datetime, rules: Rules) -> list[int]:
    """Close shifts left open past the cap (forgot to scan out): 0 minutes, flagged for review.

    The end is set to the latest credible moment (start + cap), so "who was on
    duty" never claims the volunteer stood there all night.
    """
    cutoff = now - timedelta(minutes=rules.max_minutes)
    stale = db.session.execute(
        sa.select(shifts_t.c.id, shifts_t.c.started_at, shifts_t.c.flags)
        .where(shifts_t.c.status == "open", shifts_t.c.started_at <= cutoff)).all()
    closed = []
    for row in stale:
        flags = hours.merge_flags(row.flags, ["auto_closed"])
        changes = dict(status="auto_closed", ended_at=row.started_at + timedelta(minutes=rules.max_minutes),
                       credited_minutes=0, flags=flags, review_state="pending")
        result = db.session.execute(sa.update(shifts_t).where(
            shifts_t.c.id == row.id, shifts_t.c.status == "open").values(**changes))
        if result.rowcount == 1:
            db.session.add(AuditLog(at=now, actor_id=None, action="auto_close", entity_type="shift",
                                    entity_id=row.id, before={"status": "open"},
                                    after={"status": "auto_closed", "credited_minutes": 0},
                                    reason=f"超过 {rules.max_minutes} 分钟未下岗，系统自动结束"))
            closed.append(row.id)
        db.session.commit()
    return closed


_NO_VALUES = dict.fromkeys(column.name for column in shifts_t.c)


def _with_defaults(values: dict) -> dict:
    shift = _NO_VALUES.copy()
    shift.update(values)
    return shift
