"""Who may see a volunteer's duty photos, and what a photo link is worth.

A link is the credential (the mini-program's <image> cannot send headers), so
roles are checked when links are handed out and the link itself must be
signed, unaltered and unexpired."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from server.evidence import photo_urls
from server.evidence import photos
from server.callers import load
from server.clock import utcnow
from server.db import db
from server.models import User
from tests import factories
from tests.conftest import TEST_SECRET_KEY
from tests.photo_helpers import photo_rows, scene_jpeg, start_shift, upload

CONSOLE_PHOTOS = "/api/console/v1/shifts/{}/photos"


@pytest.fixture
def volunteer(county):
    return factories.volunteer(county.unit_a, name="张伟")


@pytest.fixture
def photographed(client, county, volunteer):
    """A shift of unit A's volunteer at an east-district post, with two photos."""
    shift_id = start_shift(client, volunteer, county.post_east)
    for seed, kind in ((40, "start"), (41, "duty")):
        assert upload(client, volunteer, shift_id, scene_jpeg(seed), kind=kind).status_code == 201
    return shift_id


# --- signed links ------------------------------------------------------------------

def test_a_photo_link_opens_the_picture_and_is_private(client, photographed, volunteer):
    [first, _] = client.get(f"/api/mp/v1/shifts/{photographed}", headers=factories.headers(volunteer)) \
        .get_json()["photos"]

    res = client.get(first["url"])

    assert res.status_code == 200 and res.mimetype == "image/jpeg"
    assert res.headers["Cache-Control"].startswith("private")
    assert not first["url"].startswith(("http", "/static"))  # path-only, served by the app


def test_the_bare_path_is_refused(client, photographed):
    photo_id = photo_rows()[0]["id"]
    for path in (f"/photos/{photo_id}.jpg", f"/photos/{photo_id}/thumb.jpg"):
        res = client.get(path)
        assert res.status_code == 403
        assert res.get_json()["error"]["code"] == "PHOTO_URL_INVALID"


def _links(photo_id: int, sha256: str, issued_at):
    return photo_urls.links(TEST_SECRET_KEY, photo_id, sha256, issued_at, 600)


def test_a_tampered_link_is_refused(client, photographed):
    first, second = photo_rows()
    url = _links(first["id"], first["sha256"], utcnow()).url
    assert client.get(url).status_code == 200

    later = re.sub(r"expires=(\d+)", lambda m: f"expires={int(m[1]) + 3600}", url)
    other_photo = url.replace(f"/photos/{first['id']}.jpg", f"/photos/{second['id']}.jpg")
    as_thumbnail = url.replace(".jpg?", "/thumb.jpg?")
    flipped = url[:-1] + ("A" if url[-1] != "A" else "B")
    forged = photo_urls.signed_path("some-other-secret-key", first["id"], first["sha256"], "photo",
                                    int(utcnow().timestamp()) + 600)
    for bad in (later, other_photo, as_thumbnail, flipped, forged, url.split("&sig=")[0]):
        res = client.get(bad)
        assert res.status_code == 403, bad
        assert res.is_json


def test_a_link_stops_working_when_it_expires(client, photographed):
    row = photo_rows()[0]
    fresh = _links(row["id"], row["sha256"], utcnow() - timedelta(minutes=9))
    stale = _links(row["id"], row["sha256"], utcnow() - timedelta(minutes=11))

    assert client.get(fresh.url).status_code == 200
    res = client.get(stale.thumbnail_url)
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "PHOTO_URL_EXPIRED"


def test_links_last_as_long_as_configured(make_app):
    app = make_app(PHOTO_URL_TTL_SECONDS=60)
    with app.app_context():
        now = utcnow()
        entry = photos.entry({"id": 7, "sha256": "0" * 64, "kind": "duty", "width": 1, "height": 1,
                              "bytes": 1, "captured_at": None}, now)

    expires = datetime.fromisoformat(entry["expires_at"])
    assert timedelta(seconds=60) <= expires - now < timedelta(seconds=61)
    assert f"expires={int(expires.timestamp())}&" in entry["url"]


def test_a_link_to_a_photo_that_does_not_exist_is_refused_like_a_forgery(client, photographed):
    res = client.get(_links(999, "0" * 64, utcnow()).url)
    assert res.status_code == 403


def test_the_phone_may_revalidate_a_photo_it_already_has(client, photographed):
    url = _links(photo_rows()[0]["id"], photo_rows()[0]["sha256"], utcnow()).url
    etag = client.get(url).headers["ETag"]

    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


# --- who gets links ------------------------------------------------------------------

ROLES = ["owner", "other volunteer", "unit coordinator", "other unit coordinator",
         "district coordinator", "other district coordinator", "leader", "admin"]
SEES = {"owner", "unit coordinator", "district coordinator", "leader", "admin"}


def _user(role: str, county, volunteer) -> User:
    return {
        "owner": lambda: volunteer,
        "other volunteer": lambda: factories.volunteer(county.unit_a),
        "unit coordinator": lambda: factories.console_user("coordinator", unit_=county.unit_a),
        "other unit coordinator": lambda: factories.console_user("coordinator", unit_=county.unit_b),
        "district coordinator": lambda: factories.console_user("coordinator", district_=county.east),
        "other district coordinator": lambda: factories.console_user("coordinator", district_=county.west),
        "leader": lambda: factories.console_user("leader"),
        "admin": lambda: factories.console_user("admin"),
    }[role]()


@pytest.mark.parametrize("role", ROLES)
def test_photo_links_go_only_to_those_who_may_see_the_shift(client, county, volunteer, photographed, role):
    user = _user(role, county, volunteer)
    if user.username:  # a console user
        res = client.get(CONSOLE_PHOTOS.format(photographed), headers=factories.headers(user))
        items = res.get_json().get("items") if res.status_code == 200 else None
    else:
        res = client.get(f"/api/mp/v1/shifts/{photographed}", headers=factories.headers(user))
        items = res.get_json().get("photos") if res.status_code == 200 else None

    if role in SEES:
        assert res.status_code == 200
        assert [p["kind"] for p in items] == ["start", "duty"]
        assert set(items[0]) == {"id", "kind", "width", "height", "bytes", "captured_at", "url",
                                 "thumbnail_url", "expires_at"}
        assert client.get(items[1]["thumbnail_url"]).status_code == 200
    else:
        assert res.status_code == 404 and items is None


def test_a_volunteer_token_cannot_use_the_console_listing(client, photographed, volunteer):
    res = client.get(CONSOLE_PHOTOS.format(photographed), headers=factories.headers(volunteer, "mp"))
    assert res.status_code == 401  # a mini-program token opens nothing at the console's door


def test_the_unit_at_the_time_of_the_shift_decides_not_the_current_one(client, county, volunteer, photographed):
    db.session.execute(sa.update(User.__table__).where(User.id == volunteer.id).values(unit_id=county.unit_b.id))
    db.session.commit()
    old_unit = factories.console_user("coordinator", unit_=county.unit_a)
    new_unit = factories.console_user("coordinator", unit_=county.unit_b)

    assert client.get(CONSOLE_PHOTOS.format(photographed), headers=factories.headers(old_unit)).status_code == 200
    assert client.get(CONSOLE_PHOTOS.format(photographed), headers=factories.headers(new_unit)).status_code == 404


def test_the_review_queue_gets_thumbnails_only_of_shifts_in_scope(client, county, volunteer, photographed):
    colleague = factories.volunteer(county.unit_b)
    west = start_shift(client, colleague, county.post_west)
    assert upload(client, colleague, west, scene_jpeg(42)).status_code == 201
    east_coordinator = load(factories.console_user("coordinator", district_=county.east).id)
    leader = load(factories.console_user("leader").id)
    now = utcnow()

    scoped = photos.thumbnails_for_shifts([photographed, west], east_coordinator, now)
    everything = photos.thumbnails_for_shifts([photographed, west], leader, now)

    assert set(scoped) == {photographed}
    assert [p["kind"] for p in scoped[photographed]] == ["start", "duty"]
    assert set(everything) == {photographed, west}
    assert photos.thumbnails_for_shifts([], leader, now) == {}


def test_the_on_duty_board_gets_the_latest_photo_of_each_shift(client, county, volunteer, photographed):
    other = start_shift(client, factories.volunteer(county.unit_b), county.post_west)
    now = utcnow()

    latest = photos.last_thumbnail_for_shifts([photographed, other], now)

    assert set(latest) == {photographed}
    assert latest[photographed]["kind"] == "duty"
    assert client.get(latest[photographed]["thumbnail_url"]).status_code == 200
