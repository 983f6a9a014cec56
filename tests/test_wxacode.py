"""With WeChat configured, posters carry the post's official mini-program code,
fetched once per post and QR version; when WeChat fails they fall back to the
plain QR code and say why in the log. Against the fake WeChat server."""
from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

import pytest
import requests

from server.wechat import access_token
from server.checkin import posts as post_service
from server.wechat import wxacode
from server.db import db
from server.models import WxaCode
from tests import factories
from tests.fake_wechat import APPID, SECRET
from tests.scanning import scan_pdf, scan_png, start_shift

API = "/api/console/v1"
WXACODE = "/wxa/getwxacodeunlimit"
PAGE = "pages/scan/index"


@pytest.fixture
def county(wechat_app, fake_wechat):
    fake_wechat.wxacode_errors.clear()
    return factories.County.build()


@pytest.fixture
def client(wechat_app):
    return wechat_app.test_client()


@pytest.fixture
def h(county):
    return factories.headers(factories.console_user("coordinator", district_=county.east))


def poster(client, h, post, kind="png", paper="A5"):
    res = client.get(f"{API}/posts/{post.id}/poster.{kind}?paper={paper}", headers=h)
    assert res.status_code == 200, res.data[:300]
    return res.data


def fetches(fake_wechat) -> int:
    return len(fake_wechat.calls_to(WXACODE))


def official(post) -> str:
    """What the fake's code holds: the scan page and the post's compact scene."""
    return f"{PAGE}?scene={post_service.qr_scene(post)}"


def scene_query(scanned: str) -> str:
    """What the scan page hands the API: its `scene` query parameter (onLoad(query))."""
    return urlsplit(scanned).query


def test_poster_carries_the_official_code_and_it_starts_a_shift(client, h, county, fake_wechat):
    post = county.post_east
    before = fetches(fake_wechat)
    scanned = scan_png(poster(client, h, post))
    assert scanned == official(post)
    assert fetches(fake_wechat) == before + 1
    asked = fake_wechat.calls_to(WXACODE)[-1]
    assert asked["scene"] == post_service.qr_scene(post) and len(asked["scene"]) <= 32
    assert asked["page"] == PAGE and asked["check_path"] is False and asked["env_version"] == "release"
    volunteer = factories.headers(factories.volunteer(county.unit_a))
    assert start_shift(client, volunteer, post, scene_query(scanned)).status_code == 201


def test_code_is_fetched_once_per_post_and_version(wechat_app, client, h, county, fake_wechat, tmp_path):
    post = county.post_east
    poster(client, h, post)
    before = fetches(fake_wechat)
    # Another paper and format: drawn again, but with the code already kept.
    assert scan_pdf(poster(client, h, post, "pdf", "A4")) == [official(post)]
    result = wechat_app.test_cli_runner().invoke(args=["posters", "export", "--post", str(post.id),
                                                       "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["official_codes"] == 1
    assert scan_png((tmp_path / "out" / f"{post.id}.png").read_bytes()) == official(post)
    assert fetches(fake_wechat) == before


def test_cli_export_of_a_district_prints_official_codes(wechat_app, county, fake_wechat, tmp_path):
    out = tmp_path / "out"
    result = wechat_app.test_cli_runner().invoke(args=[
        "posters", "export", "--district", str(county.east.id), "--out", str(out), "--workers", "2", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["official_codes"] == 2
    east = (county.post_east, county.post_east2)
    assert scan_pdf((out / "posters.pdf").read_bytes()) == [official(p) for p in east]
    for post in east:
        assert scan_png((out / f"{post.id}.png").read_bytes()) == official(post)


def test_rotation_fetches_a_new_code_and_the_old_one_is_refused(client, h, county, fake_wechat):
    post = county.post_east
    old = scan_png(poster(client, h, post))
    assert client.post(f"{API}/posts/{post.id}/rotate-qr", headers=h).status_code == 200
    db.session.refresh(post)
    before = fetches(fake_wechat)
    new = scan_png(poster(client, h, post))
    assert fetches(fake_wechat) == before + 1
    assert new == official(post) != old
    first, second = (factories.headers(factories.volunteer(county.unit_a)) for _ in range(2))
    refused = start_shift(client, first, post, scene_query(old))
    assert refused.status_code == 410 and refused.get_json()["error"]["code"] == "QR_REVOKED"
    assert start_shift(client, second, post, scene_query(new)).status_code == 201
    # Only the live version's code is kept.
    assert [c.qr_version for c in db.session.query(WxaCode).filter_by(post_id=post.id)] == [2]


def test_a_rejected_access_token_is_renewed_and_the_code_still_fetched(client, h, county, fake_wechat):
    poster(client, h, county.post_east)  # a token is now cached in the database
    fake_wechat.expire_access_tokens()  # WeChat no longer knows it: 40001
    tokens_before = len(fake_wechat.calls_to("/cgi-bin/stable_token"))
    assert scan_png(poster(client, h, county.post_east2)) == official(county.post_east2)
    assert len(fake_wechat.calls_to("/cgi-bin/stable_token")) == tokens_before + 1


def test_threads_fetching_a_district_all_renew_a_rejected_token(wechat_app, county, fake_wechat, tmp_path):
    east = [county.post_east, county.post_east2] + [factories.post(county.east) for _ in range(6)]
    access_token.from_config(wechat_app.config).get()
    fake_wechat.expire_access_tokens()  # every thread's first call answers 40001
    result = wechat_app.test_cli_runner().invoke(args=[
        "posters", "export", "--district", str(county.east.id), "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["official_codes"] == len(east)
    for post in east:
        assert scan_png((tmp_path / "out" / f"{post.id}.png").read_bytes()) == official(post)


def test_a_wechat_error_falls_back_to_the_plain_qr_with_a_warning(client, h, county, fake_wechat, caplog):
    fake_wechat.wxacode_errors.append(45009)
    with caplog.at_level(logging.WARNING, logger="server.wechat.wxacode"):
        scanned = scan_png(poster(client, h, county.post_east))
    assert scanned == post_service.qr_url(county.post_east)
    assert any("errcode=45009" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)
    assert db.session.query(WxaCode).count() == 0
    volunteer = factories.headers(factories.volunteer(county.unit_a))
    assert start_shift(client, volunteer, county.post_east, scanned).status_code == 201
    # WeChat is back: the next download gets the official code.
    assert scan_png(poster(client, h, county.post_east)) == official(county.post_east)


def test_a_failing_wechat_is_asked_a_few_times_per_batch_not_once_per_post(wechat_app, county, fake_wechat,
                                                                           tmp_path, caplog):
    east = [county.post_east, county.post_east2] + [factories.post(county.east) for _ in range(10)]
    fake_wechat.wxacode_errors.extend([-1] * 20)  # WeChat is down for good
    before = fetches(fake_wechat)
    with caplog.at_level(logging.WARNING, logger="server.wechat.wxacode"):
        result = wechat_app.test_cli_runner().invoke(args=[
            "posters", "export", "--district", str(county.east.id), "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["posts"] == 12 and summary["official_codes"] == 0 and summary["plain_codes"] == 12
    # Those already under way when the first failed, and no more.
    assert fetches(fake_wechat) - before <= wxacode.FETCH_THREADS < len(east)
    assert sum("errcode=-1" in r.getMessage() for r in caplog.records) == 1
    for post in east[:3]:
        assert scan_png((tmp_path / "out" / f"{post.id}.png").read_bytes()) == post_service.qr_url(post)


def test_a_misconfigured_app_build_falls_back_and_the_log_says_why(make_app, fake_wechat, caplog):
    app = make_app(WECHAT_APPID=APPID, WECHAT_SECRET=SECRET, WECHAT_ENV_VERSION="beta")
    with app.app_context():
        fake_wechat.wxacode_errors.clear()
        county = factories.County.build()
        h = factories.headers(factories.console_user("admin"))
        with caplog.at_level(logging.WARNING, logger="server.wechat.wxacode"):
            scanned = scan_png(poster(app.test_client(), h, county.post_west))
        assert scanned == post_service.qr_url(county.post_west)
    assert any("errcode=40097" in r.getMessage() for r in caplog.records)


def test_unreachable_wechat_falls_back_to_the_plain_qr(make_app, caplog):
    app = make_app(WECHAT_APPID=APPID, WECHAT_SECRET=SECRET, WECHAT_API_BASE="http://127.0.0.1:9")
    with app.app_context():
        county = factories.County.build()
        h = factories.headers(factories.console_user("leader"))
        with caplog.at_level(logging.WARNING, logger="server.wechat.wxacode"):
            res = app.test_client().get(f"{API}/districts/{county.east.id}/posters.pdf", headers=h)
        assert res.status_code == 200
        assert scan_pdf(res.data) == [post_service.qr_url(p) for p in (county.post_east, county.post_east2)]
    assert any("unreachable" in r.getMessage() for r in caplog.records if r.name == "server.wechat.wxacode")


def test_without_credentials_wechat_is_not_asked(make_app, fake_wechat):
    app = make_app()
    with app.app_context():
        county = factories.County.build()
        h = factories.headers(factories.console_user("admin"))
        before = fetches(fake_wechat)
        scanned = scan_png(poster(app.test_client(), h, county.post_east))
        assert scanned == post_service.qr_url(county.post_east)
        assert fetches(fake_wechat) == before


@pytest.mark.parametrize("scene,errcode", [("", 40169), ("x" * 33, 40169), ("中文", 40129), ("a%20b", 40129)])
def test_the_fake_refuses_scenes_wechat_refuses(wechat_app, fake_wechat, scene, errcode):
    token = access_token.from_config(wechat_app.config).get()
    res = requests.post(f"{fake_wechat.base_url}{WXACODE}", params={"access_token": token},
                        json={"scene": scene, "page": PAGE, "check_path": False}, timeout=5)
    assert res.headers["Content-Type"].startswith("application/json")
    assert res.json()["errcode"] == errcode
