"""A volunteer sends photos of the duty from the mini-program; bad files are refused
with nothing kept, and reused or mistimed photos send the shift to review."""
from __future__ import annotations

import io
import os
import time
from contextlib import contextmanager
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from PIL import Image

from server.clock import local_iso, utcnow
from server.db import db
from server.models import AuditLog
from server.evidence.photo_files import storage
from server.evidence.storage import LocalStorage, StorageError, photo_key, thumb_key
from tests import factories
from tests.photo_helpers import (
    camera_exif, close_shift_minutes_ago, encode, end_shift, local_exif_time, make_scene, photo_rows, read_stored,
    scene_jpeg, set_shift_times, shift_row, start_shift, stored_keys, upload, with_exif,
)
from tests.images import jpeg_markers, png_header, with_red_corner


@pytest.fixture
def volunteer(county):
    return factories.volunteer(county.unit_a, name="张伟")


@pytest.fixture
def shift_id(client, county, volunteer):
    return start_shift(client, volunteer, county.post_east)


def second_shift(client, county, volunteer, first_id: int) -> int:
    """Ends the first shift and starts another at the same post: moving to another post within
    the same second would be a location_jump."""
    assert end_shift(client, volunteer, county.post_east, first_id).status_code == 200
    return start_shift(client, volunteer, county.post_east)


# --- accepted photos --------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_jpeg_png_or_webp_photo_is_accepted_and_viewable(app, client, shift_id, volunteer, fmt):
    upload_bytes = encode(make_scene((1000, 750), seed=3), fmt)

    res = upload(client, volunteer, shift_id, upload_bytes, kind="start", latitude=29.2481, longitude=117.8618)

    assert res.status_code == 201, res.get_json()
    body = res.get_json()
    assert set(body) == {"id", "kind", "width", "height", "bytes", "captured_at", "url", "thumbnail_url",
                         "expires_at"}
    assert (body["kind"], body["width"], body["height"]) == ("start", 1000, 750)
    assert body["url"].startswith(f"/photos/{body['id']}.jpg?") and body["expires_at"].endswith("+08:00")
    picture = client.get(body["url"])
    assert picture.status_code == 200 and picture.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(picture.data)).size == (1000, 750)
    assert len(picture.data) == body["bytes"]
    thumb = Image.open(io.BytesIO(client.get(body["thumbnail_url"]).data))
    assert thumb.size == (320, 240)
    [row] = photo_rows()
    assert (row["latitude"], row["longitude"], row["uploader_id"]) == (29.2481, 117.8618, volunteer.id)
    assert stored_keys(app) == {photo_key(row["sha256"]), thumb_key(row["sha256"])}


def test_a_twelve_megapixel_photo_is_stored_at_1600_pixels(app, client, shift_id, volunteer):
    res = upload(client, volunteer, shift_id, scene_jpeg(4, (4000, 3000), quality=90))

    assert res.status_code == 201
    assert (res.get_json()["width"], res.get_json()["height"]) == (1600, 1200)
    [row] = photo_rows()
    assert read_stored(app, photo_key(row["sha256"])).size == (1600, 1200)
    assert read_stored(app, thumb_key(row["sha256"])).size == (320, 240)


def test_a_photo_taken_sideways_is_stored_upright(app, client, shift_id, volunteer):
    # Sensor landscape, red corner top-left; EXIF 6 = "rotate 90° clockwise to view".
    sideways = encode(with_red_corner((400, 300)), "JPEG", exif=camera_exif(orientation=6))

    body = upload(client, volunteer, shift_id, sideways).get_json()

    assert (body["width"], body["height"]) == (300, 400)
    stored = read_stored(app, photo_key(photo_rows()[0]["sha256"])).convert("RGB")
    assert stored.size == (300, 400)
    red, green, blue = stored.getpixel((290, 10))  # the red corner is now top-right
    assert red > 200 and green < 60 and blue < 60


def test_the_stored_file_carries_no_metadata_but_the_evidence_is_recorded(app, client, shift_id, volunteer):
    taken = utcnow() - timedelta(minutes=5)
    upload_bytes = with_exif(make_scene((800, 600), seed=5), taken=local_exif_time(taken), offset=None,
                             lat=("N", (29.0, 14.0, 52.8)), lng=("E", (117.0, 51.0, 42.12)))
    assert b"SERIAL-123456" in upload_bytes

    body = upload(client, volunteer, shift_id, upload_bytes).get_json()

    [row] = photo_rows()
    for key in (photo_key(row["sha256"]), thumb_key(row["sha256"])):
        data = storage(app).get(key)
        assert b"SERIAL-123456" not in data and b"Example Phones" not in data
        assert 0xE1 not in jpeg_markers(data)  # no APP1: no EXIF, no XMP
        assert not Image.open(io.BytesIO(data)).getexif()
    assert row["captured_at"] == taken.replace(microsecond=0)  # EXIF keeps whole seconds
    assert body["captured_at"] == local_iso(row["captured_at"], ZoneInfo("Asia/Shanghai"))
    assert row["exif_lat"] == pytest.approx(29 + 14 / 60 + 52.8 / 3600, abs=1e-6)
    assert row["exif_lng"] == pytest.approx(117 + 51 / 60 + 42.12 / 3600, abs=1e-6)
    assert shift_row(shift_id)["flags"] == []


def test_sending_the_same_file_again_to_the_same_shift_keeps_one_photo(client, shift_id, volunteer):
    data = scene_jpeg(6)
    first = upload(client, volunteer, shift_id, data)
    again = upload(client, volunteer, shift_id, data)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(photo_rows()) == 1
    assert shift_row(shift_id)["flags"] == []


# --- refused uploads: a clear error, nothing kept ------------------------------------

TRUNCATED = scene_jpeg(7)[:6000]


@pytest.mark.parametrize("data, filename, status, code", [
    (b"", "tmp.jpg", 400, "EMPTY_FILE"),
    (TRUNCATED, "tmp.jpg", 422, "INVALID_IMAGE"),
    ("志愿者名单\n张伟,13900000000\n".encode(), "名单.jpg", 422, "INVALID_IMAGE"),
    (png_header(20000, 20000), "huge.png", 422, "PHOTO_TOO_LARGE_PIXELS"),
    (encode(make_scene((64, 48), seed=8), "GIF"), "anim.jpg", 422, "UNSUPPORTED_IMAGE_TYPE"),
], ids=["empty", "truncated", "text-renamed-jpg", "pixel-bomb", "gif"])
def test_a_bad_file_is_refused_and_nothing_is_kept(app, client, shift_id, volunteer, data, filename,
                                                   status, code):
    res = upload(client, volunteer, shift_id, data, filename=filename)

    assert res.status_code == status
    assert res.get_json()["error"]["code"] == code
    assert photo_rows() == [] and stored_keys(app) == set()


def test_a_file_under_another_field_name_is_refused_naming_the_field(app, client, shift_id, volunteer):
    res = upload(client, volunteer, shift_id, scene_jpeg(9), field="image")

    assert res.status_code == 400
    error = res.get_json()["error"]
    assert (error["code"], error["field"]) == ("PHOTO_MISSING", "file")
    assert photo_rows() == [] and stored_keys(app) == set()


def test_an_upload_over_ten_megabytes_is_refused_with_json_413(app, client, shift_id, volunteer):
    eleven_mb = b"\xff\xd8\xff" + os.urandom(11 * 1024 * 1024)

    res = upload(client, volunteer, shift_id, eleven_mb)

    assert res.status_code == 413
    assert res.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert res.get_json()["error"]["max_bytes"] == 10 * 1024 * 1024
    assert photo_rows() == [] and stored_keys(app) == set()


@pytest.mark.parametrize("form, field", [
    ({"kind": "selfie"}, "kind"),
    ({"latitude": "north", "longitude": "117.86"}, "latitude"),
    ({"latitude": "29.2"}, "longitude"),
    ({"latitude": "95", "longitude": "117.86"}, "latitude"),
])
def test_bad_form_fields_are_refused_naming_the_field(client, shift_id, volunteer, form, field):
    res = upload(client, volunteer, shift_id, scene_jpeg(10), **form)

    assert res.status_code == 422
    assert res.get_json()["error"]["field"] == field
    assert photo_rows() == []


def test_only_the_volunteers_own_shift_takes_photos(client, county, shift_id, volunteer):
    colleague = factories.volunteer(county.unit_a)

    assert upload(client, colleague, shift_id, scene_jpeg(11)).status_code == 404
    assert upload(client, volunteer, shift_id + 1000, scene_jpeg(11)).status_code == 404
    assert photo_rows() == []


# --- when and how many ----------------------------------------------------------

def test_photos_are_accepted_up_to_thirty_minutes_after_the_shift_closed(client, county, shift_id, volunteer):
    close_shift_minutes_ago(client, volunteer, county.post_east, shift_id, 29)
    assert upload(client, volunteer, shift_id, scene_jpeg(12)).status_code == 201

    close_time = utcnow() - timedelta(minutes=31)
    set_shift_times(shift_id, close_time - timedelta(hours=1), close_time)
    late = upload(client, volunteer, shift_id, scene_jpeg(13))

    assert late.status_code == 409
    assert late.get_json()["error"]["code"] == "PHOTO_WINDOW_CLOSED"
    assert len(photo_rows()) == 1


def test_a_voided_shift_takes_no_photos(client, county, shift_id, volunteer):
    close_shift_minutes_ago(client, volunteer, county.post_east, shift_id, 1)
    db.session.execute(sa.text("UPDATE shifts SET status = 'voided' WHERE id = :id"), {"id": shift_id})
    db.session.commit()

    res = upload(client, volunteer, shift_id, scene_jpeg(14))
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "PHOTO_WINDOW_CLOSED"


def test_a_shift_takes_at_most_nine_photos(app, client, shift_id, volunteer):
    for seed in range(100, 109):
        assert upload(client, volunteer, shift_id, scene_jpeg(seed, (160, 120))).status_code == 201

    tenth = upload(client, volunteer, shift_id, scene_jpeg(109, (160, 120)))

    assert tenth.status_code == 409
    error = tenth.get_json()["error"]
    assert (error["code"], error["limit"]) == ("PHOTO_LIMIT_REACHED", 9)
    assert len(photo_rows()) == 9 and len(stored_keys(app)) == 18


# --- anti-reuse ---------------------------------------------------------------------

def test_the_same_photo_sent_for_a_second_shift_flags_that_shift(client, county, shift_id, volunteer):
    data = scene_jpeg(20)
    assert upload(client, volunteer, shift_id, data).status_code == 201
    later = second_shift(client, county, volunteer, shift_id)

    res = upload(client, volunteer, later, data)

    assert res.status_code == 201  # flagged, not refused
    assert shift_row(later)["flags"] == ["photo_reused"]
    assert shift_row(later)["review_state"] == "pending"
    assert "photo_reused" not in shift_row(shift_id)["flags"]


def test_a_colleagues_photo_sent_again_flags_the_second_shift(client, county, shift_id, volunteer):
    data = scene_jpeg(21)
    assert upload(client, volunteer, shift_id, data).status_code == 201
    colleague = factories.volunteer(county.unit_b)
    theirs = start_shift(client, colleague, county.post_west)

    assert upload(client, colleague, theirs, data).status_code == 201
    assert shift_row(theirs)["flags"] == ["photo_reused"]


def test_a_recompressed_copy_of_an_earlier_photo_flags_the_shift(client, county, shift_id, volunteer):
    original = make_scene((1600, 1200), seed=22)
    assert upload(client, volunteer, shift_id, encode(original, "JPEG", quality=92)).status_code == 201
    later = second_shift(client, county, volunteer, shift_id)

    # As forwarded through a chat app: smaller and recompressed.
    copy = encode(original.resize((800, 600)), "JPEG", quality=60)
    assert upload(client, volunteer, later, copy).status_code == 201

    assert shift_row(later)["flags"] == ["photo_reused"]


def test_different_photos_and_featureless_ones_are_not_flagged(client, county, shift_id, volunteer):
    assert upload(client, volunteer, shift_id, scene_jpeg(23)).status_code == 201
    assert upload(client, volunteer, shift_id, encode(Image.new("RGB", (800, 600), (20, 20, 24)))).status_code == 201
    later = second_shift(client, county, volunteer, shift_id)

    assert upload(client, volunteer, later, scene_jpeg(24)).status_code == 201
    # Another dark night shot: its hash carries no information, so it is not compared.
    assert upload(client, volunteer, later, encode(Image.new("RGB", (800, 600), (22, 21, 25)))).status_code == 201

    assert shift_row(later)["flags"] == []


def test_a_photo_taken_long_before_the_shift_flags_it(client, shift_id, volunteer):
    old = with_exif(make_scene((800, 600), seed=25), taken="2024:05:01 08:30:15", offset="+08:00")

    res = upload(client, volunteer, shift_id, old)

    assert res.status_code == 201
    assert res.get_json()["captured_at"] == "2024-05-01T08:30:15+08:00"
    assert shift_row(shift_id)["flags"] == ["photo_time_mismatch"]


def test_a_photo_taken_during_the_shift_is_not_flagged(client, shift_id, volunteer):
    now = with_exif(make_scene((800, 600), seed=26), taken=local_exif_time(utcnow()), offset=None)

    assert upload(client, volunteer, shift_id, now).status_code == 201
    assert shift_row(shift_id)["flags"] == []


def test_photo_flags_survive_ending_the_shift(client, county, shift_id, volunteer):
    data = scene_jpeg(27)
    assert upload(client, volunteer, shift_id, data).status_code == 201
    later = second_shift(client, county, volunteer, shift_id)
    assert upload(client, volunteer, later, data).status_code == 201
    set_shift_times(later, utcnow() - timedelta(minutes=40))

    ended = end_shift(client, volunteer, county.post_east, later)

    assert ended.status_code == 200
    assert ended.get_json()["flags"] == ["photo_reused"]
    details = client.get(f"/api/mp/v1/shifts/{later}", headers=factories.headers(volunteer)).get_json()
    assert details["flags"] == ["photo_reused"] and details["review"]["state"] == "pending"
    assert [p["id"] for p in details["photos"]] == [photo_rows()[1]["id"]]


def test_a_late_photo_flag_on_a_closed_shift_is_audited(client, county, shift_id, volunteer):
    close_shift_minutes_ago(client, volunteer, county.post_east, shift_id, 10)
    old = with_exif(make_scene((800, 600), seed=28), taken="2024:05:01 08:30:15", offset="+08:00")

    assert upload(client, volunteer, shift_id, old).status_code == 201

    db.session.rollback()
    [audit] = db.session.execute(sa.select(AuditLog).where(AuditLog.action == "photo_flag")).scalars()
    assert (audit.entity_id, audit.actor_id) == (shift_id, volunteer.id)
    assert audit.before["review_state"] == "none"
    assert audit.after == {"flags": ["photo_time_mismatch"], "review_state": "pending"}


# --- failures leave nothing behind ----------------------------------------------------

class ThumbnailsFail(LocalStorage):
    """A disk that takes the photo and then fails on the thumbnail."""

    def put(self, key, data, content_type):
        if key.startswith("thumbs/"):
            raise StorageError()
        super().put(key, data, content_type)


def test_a_storage_failure_leaves_no_row_and_no_file(app, client, shift_id, volunteer):
    app.extensions["photo_storage"] = ThumbnailsFail(storage(app).root)

    res = upload(client, volunteer, shift_id, scene_jpeg(30))

    assert res.status_code == 503 and res.get_json()["error"]["code"] == "STORAGE_UNAVAILABLE"
    assert photo_rows() == [] and stored_keys(app) == set()


@contextmanager
def photo_rows_refused():
    """The database refuses the photo row, after the files were written."""
    def refuse(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO PHOTOS"):
            raise RuntimeError("disk full")

    sa.event.listen(db.engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", refuse)


def test_a_database_failure_after_the_files_were_written_leaves_no_file(app, client, shift_id, volunteer):
    with photo_rows_refused():
        res = upload(client, volunteer, shift_id, scene_jpeg(31))

    assert res.status_code == 500
    assert photo_rows() == [] and stored_keys(app) == set()


def test_a_failed_upload_never_deletes_a_file_another_photo_uses(app, client, county, shift_id, volunteer):
    data = scene_jpeg(32)
    assert upload(client, volunteer, shift_id, data).status_code == 201
    kept = stored_keys(app)
    later = second_shift(client, county, volunteer, shift_id)

    with photo_rows_refused():
        assert upload(client, volunteer, later, data).status_code == 500

    assert len(photo_rows()) == 1 and stored_keys(app) == kept
    first = client.get(f"/api/mp/v1/shifts/{shift_id}", headers=factories.headers(volunteer)).get_json()
    assert client.get(first["photos"][0]["url"]).status_code == 200


# --- the cleanup command -----------------------------------------------------------

def _age(app, key: str, hours: float) -> None:
    path = storage(app)._path(key)
    past = time.time() - hours * 3600
    os.utime(path, (past, past))


def test_cleanup_removes_old_orphan_files_and_reports_missing_ones(app, client, shift_id, volunteer):
    import hashlib
    import json

    kept = upload(client, volunteer, shift_id, scene_jpeg(33)).get_json()
    lost = upload(client, volunteer, shift_id, scene_jpeg(34)).get_json()
    rows = {r["id"]: r for r in photo_rows()}
    store = storage(app)
    store.delete(photo_key(rows[lost["id"]]["sha256"]))  # evidence gone missing
    crashed, in_flight = (hashlib.sha256(name).hexdigest() for name in (b"crashed", b"in flight"))
    for sha in (crashed, in_flight):
        store.put(photo_key(sha), b"jpeg", "image/jpeg")
        store.put(thumb_key(sha), b"jpeg", "image/jpeg")
    for key in (photo_key(crashed), thumb_key(crashed), photo_key(rows[kept["id"]]["sha256"])):
        _age(app, key, 3)
    runner = app.test_cli_runner()

    dry = runner.invoke(args=["photos", "cleanup", "--dry-run", "--json"])
    assert json.loads(dry.stdout)["orphans"] == 2 and len(stored_keys(app)) == 7

    result = runner.invoke(args=["photos", "cleanup", "--json"])

    report = json.loads(result.stdout)
    assert result.exit_code == 1  # evidence is missing: cron should tell someone
    assert result.stderr == "错误：1 个照片文件缺失，需人工核查\n"
    assert report["deleted"] == 2 and report["skipped_young"] == 2
    assert report["missing"] == [{"photo_id": lost["id"], "key": photo_key(rows[lost["id"]]["sha256"])}]
    assert stored_keys(app) == {photo_key(rows[kept["id"]]["sha256"]), thumb_key(rows[kept["id"]]["sha256"]),
                                thumb_key(rows[lost["id"]]["sha256"]),
                                photo_key(in_flight), thumb_key(in_flight)}
    assert client.get(kept["url"]).status_code == 200


def test_a_suspended_volunteer_cannot_upload(client, shift_id, volunteer):
    db.session.execute(sa.text("UPDATE users SET status = 'suspended' WHERE id = :id"), {"id": volunteer.id})
    db.session.commit()

    res = upload(client, volunteer, shift_id, scene_jpeg(35))
    assert res.status_code == 403 and res.get_json()["error"]["code"] == "ACCOUNT_SUSPENDED"
    assert photo_rows() == []


def test_simultaneous_uploads_for_the_last_place_let_exactly_one_in(app, client, live_server, shift_id,
                                                                     volunteer):
    import requests
    from concurrent.futures import ThreadPoolExecutor

    for seed in range(200, 208):
        assert upload(client, volunteer, shift_id, scene_jpeg(seed, (160, 120))).status_code == 201
    headers = factories.headers(volunteer)

    def send(seed: int) -> int:
        files = {"file": ("tmp.jpg", scene_jpeg(seed, (640, 480)), "image/jpeg")}
        return requests.post(f"{live_server}/api/mp/v1/shifts/{shift_id}/photos", headers=headers,
                             files=files, timeout=30).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(send, range(210, 214)))

    assert statuses == [201, 409, 409, 409]
    assert len(photo_rows()) == 9
    assert stored_keys(app) == {key for row in photo_rows()
                                for key in (photo_key(row["sha256"]), thumb_key(row["sha256"]))}
