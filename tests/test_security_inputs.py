"""Finding 8: odd inputs get a 4xx in the envelope, never a 500 or a hung worker."""
import base64
import io
from datetime import timedelta

import pytest

from server.clock import utcnow
from server.db import db
from server.models import User
from tests import factories

C = "/api/console/v1"


@pytest.fixture
def leader(county):
    return factories.headers(factories.console_user("leader"))


@pytest.mark.parametrize("url", [
    f"{C}/duty?post_id=1&from=0001-01-01&to=0001-01-02",
    f"{C}/duty?post_id=1&at=0001-01-01T00:00:00",
    f"{C}/slots?from=9999-12-31",
    f"{C}/slots?from=1999-12-31",
    f"{C}/bulletin.pdf?week=2026-W48%0d",
    f"{C}/bulletin.pdf?week=\uff12\uff10\uff12\uff16-W48",
    f"{C}/bulletin?week=9999-W52",
    f"{C}/rankings?month=9999-12",
    f"{C}/reports/hours?from=2026-11-01&to=2101-01-01",
    f"{C}/reports/shifts?cursor=" + base64.urlsafe_b64encode(b"2026-11-01T00:00:00|5").decode(),
    f"{C}/reports/hours?from=\u0662\u0660\u0662\u0666-11-01",
    f"{C}/volunteers?limit=\uff15",
])
def test_odd_dates_and_digits_are_a_422_naming_the_field(client, leader, url):
    res = client.get(url, headers=leader)
    assert res.status_code == 422, (url, res.status_code, res.get_data(as_text=True)[:200])
    assert res.get_json()["error"]["field"]


def test_a_chunked_body_cannot_slip_past_the_json_limit(client, county):
    volunteer = factories.volunteer(county.unit_a)
    body = b'{"note": "' + b"x" * (200 * 1024) + b'"}'

    # As gunicorn hands over a chunked request: no Content-Length, the input marked as terminated.
    res = client.post("/api/mp/v1/shifts/missing", input_stream=io.BytesIO(body),
                      headers={**factories.headers(volunteer), "Content-Type": "application/json",
                               "Transfer-Encoding": "chunked"},
                      environ_overrides={"wsgi.input_terminated": True})
    assert res.status_code == 413 and res.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_suspended_volunteer_cannot_change_their_name_phone_or_unit(client, county):
    volunteer = factories.volunteer(county.unit_a, name="原名", status="suspended")
    res = client.post("/api/mp/v1/me/registration", headers=factories.headers(volunteer),
                      json={"name": "新名", "phone": "13700000009", "unit_id": county.unit_b.id,
                            "privacy_version": "2026-12-02"})
    assert res.status_code == 403
    db.session.expire_all()
    assert db.session.get(User, volunteer.id).name == "原名"


def test_a_shift_cannot_claim_a_hundred_thousand_persuasions(client, county):
    volunteer = factories.volunteer(county.unit_a)
    auth = factories.headers(volunteer)
    started = client.post("/api/mp/v1/shifts", headers=auth, json=factories.at_post(county.post_east)).get_json()
    res = client.post(f"/api/mp/v1/shifts/{started['id']}/end", headers=auth,
                      json={**factories.at_post(county.post_east), "persuasions": 100000})
    assert res.status_code == 422 and res.get_json()["error"]["field"] == "persuasions"


def test_a_spot_check_photo_without_exif_is_not_counted_live(client, county):
    from tests.photo_helpers import scene_jpeg
    from tests.test_spot_checks import answer, minutes_ago
    from tests.roster_data import shift
    leader = factories.console_user("leader")
    alice = factories.volunteer(county.unit_a)
    shift(alice, county.post_east, minutes_ago(30), None)
    check = client.post(f"{C}/spot-checks", json={"post_id": county.post_east.id},
                        headers=factories.headers(leader)).get_json()
    [task] = client.get("/api/mp/v1/me/spot-checks", headers=factories.headers(alice)).get_json()["items"]
    from PIL import Image
    plain = io.BytesIO()
    Image.open(io.BytesIO(scene_jpeg(task["id"]))).save(plain, "JPEG")  # re-saved: no EXIF at all
    assert answer(client, alice, task["id"], county.post_east, data=plain.getvalue()).status_code == 200
    seen = client.get(f"{C}/spot-checks/{check['id']}", headers=factories.headers(leader)).get_json()
    assert seen["tasks"][0]["photo_live"] is False
