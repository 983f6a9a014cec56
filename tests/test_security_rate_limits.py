"""Finding 6: cheap requests cannot buy costly work without limit."""
import io
import os
import socket
import subprocess
import sys
import time
import uuid
import zipfile

import pytest
import requests
from PIL import Image

from tests import factories
from tests.conftest import TEST_SECRET_KEY

MP = "/api/mp/v1"
C = "/api/console/v1"


def test_console_login_is_limited_per_address_with_retry_after(client, county):
    codes = [client.post(f"{C}/auth/login", json={"username": f"n{i}", "password": "x"}).status_code
             for i in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    res = client.post(f"{C}/auth/login", json={"username": "n", "password": "x"})
    assert res.get_json()["error"]["code"] == "RATE_LIMITED" and int(res.headers["Retry-After"]) > 0


def test_opening_the_sign_in_page_is_not_counted_as_a_sign_in(client, county):
    # A county office behind one address opens the page many times a minute; only sign-ins count.
    assert [client.get("/console/login").status_code for _ in range(15)] == [200] * 15
    from tests.test_console_pages import csrf_of
    token = csrf_of(client.get("/console/login").get_data(as_text=True))
    codes = [client.post("/console/login", data={"username": f"n{i}", "password": "x", "csrf_token": token}).status_code
             for i in range(11)]
    assert 429 not in codes[:10] and codes[10] == 429


def test_failed_uploads_count_toward_the_upload_limit(make_app):
    app = make_app(RATE_LIMIT_UPLOADS="3 per hour")
    with app.app_context():
        county = factories.County.build()
        volunteer = factories.volunteer(county.unit_a)
        client = app.test_client()
        headers = factories.headers(volunteer)
        codes = [client.post(f"{MP}/shifts/999/photos", headers=headers,
                             data={"file": (io.BytesIO(b"not an image"), "x.jpg")},
                             content_type="multipart/form-data").status_code for _ in range(4)]
    assert codes[3] == 429 and 429 not in codes[:3]


def test_a_county_that_turns_the_limits_off_is_never_refused_and_never_errs(make_app):
    app = make_app(RATE_LIMITS_ENABLED=False, RATE_LIMIT_MP_LOGIN="2 per minute")
    client = app.test_client()
    import gc
    gc.collect()  # nothing the limits left behind may be collected from under the views
    codes = [client.post(f"{MP}/auth/login", json={"code": f"dev:off{i}"}).status_code for i in range(5)]
    assert codes == [200] * 5


def test_a_huge_image_is_refused_from_its_header_before_decoding(client, county):
    from server.evidence import imaging
    buffer = io.BytesIO()
    Image.new("L", (7000, 7000)).save(buffer, "PNG")  # 49 MP, a few hundred KB compressed
    data = buffer.getvalue()[:160_000]  # truncated, as the attacker sent it
    started = time.perf_counter()
    with pytest.raises(imaging.PhotoTooLarge):
        imaging.process_photo(data, max_pixels=client.application.config["PHOTO_MAX_PIXELS"])
    assert time.perf_counter() - started < 5  # refused without decoding (not a timing assertion of speed)


def test_a_roster_sheet_that_unpacks_to_a_hundred_megabytes_is_refused_before_parsing(client, county):
    coordinator = factories.headers(factories.console_user("coordinator", unit_=county.unit_a))
    sheet = io.BytesIO()
    with zipfile.ZipFile(sheet, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/sharedStrings.xml", "<sst>" + "a" * (100 * 1024 * 1024) + "</sst>")
    assert len(sheet.getvalue()) < 1024 * 1024
    res = client.post(f"{C}/slots/import", headers=coordinator, query_string={"dry_run": "1"},
                      data={"file": (io.BytesIO(sheet.getvalue()), "r.xlsx")}, content_type="multipart/form-data")
    assert res.status_code == 422 and res.get_json()["error"]["field"] == "file"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(database_url: str, prefix: str, instance: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET_KEY,
           "REDIS_URL": "redis://127.0.0.1:6379/0", "RATE_LIMIT_KEY_PREFIX": prefix,
           "RATE_LIMIT_MP_LOGIN": "3 per minute", "STORAGE_URL": "file://" + instance}
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "server", "run", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):  # two minutes: a loaded shared machine starts Python slowly
        if process.poll() is not None:
            break
        try:
            requests.get(f"{base}/healthz", timeout=1)
            return process, base
        except requests.ConnectionError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not start")


def test_the_limit_holds_across_two_processes_sharing_redis(app, tmp_path):
    import redis
    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0").ping()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"redvest-test-{uuid.uuid4().hex}"
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    servers = [_serve(url, prefix, str(tmp_path / "photos")) for _ in range(2)]
    try:
        codes = []
        for n in range(4):  # A, B, A, B: each process alone has seen only two
            _, base = servers[n % 2]
            res = requests.post(f"{base}{MP}/auth/login", json={"code": f"dev:p{n}"}, timeout=10)
            codes.append(res.status_code)
        assert codes[:3] == [200, 200, 200] and codes[3] == 429
        assert res.json()["error"]["code"] == "RATE_LIMITED" and int(res.headers["Retry-After"]) > 0
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=10)


def test_a_certificate_is_rendered_once_until_the_hours_change(app, client, county):
    from datetime import datetime
    from tests.report_data import add_shift
    volunteer = factories.volunteer(county.unit_a)
    add_shift(volunteer, county.post_east, datetime(2026, 11, 9, 8, 0), 60)
    headers = factories.headers(volunteer)
    cache = app.config["CERTIFICATE_CACHE_DIR"]
    first = client.get(f"{MP}/me/certificate.pdf", headers=headers)
    again = client.get(f"{MP}/me/certificate.pdf", headers=headers)
    assert first.status_code == again.status_code == 200 and first.data == again.data
    assert len(os.listdir(cache)) == 1, "rendered once, then served from the cache"
    add_shift(volunteer, county.post_east, datetime(2026, 11, 10, 8, 0), 60)
    changed = client.get(f"{MP}/me/certificate.pdf", headers=headers)
    assert changed.headers["X-Certificate-Number"] != first.headers["X-Certificate-Number"]
    assert len(os.listdir(cache)) == 2
