"""A coordinator prints posters for the district's posts (command line or console),
a volunteer scans one and starts a shift; after a rotation the old poster is refused."""
from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest

from server.clock import utcnow
from server.db import db
from server.models import AuditLog, Post
from tests import factories
from tests.scanning import pdf_page_sizes_mm, scan_pdf, scan_png, start_shift

LONG_NAME = "XX县人民路与解放大道交叉口东南角文明交通劝导岗"
API = "/api/console/v1"


@pytest.fixture
def long_post(county):
    return factories.post(county.east, name=LONG_NAME, lat=factories.BASE_LAT + 0.002)


@pytest.fixture
def east_coordinator(county):
    return factories.console_user("coordinator", district_=county.east)


def cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def printed_url(app, post) -> str:
    """What `flask posts qr ID` prints: the poster must hold exactly this."""
    result = cli(app, "posts", "qr", str(post.id))
    assert result.exit_code == 0, result.output
    return result.output.removesuffix("\n")


def volunteers(county, n):
    return [factories.headers(factories.volunteer(county.unit_a)) for _ in range(n)]


# ------------------------------------------------------------------ command line

def test_cli_exports_a_district_whose_posters_start_shifts(app, client, county, long_post, tmp_path):
    out = tmp_path / "print" / "east"  # created by the command
    result = cli(app, "posters", "export", "--district", str(county.east.id), "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    east = [county.post_east, county.post_east2, long_post]
    assert summary["posts"] == 3 and summary["paper"] == "A5" and summary["plain_codes"] == 3
    assert sorted(os.listdir(out)) == sorted([f"{p.id}.png" for p in east] + ["posters.pdf"])

    pdf = (out / "posters.pdf").read_bytes()
    assert pdf_page_sizes_mm(pdf) == [(148, 210)] * 3
    pages = scan_pdf(pdf)
    for post, page_text, h in zip(east, pages, volunteers(county, 3)):
        url = printed_url(app, post)
        png_text = scan_png((out / f"{post.id}.png").read_bytes())
        assert png_text.encode() == url.encode() and page_text == url
        assert start_shift(client, h, post, png_text).status_code == 201


def test_cli_with_no_filter_prints_every_active_post_on_a4(app, county, long_post, tmp_path):
    county.post_west.active = False
    db.session.commit()
    out = tmp_path / "out"
    result = cli(app, "posters", "export", "--paper", "A4", "--out", str(out), "--workers", "2")
    assert result.exit_code == 0, result.output
    active = [county.post_east, county.post_east2, long_post]
    assert sorted(os.listdir(out)) == sorted([f"{p.id}.png" for p in active] + ["posters.pdf"])
    pdf = (out / "posters.pdf").read_bytes()
    assert pdf_page_sizes_mm(pdf) == [(210, 297)] * 3
    assert scan_pdf(pdf) == [printed_url(app, p) for p in active]


def test_cli_prints_a_named_post_even_before_it_opens(app, county, tmp_path):
    county.post_west.active = False
    db.session.commit()
    out = tmp_path / "out"
    result = cli(app, "posters", "export", "--post", str(county.post_west.id), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(out)) == [f"{county.post_west.id}.png", "posters.pdf"]


@pytest.mark.parametrize("args", [
    ["--district", "999"],
    ["--post", "999"],
    ["--district", "WEST", "--post", "EAST"],  # a post of another district
])
def test_cli_refuses_when_no_post_matches_and_writes_nothing(app, county, tmp_path, args):
    ids = {"WEST": str(county.west.id), "EAST": str(county.post_east.id)}
    out = tmp_path / "out"
    result = cli(app, "posters", "export", *[ids.get(a, a) for a in args], "--out", str(out))
    assert result.exit_code != 0 and "没有符合条件的岗位" in result.output
    assert not out.exists()


def test_cli_refuses_a_missing_font_before_writing_anything(make_app, tmp_path):
    app = make_app(POSTER_FONT=str(tmp_path / "NotoSansCJKsc-Regular.otf"))
    with app.app_context():
        factories.County.build()
        out = tmp_path / "out"
        result = cli(app, "posters", "export", "--out", str(out))
    assert result.exit_code != 0 and "NotoSansCJKsc-Regular.otf" in result.output
    assert not out.exists()


# ------------------------------------------------------------------ console

def test_console_says_so_when_the_poster_font_is_missing(make_app, tmp_path):
    app = make_app(POSTER_FONT=str(tmp_path / "no-such-font.otf"))
    with app.app_context():
        county = factories.County.build()
        res = app.test_client().get(f"{API}/posts/{county.post_east.id}/poster.pdf",
                                    headers=factories.headers(factories.console_user("admin")))
        assert res.status_code == 503 and res.get_json()["error"]["code"] == "POSTER_FONT_MISSING"
        assert not os.path.exists(app.config["POSTER_CACHE_DIR"])


def test_coordinator_downloads_posters_for_long_and_short_names(app, client, county, long_post,
                                                                east_coordinator):
    h = factories.headers(east_coordinator)
    vols = volunteers(county, 2)
    for post, vh in zip((long_post, county.post_east2), vols):
        png = client.get(f"{API}/posts/{post.id}/poster.png", headers=h)
        assert png.status_code == 200 and png.mimetype == "image/png"
        assert png.headers["Cache-Control"] == "private, no-cache"
        pdf = client.get(f"{API}/posts/{post.id}/poster.pdf?paper=A4", headers=h)
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
        assert pdf_page_sizes_mm(pdf.data) == [(210, 297)]
        url = printed_url(app, post)
        assert scan_png(png.data) == url and scan_pdf(pdf.data) == [url]
        assert start_shift(client, vh, post, scan_png(png.data)).status_code == 201


def test_district_pdf_has_every_active_post_in_order(app, client, county, long_post, east_coordinator):
    county.post_east2.active = False
    db.session.commit()
    res = client.get(f"{API}/districts/{county.east.id}/posters.pdf", headers=factories.headers(east_coordinator))
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    assert pdf_page_sizes_mm(res.data) == [(148, 210)] * 2
    assert scan_pdf(res.data) == [printed_url(app, county.post_east), printed_url(app, long_post)]


def test_district_without_active_posts_has_no_posters(client, county):
    for post in (county.post_west,):
        post.active = False
    db.session.commit()
    res = client.get(f"{API}/districts/{county.west.id}/posters.pdf",
                     headers=factories.headers(factories.console_user("admin")))
    assert res.status_code == 404 and res.get_json()["error"]["code"] == "NO_POSTS"


def test_unknown_paper_is_refused_naming_the_field(client, county, east_coordinator):
    res = client.get(f"{API}/posts/{county.post_east.id}/poster.pdf?paper=Letter",
                     headers=factories.headers(east_coordinator))
    assert res.status_code == 422 and res.get_json()["error"]["field"] == "paper"


def test_a_name_the_font_cannot_draw_is_refused_not_printed_as_boxes(client, county, east_coordinator):
    county.post_east.name = "东湖\ue000公园"  # a private-use character: no font has it
    db.session.commit()
    res = client.get(f"{API}/posts/{county.post_east.id}/poster.png", headers=factories.headers(east_coordinator))
    assert res.status_code == 422 and res.get_json()["error"]["code"] == "POSTER_TEXT_UNPRINTABLE"


def test_a_second_download_revalidates_and_a_rename_redraws_the_poster(client, county, east_coordinator):
    h = factories.headers(east_coordinator)
    url = f"{API}/posts/{county.post_east.id}/poster.png"
    first = client.get(url, headers=h)
    again = client.get(url, headers={**h, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    county.post_east.name = "人民路与解放路交叉口（新）"
    db.session.commit()
    renamed = client.get(url, headers={**h, "If-None-Match": first.headers["ETag"]})
    assert renamed.status_code == 200 and renamed.data != first.data


def test_bare_qr_code_images_hold_the_post_url(app, client, county, east_coordinator):
    h = factories.headers(east_coordinator)
    png = client.get(f"{API}/posts/{county.post_east.id}/qr.png?size=400", headers=h)
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert scan_png(png.data) == printed_url(app, county.post_east)
    svg = client.get(f"{API}/posts/{county.post_east.id}/qr.svg", headers=h)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


# ------------------------------------------------------------------ rotation

def test_after_rotation_the_old_poster_is_refused_and_the_new_one_works(app, client, county,
                                                                        east_coordinator):
    h = factories.headers(east_coordinator)
    post = county.post_east
    old_text = scan_png(client.get(f"{API}/posts/{post.id}/poster.png", headers=h).data)
    first, second = volunteers(county, 2)

    res = client.post(f"{API}/posts/{post.id}/rotate-qr", headers=h, json={"reason": "海报被撕毁"})
    assert res.status_code == 200
    body = res.get_json()
    assert body["id"] == post.id and body["qr_version"] == 2
    db.session.refresh(post)
    assert body["qr"] == printed_url(app, post) != old_text

    refused = start_shift(client, first, post, old_text)
    assert refused.status_code == 410
    error = refused.get_json()["error"]
    assert error["code"] == "QR_REVOKED" and "新海报" in error["message"]

    new_poster = client.get(f"{API}/posts/{post.id}/poster.png", headers=h)
    new_text = scan_png(new_poster.data)
    assert new_text == body["qr"]
    assert start_shift(client, second, post, new_text).status_code == 201

    entry = db.session.query(AuditLog).filter_by(action="rotate_qr", entity_id=post.id).one()
    assert entry.actor_id == east_coordinator.id and entry.reason == "海报被撕毁"
    assert entry.before == {"qr_version": 1} and entry.after == {"qr_version": 2}
    assert abs(entry.at - utcnow()) < timedelta(minutes=1)


def test_rotation_without_a_body_works(client, county):
    admin = factories.console_user("admin")
    res = client.post(f"{API}/posts/{county.post_west.id}/rotate-qr", headers=factories.headers(admin))
    assert res.status_code == 200 and res.get_json()["qr_version"] == 2
    assert db.session.query(AuditLog).filter_by(action="rotate_qr").one().actor_id == admin.id


# ------------------------------------------------------------------ who may do what

ENDPOINTS = [
    ("GET", "/posts/{east_post}/poster.png"),
    ("GET", "/posts/{east_post}/poster.pdf"),
    ("GET", "/districts/{east}/posters.pdf"),
    ("GET", "/posts/{east_post}/qr.png"),
    ("GET", "/posts/{east_post}/qr.svg"),
    ("POST", "/posts/{east_post}/rotate-qr"),
]
# Expected status per role, in ENDPOINTS order (posters..., rotate last).
ACCESS = {
    "anonymous": [401] * 6,
    "volunteer": [403] * 6,
    "unit coordinator": [404] * 6,
    "west coordinator": [404] * 6,
    "east coordinator": [200] * 6,
    "leader": [200] * 5 + [403],
    "admin": [200] * 6,
}


def _caller(role: str, county) -> dict:
    if role == "anonymous":
        return {}
    if role == "volunteer":
        # a console-kind token, so the role check is what answers (a mini-program token is 401)
        return factories.headers(factories.volunteer(county.unit_a), kind="console")
    user = {
        "unit coordinator": lambda: factories.console_user("coordinator", unit_=county.unit_a),
        "west coordinator": lambda: factories.console_user("coordinator", district_=county.west),
        "east coordinator": lambda: factories.console_user("coordinator", district_=county.east),
        "leader": lambda: factories.console_user("leader"),
        "admin": lambda: factories.console_user("admin"),
    }[role]()
    return factories.headers(user)


@pytest.mark.parametrize("role", list(ACCESS))
def test_who_may_print_posters_and_rotate_codes(client, county, role):
    # A unit coordinator whose volunteers served at the post still may not print its posters.
    start_shift(client, factories.headers(factories.volunteer(county.unit_a)), county.post_east,
                factories.qr_text(county.post_east))
    h = _caller(role, county)
    ids = {"east_post": county.post_east.id, "east": county.east.id}
    for (method, path), expected in zip(ENDPOINTS, ACCESS[role]):
        res = client.open(API + path.format(**ids), method=method, headers=h)
        assert res.status_code == expected, f"{role} {method} {path}: {res.status_code} {res.data[:200]}"
    rotated = db.session.get(Post, county.post_east.id)
    db.session.refresh(rotated)
    assert rotated.qr_version == (2 if ACCESS[role][-1] == 200 else 1)


def test_another_districts_post_and_a_missing_post_look_the_same(client, county, east_coordinator):
    h = factories.headers(east_coordinator)
    other = client.get(f"{API}/posts/{county.post_west.id}/poster.png", headers=h)
    missing = client.get(f"{API}/posts/999999/poster.png", headers=h)
    assert other.status_code == missing.status_code == 404
    assert other.get_json()["error"]["code"] == missing.get_json()["error"]["code"]
