"""Group check-in and check-out by a post's leader (岗长), with the members' printed cards.

Volunteers without a smartphone hand their card to the post's leader, who scans it with their
own phone. The leader must be on duty at that post (their own open shift there: 409
LEADER_NOT_ON_DUTY) and standing inside its fence (422 OUTSIDE_GEOFENCE), and a group check-in
needs a group photo the leader uploaded to their own open shift in the last few minutes (422
GROUP_PHOTO_REQUIRED); a refusal of the request as a whole starts nothing.

Then every card is answered on its own, one bad card never stopping the rest: 201 started,
409 already on duty, 410 revoked, 400 invalid, 403 suspended, 429 past the leader's daily
limit. A started shift has the leader's place and the server's time, ``source = 'leader'``, and
a ``group_checkins`` row naming the leader, their shift and the photo. It is credited like any
other and flagged ``leader_checkin`` for review only when a rule is bent: the member is not on
the post's roster now, or the leader's own shift is waiting for review. Two leaders scanning
the same card at once start one shift: the one-open-shift index decides.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from server import callers
from server.checkin import cards, hours, post_leaders, post_rules, serialize, shift_reads, shifts
from server.checkin import location_signals as signals
from server.clock import day_bounds, local_date
from server.db import db, write_lock
from server.errors import ApiError, Conflict, ValidationError
from server.models import GroupCheckin, Photo, Post, Shift

shifts_t, groups_t, photos_t, posts_t = Shift.__table__, GroupCheckin.__table__, Photo.__table__, Post.__table__
LEADER_CHECKIN = "leader_checkin"


@dataclass(frozen=True)
class Limits:
    max_cards: int = 20
    daily_max: int = 30
    photo_minutes: int = 10

    @classmethod
    def from_config(cls, config) -> "Limits":
        return cls(config["GROUP_CHECKIN_MAX_CARDS"], config["GROUP_CHECKIN_DAILY_MAX"],
                   config["GROUP_PHOTO_MAX_AGE_MINUTES"])


def _check_cards(cards_sent, limits: Limits) -> list:
    if not isinstance(cards_sent, list) or not cards_sent:
        raise ValidationError("请至少扫描一张志愿者卡", field="cards")
    if len(cards_sent) > limits.max_cards:
        raise ValidationError(f"一次最多提交 {limits.max_cards} 张志愿者卡", field="cards", max_cards=limits.max_cards)
    return cards_sent


def _leader_at_post(leader_id: int, post_id: int, scan: shifts.Scan, rules: shifts.Rules) -> tuple[dict, dict, float]:
    """The leader's open shift at the post, the post, and the leader's distance from it; or the
    refusal of the whole request, in this order: the leader, the post, on duty, inside the fence."""
    leader = callers.load(leader_id)
    if leader is None:
        raise callers.gone()
    callers.refuse_suspended(leader.status)
    post_leaders.refuse_unless_leader(leader_id, post_id)
    own = shift_reads.open_shift_of(leader_id)
    if own is None or own["post_id"] != post_id:
        raise Conflict("请先在本岗位扫码上岗，再为组员代签", code="LEADER_NOT_ON_DUTY", post_id=post_id)
    post = dict(db.session.execute(sa.select(posts_t).where(posts_t.c.id == post_id)).mappings().one())
    distance = shifts.check_fence(post, scan, rules)
    return own, post, distance


def _check_photo(photo_id, leader_id: int, leader_shift_id: int, now: datetime, limits: Limits) -> int:
    refused = ApiError(f"请先拍摄并上传组员合影（{limits.photo_minutes} 分钟内，上传到您本人的上岗记录）",
                       code="GROUP_PHOTO_REQUIRED", status=422, field="photo_id")
    if isinstance(photo_id, bool) or not isinstance(photo_id, int) or not 1 <= photo_id <= 2**31 - 1:
        raise refused
    found = db.session.execute(sa.select(photos_t.c.id).where(
        photos_t.c.id == photo_id, photos_t.c.shift_id == leader_shift_id, photos_t.c.uploader_id == leader_id,
        photos_t.c.created_at >= now - timedelta(minutes=limits.photo_minutes))).first()
    if found is None:
        raise refused
    return photo_id


def _started_today(leader_id: int, now: datetime, tz) -> int:
    start, end = day_bounds(local_date(now, tz), local_date(now, tz), tz)
    return db.session.execute(sa.select(sa.func.count()).select_from(groups_t).where(
        groups_t.c.leader_id == leader_id, groups_t.c.created_at >= start, groups_t.c.created_at < end)).scalar_one()


def _refused(card, error: ApiError) -> dict:
    return {"card": card, "status": error.status, "error": error.to_dict()["error"]}


def start(leader_id: int, post_id: int, cards_sent, photo_id, scan: shifts.Scan, client_request_id: str | None,
          now: datetime, rules: shifts.Rules, limits: Limits) -> dict:
    """Start a shift for each card's volunteer at the leader's post: ``{"items": [...]}``."""
    cards_sent = _check_cards(cards_sent, limits)
    own, post, distance = _leader_at_post(leader_id, post_id, scan, rules)
    if not post["active"]:
        raise Conflict("该岗位已停用，暂不能上岗", code="POST_INACTIVE", post_id=post_id)
    photo_id = _check_photo(photo_id, leader_id, own["id"], now, limits)
    leader_bent = own["review_state"] == "pending" or hours.needs_review(own["flags"] or [])
    remaining = limits.daily_max - _started_today(leader_id, now, rules.tz)
    db.session.rollback()  # end the read transaction: each card writes in its own
    items, seen = [], set()
    for card in cards_sent:
        try:
            holder = cards.holder(cards.verify(card))
            if holder["id"] in seen:
                raise Conflict("这张卡在本次提交中重复扫描", code="SHIFT_ALREADY_OPEN", volunteer_id=holder["id"])
            seen.add(holder["id"])
            if remaining <= 0:
                raise ApiError(f"每位岗长每天最多代签 {limits.daily_max} 人次", code="GROUP_LIMIT_REACHED",
                               status=429, daily_max=limits.daily_max)
            shift, created = _start_one(holder, post, own, photo_id, distance, scan, client_request_id, now, rules,
                                        leader_bent, leader_id)
        except ApiError as error:
            db.session.rollback()
            items.append(_refused(card, error))
            continue
        remaining -= created
        items.append({"card": card, "status": 201 if created else 200, "shift": serialize.shift(shift, rules.tz)})
    return {"items": items}


def _request_id(leader_id: int, client_request_id: str | None) -> str | None:
    # Unique per (member, id): a retried group request finds the shifts it started.
    return f"g{leader_id}:{client_request_id}" if client_request_id else None


def _start_one(holder: dict, post: dict, own: dict, photo_id: int, distance: float, scan: shifts.Scan,
               client_request_id: str | None, now: datetime, rules: shifts.Rules, leader_bent: bool,
               leader_id: int) -> tuple[dict, bool]:
    request_id = _request_id(leader_id, client_request_id)
    rostered = post_rules.rostered(post["id"], holder["id"], now, rules.scan_early_minutes, rules.tz)
    flags = [LEADER_CHECKIN] if leader_bent or not rostered else []
    lat, lng = scan.gcj02()
    values = dict(
        volunteer_id=holder["id"], unit_id=holder["unit_id"], post_id=post["id"], status="open", source="leader",
        started_at=now, local_date=local_date(now, rules.tz), start_lat=lat, start_lng=lng,
        start_accuracy=scan.accuracy, start_distance_m=round(distance, 1), start_point=signals.point_key(lat, lng),
        credited_minutes=0, persuasions=0, client_request_id=request_id, flags=flags,
        review_state="pending" if hours.needs_review(flags) else "none")
    try:
        with write_lock():  # the shift and its group row in one short transaction
            shift_id = db.session.execute(sa.insert(shifts_t).values(**values).returning(shifts_t.c.id)).scalar_one()
            db.session.execute(sa.insert(groups_t).values(shift_id=shift_id, leader_id=leader_id,
                                                          leader_shift_id=own["id"], photo_id=photo_id,
                                                          created_at=now))
            db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _explain_refused(holder, request_id), False
    return shift_reads.select_one(shifts_t.c.id == shift_id), True


def _explain_refused(holder: dict, request_id: str | None) -> dict:
    if request_id:
        retried = shift_reads.select_one(shifts_t.c.volunteer_id == holder["id"],
                                         shifts_t.c.client_request_id == request_id)
        if retried is not None:
            return retried
    open_shift = shift_reads.open_shift_of(holder["id"])
    if open_shift is not None:
        raise Conflict(f"{holder['name']}已在「{open_shift['post_name']}」上岗", code="SHIFT_ALREADY_OPEN",
                       open_shift_id=open_shift["id"], post_id=open_shift["post_id"])
    raise Conflict("上岗请求冲突，请重试", code="SHIFT_CONFLICT")


def end(leader_id: int, post_id: int, cards_sent, scan: shifts.Scan, now: datetime, rules: shifts.Rules,
        limits: Limits) -> dict:
    """End each card's volunteer's open shift at the leader's post: ``{"items": [...]}``."""
    cards_sent = _check_cards(cards_sent, limits)
    _own, post, distance = _leader_at_post(leader_id, post_id, scan, rules)
    db.session.rollback()
    items = []
    for card in cards_sent:
        try:
            holder = cards.holder(cards.verify(card))
            shift = _end_one(holder, post, distance, scan, now, rules, leader_id)
        except ApiError as error:
            db.session.rollback()
            items.append(_refused(card, error))
            continue
        items.append({"card": card, "status": 200, "shift": serialize.shift(shift, rules.tz)})
    return {"items": items}


def _end_one(holder: dict, post: dict, distance: float, scan: shifts.Scan, now: datetime, rules: shifts.Rules,
             leader_id: int) -> dict:
    shift = shift_reads.open_shift_of(holder["id"])
    if shift is None or shift["post_id"] != post["id"]:
        raise Conflict(f"{holder['name']}没有在本岗位上岗", code="SHIFT_NOT_OPEN", volunteer_id=holder["id"])
    ended = max(now, shift["started_at"])
    credit = hours.credit(shift["started_at"], ended, min_minutes=rules.min_minutes, max_minutes=rules.max_minutes)
    lat, lng = scan.gcj02()
    changes = dict(status="closed", ended_at=ended, end_lat=lat, end_lng=lng, end_accuracy=scan.accuracy,
                   end_distance_m=round(distance, 1), credited_minutes=credit.minutes, persuasions=0,
                   questionnaires=0, note=None, end_point=signals.point_key(lat, lng))
    db.session.rollback()
    shifts.close_open(shift["id"], shift["flags"] or [], credit.flags + post_rules.end_flags(shift["flags"]), changes)
    with write_lock():
        db.session.execute(sa.update(groups_t).where(groups_t.c.shift_id == shift["id"]).values(ended_by_id=leader_id))
        db.session.commit()
    return shift_reads.select_one(shifts_t.c.id == shift["id"])


def overview(leader_id: int, now: datetime, rules: shifts.Rules) -> dict:
    """What the leader's page needs: the posts they lead, whether they are on duty at one of them,
    and that post's roster now (members in a slot there, with their cards, so the leader may
    pick them instead of scanning; their being rostered is what the roster says anyway)."""
    from server.models import DutySlot, SlotAssignment, User

    led = post_leaders.posts_led_by(leader_id)
    rows = db.session.execute(sa.select(posts_t.c.id, posts_t.c.name, posts_t.c.code)
                              .where(posts_t.c.id.in_(led)).order_by(posts_t.c.id)).mappings().all() if led else []
    own = shift_reads.open_shift_of(leader_id)
    on_duty = own["post_id"] if own is not None and own["post_id"] in led else None
    roster = []
    if on_duty is not None:
        slots_t, assigned_t, users_t = DutySlot.__table__, SlotAssignment.__table__, User.__table__
        members = db.session.execute(
            sa.select(users_t.c.id, users_t.c.name, users_t.c.card_version,
                      sa.exists().where(shifts_t.c.volunteer_id == users_t.c.id, shifts_t.c.status == "open")
                      .label("on_duty"))
            .join(assigned_t, assigned_t.c.volunteer_id == users_t.c.id)
            .join(slots_t, slots_t.c.id == assigned_t.c.slot_id)
            .where(slots_t.c.post_id == on_duty, assigned_t.c.ends_at > now,
                   assigned_t.c.starts_at <= now + timedelta(minutes=rules.scan_early_minutes),
                   users_t.c.id != leader_id, users_t.c.status == "active", users_t.c.erased_at.is_(None))
            .distinct().order_by(users_t.c.id)).mappings().all()
        roster = [{"volunteer_id": m["id"], "name": m["name"], "card": cards.token(m["id"], m["card_version"]),
                   "on_duty": bool(m["on_duty"])} for m in members]
    return {"posts": [dict(r) for r in rows], "on_duty_post_id": on_duty,
            "leader_shift_id": own["id"] if on_duty is not None else None, "roster": roster}
