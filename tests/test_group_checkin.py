"""Volunteers without a smartphone: the post's leader (岗长) checks them in and out with their
printed cards, with a group photo as evidence (issue 21)."""
from __future__ import annotations

from datetime import timedelta

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa

from server.checkin import cards
from server.clock import utcnow
from server.db import db
from server.models import GroupCheckin, Shift
from tests import factories
from tests.factories import at_post, headers
from tests.photo_helpers import scene_jpeg, upload
from tests.roster_data import TZ, slots
from tests.scanning import codes_in

CONSOLE = "/api/console/v1"
START, GROUP, GROUP_END = "/api/mp/v1/shifts", "/api/mp/v1/shifts/group", "/api/mp/v1/shifts/group/end"


def cards_on(pdf_bytes: bytes) -> list[str]:
    """Every QR code on every page, read by an independent renderer (PDFium) and decoder (zxing-cpp)."""
    document = pdfium.PdfDocument(pdf_bytes)
    try:
        return [text for page in document for text in codes_in(page.render(scale=150 / 72).to_pil())]
    finally:
        document.close()


def where(post, **extra) -> dict:
    """The leader's phone at the post (no QR: the place is the leader's)."""
    body = at_post(post, **extra)
    body.pop("qr")
    return body


def shifts_of(volunteer_id: int) -> list[dict]:
    db.session.rollback()
    return [dict(r) for r in db.session.execute(
        sa.select(Shift.__table__).where(Shift.volunteer_id == volunteer_id).order_by(Shift.id)).mappings()]


def certificate_text(client, auth, volunteer_id: int) -> str:
    res = client.get(f"{CONSOLE}/volunteers/{volunteer_id}/certificate.pdf", headers=auth)
    assert res.status_code == 200, res.get_json(silent=True)
    document = pdfium.PdfDocument(res.data)
    try:
        return document[0].get_textpage().get_text_range().replace("\r", "").replace("\n", "")
    finally:
        document.close()


@pytest.fixture
def crew(county):
    """A post with its leader on duty and a group photo just uploaded; a unit coordinator; an admin."""
    leader = factories.volunteer(county.unit_a, name="陈岗长")
    admin = factories.console_user("admin")
    coordinator = factories.console_user("coordinator", unit_=county.unit_a)
    return {"leader": leader, "admin": headers(admin), "coordinator": headers(coordinator), "post": county.post_east}


def lead_and_go_on_duty(client, crew) -> dict:
    """The admin names the leader; the leader scans in at the post and uploads the group photo."""
    post, leader = crew["post"], crew["leader"]
    res = client.post(f"{CONSOLE}/posts/{post.id}/leaders", headers=crew["admin"], json={"volunteer_id": leader.id})
    assert res.status_code in (200, 201), res.get_json()  # 200: named already
    res = client.post(START, headers=headers(leader), json=at_post(post))
    assert res.status_code == 201, res.get_json()
    own_shift = res.get_json()["id"]
    res = upload(client, leader, own_shift, scene_jpeg(21), kind="duty")
    assert res.status_code == 201, res.get_json()
    return {"shift_id": own_shift, "photo_id": res.get_json()["id"]}


def test_a_leader_checks_in_a_volunteer_without_a_smartphone_from_a_printed_card(app, client, county, crew):
    post, leader = crew["post"], crew["leader"]
    # A coordinator adds a volunteer who has no WeChat, and prints the unit's cards.
    res = client.post(f"{CONSOLE}/volunteers", headers=crew["coordinator"],
                      json={"name": "王大爷", "phone": "13900001111", "unit_id": county.unit_a.id})
    assert res.status_code == 201, res.get_json()
    wang = res.get_json()["id"]
    assert res.get_json()["name"] == "王大爷" and res.get_json()["unit"]["name"] == "县财政局"
    lost = factories.volunteer(county.unit_a, name="李阿姨")
    on_duty = factories.volunteer(county.unit_a, name="赵叔")
    res = client.get(f"{CONSOLE}/units/{county.unit_a.id}/cards.pdf", headers=crew["coordinator"])
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    printed = cards_on(res.data)
    # Every volunteer of the unit has a card, and the card holds the signed code (at most 32 characters).
    card_of = {code.volunteer_id: text for text in printed for code in [cards.verify(text)]}
    assert set(card_of) == {leader.id, wang, lost.id, on_duty.id}
    assert card_of[wang] == cards.token(wang, 1) and len(card_of[wang]) <= 32

    # 李阿姨 lost her card: it is revoked. 赵叔 scanned in himself with his phone.
    res = client.post(f"{CONSOLE}/volunteers/{lost.id}/card/revoke", headers=crew["coordinator"],
                      json={"reason": "志愿者卡遗失"})
    assert res.status_code == 200 and res.get_json() == {"volunteer_id": lost.id, "card_version": 2}
    assert client.post(START, headers=headers(on_duty), json=at_post(post)).status_code == 201

    # The leader goes on duty, takes the group photo and scans the three cards.
    own = lead_and_go_on_duty(client, crew)
    res = client.post(GROUP, headers=headers(leader), json={
        "post_id": post.id, "cards": [card_of[wang], card_of[lost.id], card_of[on_duty.id]],
        "photo_id": own["photo_id"], "client_request_id": "group-1", **where(post)})
    assert res.status_code == 200, res.get_json()
    items = res.get_json()["items"]
    assert [item["status"] for item in items] == [201, 410, 409]
    assert [item.get("error", {}).get("code") for item in items] == [None, "CARD_REVOKED", "SHIFT_ALREADY_OPEN"]
    started = items[0]["shift"]
    assert started["volunteer_id"] == wang and started["source"] == "leader"
    assert started["leader"] == {"id": leader.id, "name": "陈岗长"}
    assert started["flags"] == [] and started["status"] == "open"  # no rule bent: credited like any other
    assert [s["source"] for s in shifts_of(wang)] == ["leader"]
    assert shifts_of(lost.id) == [] and len(shifts_of(on_duty.id)) == 1
    db.session.rollback()
    group = db.session.get(GroupCheckin, started["id"])
    assert (group.leader_id, group.photo_id, group.leader_shift_id) == (leader.id, own["photo_id"], own["shift_id"])

    # 45 minutes later the leader ends the group.
    app.config["CLOCK_OFFSET_SECONDS"] = 45 * 60
    res = client.post(GROUP_END, headers=headers(leader), json={"post_id": post.id, "cards": [card_of[wang]],
                                                               **where(post)})
    assert res.status_code == 200, res.get_json()
    (ended,) = res.get_json()["items"]
    assert ended["status"] == 200 and ended["shift"]["status"] == "closed"
    assert ended["shift"]["credited_minutes"] == 45 and ended["shift"]["leader"]["name"] == "陈岗长"

    # The member's hours and certificate show the minutes and the leader's name.
    res = client.get(f"{CONSOLE}/volunteers/{wang}", headers=crew["coordinator"])
    assert res.get_json()["lifetime_minutes"] == 45
    res = client.get(f"{CONSOLE}/reports/shifts", headers=crew["coordinator"], query_string={"unit_id": county.unit_a.id})
    (record,) = [r for r in res.get_json()["items"] if r["volunteer"]["id"] == wang]
    assert record["credited_minutes"] == 45 and record["leader"]["name"] == "陈岗长"
    text = certificate_text(client, crew["coordinator"], wang)
    assert "王大爷" in text and "0.75 小时" in text and "岗长代签：陈岗长" in text


def test_a_retried_group_request_starts_no_second_shift(client, county, crew):
    member = factories.volunteer(county.unit_a, name="孙阿姨")
    own = lead_and_go_on_duty(client, crew)
    body = {"post_id": crew["post"].id, "cards": [cards.token(member.id, 1)], "photo_id": own["photo_id"],
            "client_request_id": "tap-7", **where(crew["post"])}
    first = client.post(GROUP, headers=headers(crew["leader"]), json=body).get_json()["items"][0]
    again = client.post(GROUP, headers=headers(crew["leader"]), json=body).get_json()["items"][0]
    assert (first["status"], again["status"]) == (201, 200)
    assert again["shift"]["id"] == first["shift"]["id"] and len(shifts_of(member.id)) == 1


def test_forged_and_altered_cards_are_invalid_and_a_post_code_is_no_card(client, county, crew):
    member = factories.volunteer(county.unit_a)
    own = lead_and_go_on_duty(client, crew)
    genuine = cards.token(member.id, 1)
    altered = genuine.replace(f"RVC{member.id}.", f"RVC{crew['leader'].id}.", 1)  # someone else's id, same signature
    forged = f"RVC{member.id}.1.AAAAAAAAAAAA"
    post_code = factories.qr_text(crew["post"])
    res = client.post(GROUP, headers=headers(crew["leader"]), json={
        "post_id": crew["post"].id, "cards": [altered, forged, post_code, 42, genuine], "photo_id": own["photo_id"],
        **where(crew["post"])})
    items = res.get_json()["items"]
    assert [i["status"] for i in items] == [400, 400, 400, 400, 201]  # one bad card never stops the rest
    assert {i["error"]["code"] for i in items[:4]} == {"INVALID_CARD"}
    assert [s["volunteer_id"] for s in shifts_of(member.id)] == [member.id]


def test_a_card_is_no_post_code(client, county, crew):
    member = factories.volunteer(county.unit_a)
    res = client.post(START, headers=headers(member), json=at_post(crew["post"], qr=cards.token(member.id, 1)))
    assert res.status_code == 400 and res.get_json()["error"]["code"] == "INVALID_QR"
    assert shifts_of(member.id) == []


def test_a_leader_off_duty_or_outside_the_fence_starts_nobody(client, county, crew):
    member = factories.volunteer(county.unit_a)
    post, leader = crew["post"], crew["leader"]
    client.post(f"{CONSOLE}/posts/{post.id}/leaders", headers=crew["admin"], json={"volunteer_id": leader.id})
    body = {"post_id": post.id, "cards": [cards.token(member.id, 1)], "photo_id": 1, **where(post)}
    res = client.post(GROUP, headers=headers(leader), json=body)
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "LEADER_NOT_ON_DUTY"

    own = lead_and_go_on_duty(client, crew)
    far = {**body, "photo_id": own["photo_id"], "latitude": post.latitude + 0.01}  # about 1.1 km north
    res = client.post(GROUP, headers=headers(leader), json=far)
    assert res.status_code == 422 and res.get_json()["error"]["code"] == "OUTSIDE_GEOFENCE"
    res = client.post(GROUP_END, headers=headers(leader), json={k: far[k] for k in far if k != "photo_id"})
    assert res.status_code == 422 and res.get_json()["error"]["code"] == "OUTSIDE_GEOFENCE"
    assert shifts_of(member.id) == []


def test_a_leader_of_another_post_or_no_leader_may_not_check_others_in(client, county, crew):
    member, stranger = factories.volunteer(county.unit_a), factories.volunteer(county.unit_b)
    own = lead_and_go_on_duty(client, crew)
    body = {"post_id": county.post_east2.id, "cards": [cards.token(member.id, 1)], "photo_id": own["photo_id"],
            **where(county.post_east2)}
    res = client.post(GROUP, headers=headers(crew["leader"]), json=body)
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "NOT_POST_LEADER"
    client.post(START, headers=headers(stranger), json=at_post(crew["post"]))
    res = client.post(GROUP, headers=headers(stranger), json={**body, "post_id": crew["post"].id, **where(crew["post"])})
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "NOT_POST_LEADER"
    assert shifts_of(member.id) == []


def test_a_group_check_in_needs_a_recent_group_photo_on_the_leaders_own_shift(app, client, county, crew):
    member, other = factories.volunteer(county.unit_a), factories.volunteer(county.unit_a)
    own = lead_and_go_on_duty(client, crew)
    other_shift = client.post(START, headers=headers(other), json=at_post(crew["post"])).get_json()["id"]
    someone_elses = upload(client, other, other_shift, scene_jpeg(33)).get_json()["id"]
    body = {"post_id": crew["post"].id, "cards": [cards.token(member.id, 1)], **where(crew["post"])}
    for photo_id in (None, someone_elses, 999999):
        res = client.post(GROUP, headers=headers(crew["leader"]), json={**body, "photo_id": photo_id})
        assert res.status_code == 422 and res.get_json()["error"]["code"] == "GROUP_PHOTO_REQUIRED"
    app.config["CLOCK_OFFSET_SECONDS"] = 11 * 60  # the photo is now 11 minutes old
    res = client.post(GROUP, headers=headers(crew["leader"]), json={**body, "photo_id": own["photo_id"]})
    assert res.status_code == 422 and res.get_json()["error"]["code"] == "GROUP_PHOTO_REQUIRED"
    assert shifts_of(member.id) == []


def test_at_most_twenty_cards_a_request_and_a_daily_limit_of_group_shifts_per_leader(make_app):
    app = make_app(GROUP_CHECKIN_DAILY_MAX=2)
    with app.app_context():
        county = factories.County.build()
        client = app.test_client()
        leader = factories.volunteer(county.unit_a, name="陈岗长")
        crew = {"leader": leader, "admin": headers(factories.console_user("admin")), "post": county.post_east}
        own = lead_and_go_on_duty(client, crew)
        members = [factories.volunteer(county.unit_a) for _ in range(3)]
        body = {"post_id": county.post_east.id, "photo_id": own["photo_id"], **where(county.post_east)}
        res = client.post(GROUP, headers=headers(leader), json={**body, "cards": ["x"] * 21})
        assert res.status_code == 422 and res.get_json()["error"]["field"] == "cards"
        res = client.post(GROUP, headers=headers(leader), json={**body, "cards": [cards.token(m.id, 1) for m in members]})
        assert [i["status"] for i in res.get_json()["items"]] == [201, 201, 429]
        assert res.get_json()["items"][2]["error"]["code"] == "GROUP_LIMIT_REACHED"
        assert shifts_of(members[2].id) == []


def test_a_suspended_member_is_refused_and_an_unrostered_one_is_flagged_for_review(client, county, crew):
    suspended = factories.volunteer(county.unit_a, status="suspended")
    rostered, unrostered = factories.volunteer(county.unit_a), factories.volunteer(county.unit_a)
    begins = (utcnow() + timedelta(minutes=10)).astimezone(TZ)  # a slot of the rostered member's, soon
    ends = begins + timedelta(minutes=60)
    slots(factories.console_user("admin"), county.post_east, begins.date().isoformat(), begins.strftime("%H:%M"),
          ends.strftime("%H:%M"), volunteers=(rostered,), now=utcnow() - timedelta(days=1))
    own = lead_and_go_on_duty(client, crew)
    res = client.post(GROUP, headers=headers(crew["leader"]), json={
        "post_id": crew["post"].id, "photo_id": own["photo_id"], **where(crew["post"]),
        "cards": [cards.token(suspended.id, 1), cards.token(rostered.id, 1), cards.token(unrostered.id, 1)]})
    items = res.get_json()["items"]
    assert [i["status"] for i in items] == [403, 201, 201]
    assert items[0]["error"]["code"] == "ACCOUNT_SUSPENDED"
    assert items[1]["shift"]["flags"] == [] and items[1]["shift"]["review"]["state"] == "none"
    assert items[2]["shift"]["flags"] == ["leader_checkin"] and items[2]["shift"]["review"]["state"] == "pending"


def test_a_card_already_used_by_another_leader_starts_one_shift(client, county, crew):
    """Two leaders of the same post scan the same card: the second hears 409, one shift exists."""
    member = factories.volunteer(county.unit_a)
    second = factories.volunteer(county.unit_a, name="周岗长")
    own = lead_and_go_on_duty(client, crew)
    client.post(f"{CONSOLE}/posts/{crew['post'].id}/leaders", headers=crew["admin"], json={"volunteer_id": second.id})
    second_shift = client.post(START, headers=headers(second), json=at_post(crew["post"])).get_json()["id"]
    second_photo = upload(client, second, second_shift, scene_jpeg(44)).get_json()["id"]
    card = cards.token(member.id, 1)
    body = {"post_id": crew["post"].id, "cards": [card], **where(crew["post"])}
    first = client.post(GROUP, headers=headers(crew["leader"]), json={**body, "photo_id": own["photo_id"]})
    other = client.post(GROUP, headers=headers(second), json={**body, "photo_id": second_photo})
    assert first.get_json()["items"][0]["status"] == 201
    assert other.get_json()["items"][0]["error"]["code"] == "SHIFT_ALREADY_OPEN"
    assert len(shifts_of(member.id)) == 1


def test_a_member_with_a_phone_sees_the_minutes_and_the_leaders_name_in_their_own_records(app, client, county, crew):
    member = factories.volunteer(county.unit_a, name="刘阿姨")
    own = lead_and_go_on_duty(client, crew)
    body = {"post_id": crew["post"].id, "cards": [cards.token(member.id, 1)], **where(crew["post"])}
    client.post(GROUP, headers=headers(crew["leader"]), json={**body, "photo_id": own["photo_id"]})
    app.config["CLOCK_OFFSET_SECONDS"] = 25 * 60
    client.post(GROUP_END, headers=headers(crew["leader"]), json=body)
    hours = client.get("/api/mp/v1/me/hours", headers=headers(member)).get_json()
    assert hours["credited_minutes"] == 25
    assert hours["by_leader"] == [{"leader_name": "陈岗长", "credited_minutes": 25, "shift_count": 1}]
    (shift,) = client.get("/api/mp/v1/shifts", headers=headers(member)).get_json()["items"]
    assert shift["source"] == "leader" and shift["leader"]["name"] == "陈岗长" and shift["credited_minutes"] == 25
    assert "by_leader" not in client.get("/api/mp/v1/me/hours", headers=headers(crew["leader"])).get_json()


def test_two_leaders_scanning_the_same_card_in_the_same_second_start_one_shift(live_server, client, county, crew):
    import threading

    import requests

    member = factories.volunteer(county.unit_a)
    second = factories.volunteer(county.unit_a, name="周岗长")
    first_photo = lead_and_go_on_duty(client, crew)["photo_id"]
    second_photo = lead_and_go_on_duty(client, {**crew, "leader": second})["photo_id"]
    requests_ = [(headers(leader), {"post_id": crew["post"].id, "cards": [cards.token(member.id, 1)],
                                    "photo_id": photo, **where(crew["post"])})
                 for leader, photo in ((crew["leader"], first_photo), (second, second_photo))]
    barrier, answers = threading.Barrier(2), [None, None]

    def scan(i):
        auth, body = requests_[i]
        barrier.wait()
        answers[i] = requests.post(f"{live_server}{GROUP}", json=body, headers=auth, timeout=60).json()

    threads = [threading.Thread(target=scan, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer["items"][0]["status"] for answer in answers)
    assert statuses == [201, 409], answers
    assert [s["status"] for s in shifts_of(member.id)] == ["open"]


def test_a_leader_on_duty_may_pick_the_members_rostered_now_instead_of_scanning(client, county, crew):
    rostered, elsewhere = factories.volunteer(county.unit_a, name="钱大姐"), factories.volunteer(county.unit_a)
    begins = (utcnow() + timedelta(minutes=5)).astimezone(TZ)
    slots(factories.console_user("admin"), county.post_east, begins.date().isoformat(), begins.strftime("%H:%M"),
          (begins + timedelta(minutes=60)).strftime("%H:%M"), volunteers=(rostered, crew["leader"]),
          now=utcnow() - timedelta(days=1))
    slots(factories.console_user("admin"), county.post_west, begins.date().isoformat(), begins.strftime("%H:%M"),
          (begins + timedelta(minutes=60)).strftime("%H:%M"), volunteers=(elsewhere,), now=utcnow() - timedelta(days=1))
    before = client.get("/api/mp/v1/me/leading", headers=headers(crew["leader"])).get_json()
    assert before == {"posts": [], "on_duty_post_id": None, "leader_shift_id": None, "roster": []}
    own = lead_and_go_on_duty(client, crew)
    lead = client.get("/api/mp/v1/me/leading", headers=headers(crew["leader"])).get_json()
    assert [p["id"] for p in lead["posts"]] == [county.post_east.id] and lead["on_duty_post_id"] == county.post_east.id
    assert lead["leader_shift_id"] == own["shift_id"]
    assert lead["roster"] == [{"volunteer_id": rostered.id, "name": "钱大姐", "card": cards.token(rostered.id, 1),
                               "on_duty": False}]
    res = client.post(GROUP, headers=headers(crew["leader"]), json={
        "post_id": county.post_east.id, "cards": [lead["roster"][0]["card"]], "photo_id": own["photo_id"],
        **where(county.post_east)})
    assert res.get_json()["items"][0]["shift"]["flags"] == []  # on the roster: nothing to review
