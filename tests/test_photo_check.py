"""Optional content check: each photo goes to WeChat's mediaCheckAsync, WeChat
downloads it from a signed link and pushes its verdict back; a risky photo
sends the shift to a coordinator. Against the fake WeChat server, over HTTP."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from server.evidence.photo_files import storage
from server.evidence.storage import photo_key
from server.wechat.push import push_signature
from tests import factories
from tests.factories import County
from tests.fake_wechat import APPID, SECRET
from tests.photo_helpers import photo_rows, scene_jpeg, shift_row, start_shift, upload

PUSH_TOKEN = "push-token-for-tests"
PUBLIC = "https://redvest.example.gov.cn"


@pytest.fixture
def check_app(make_app):
    app = make_app(WECHAT_APPID=APPID, WECHAT_SECRET=SECRET, PHOTO_CONTENT_CHECK=True,
                   WECHAT_PUSH_TOKEN=PUSH_TOKEN, PUBLIC_BASE_URL=PUBLIC)
    with app.app_context():
        yield app


@pytest.fixture
def served(check_app):
    """The app on real HTTP, where the fake WeChat fetches photos and pushes verdicts."""
    server = make_server("127.0.0.1", 0, check_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def on_duty(check_app):
    county = County.build()
    volunteer = factories.volunteer(county.unit_a)
    client = check_app.test_client()
    return client, volunteer, start_shift(client, volunteer, county.post_east)


def test_each_photo_is_submitted_with_a_link_wechat_can_download(check_app, served, fake_wechat, on_duty):
    client, volunteer, shift_id = on_duty

    assert upload(client, volunteer, shift_id, scene_jpeg(60)).status_code == 201

    [row] = photo_rows()
    assert row["check_status"] == "pending"
    submitted = fake_wechat.media_checks[row["check_trace_id"]]
    assert (submitted["media_type"], submitted["version"], submitted["openid"]) == (2, 2, volunteer.openid)
    assert submitted["media_url"].startswith(f"{PUBLIC}/photos/{row['id']}.jpg?expires=")
    fetched = fake_wechat.fetch_media(row["check_trace_id"], fetch_base=served)
    assert fetched.status_code == 200
    assert fetched.content == storage(check_app).get(photo_key(row["sha256"]))


def test_a_risky_verdict_sends_the_shift_to_review(served, fake_wechat, on_duty):
    client, volunteer, shift_id = on_duty
    assert upload(client, volunteer, shift_id, scene_jpeg(61)).status_code == 201
    trace_id = photo_rows()[0]["check_trace_id"]

    pushed = fake_wechat.push_media_check(trace_id, f"{served}/wechat/push", PUSH_TOKEN,
                                          suggest="risky", label=20002)

    assert pushed.status_code == 200 and pushed.text == "success"
    [row] = photo_rows()
    assert (row["check_status"], row["check_verdict"], row["check_label"]) == ("done", "risky", "20002")
    assert shift_row(shift_id)["flags"] == ["photo_content_risky"]
    assert shift_row(shift_id)["review_state"] == "pending"
    # WeChat repeats a push it thinks we missed; that changes nothing.
    assert fake_wechat.push_media_check(trace_id, f"{served}/wechat/push", PUSH_TOKEN,
                                        suggest="risky", label=20002).status_code == 200
    assert shift_row(shift_id)["flags"] == ["photo_content_risky"]


def test_a_passing_verdict_is_recorded_without_a_flag(served, fake_wechat, on_duty):
    client, volunteer, shift_id = on_duty
    assert upload(client, volunteer, shift_id, scene_jpeg(62)).status_code == 201

    fake_wechat.push_media_check(photo_rows()[0]["check_trace_id"], f"{served}/wechat/push", PUSH_TOKEN)

    assert photo_rows()[0]["check_verdict"] == "pass"
    assert shift_row(shift_id)["flags"] == [] and shift_row(shift_id)["review_state"] == "none"


def test_a_push_without_wechats_signature_is_refused(served, fake_wechat, on_duty):
    import requests

    client, volunteer, shift_id = on_duty
    assert upload(client, volunteer, shift_id, scene_jpeg(63)).status_code == 201
    trace_id = photo_rows()[0]["check_trace_id"]

    forged = fake_wechat.push_media_check(trace_id, f"{served}/wechat/push", "guessed-token", suggest="pass")
    unsigned = requests.post(f"{served}/wechat/push", json={"Event": "wxa_media_check", "trace_id": trace_id,
                                                            "result": {"suggest": "pass"}}, timeout=5)

    assert (forged.status_code, unsigned.status_code) == (403, 403)
    assert photo_rows()[0]["check_status"] == "pending"


def test_wechat_verifies_the_push_url_with_an_echo(check_app):
    signature = push_signature(PUSH_TOKEN, "1714036504", "1514711492")
    res = check_app.test_client().get("/wechat/push", query_string={
        "signature": signature, "timestamp": "1714036504", "nonce": "1514711492", "echostr": "hello-123"})

    assert res.status_code == 200 and res.get_data(as_text=True) == "hello-123"
    assert push_signature("AAAAA", "1714036504", "1514711492") == "f464b24fc39322e44b38aa78f5edd27bd1441696"


def test_a_refused_submission_does_not_cost_the_volunteer_the_photo(fake_wechat, on_duty):
    client, volunteer, shift_id = on_duty
    fake_wechat.media_check_errors.append(45009)

    assert upload(client, volunteer, shift_id, scene_jpeg(64)).status_code == 201
    [row] = photo_rows()
    assert (row["check_status"], row["check_trace_id"]) == ("failed", None)


def test_without_the_setting_nothing_is_sent_and_there_is_no_push_url(client, county, fake_wechat):
    volunteer = factories.volunteer(county.unit_a)
    shift_id = start_shift(client, volunteer, county.post_east)
    before = len(fake_wechat.calls_to("/wxa/media_check_async"))

    assert upload(client, volunteer, shift_id, scene_jpeg(65)).status_code == 201

    assert len(fake_wechat.calls_to("/wxa/media_check_async")) == before
    assert photo_rows()[0]["check_status"] == "none"
    assert client.post("/wechat/push", json={}).status_code == 404
