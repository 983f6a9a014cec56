"""Faults a county's servers live through: PostgreSQL restarts, Redis and storage outages.
Each gives a 503 with a clear code while it lasts (never a 500) and full service right after,
without restarting the app."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest
import sqlalchemy as sa

from server.db import db
from tests import factories
from tests.photo_helpers import photo_rows, scene_jpeg, start_shift, upload
from tests.test_storage import aws_env  # noqa: F401  (fixture)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def terminate_every_other_backend() -> int:
    """What a PostgreSQL restart does to an app: every connection it holds is cut."""
    url = db.engine.url
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        killed = conn.execute(sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar_one()
    engine.dispose()
    return killed


def test_every_kind_of_request_works_right_after_postgresql_restarts(app, client, county):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server to restart")
    volunteer = factories.volunteer(county.unit_a)
    coordinator = factories.console_user("coordinator", unit_=county.unit_a)
    mp, console = factories.headers(volunteer), factories.headers(coordinator)
    requests = [("GET", "/api/mp/v1/me", mp, None, 200),
                ("GET", "/api/mp/v1/shifts", mp, None, 200),
                ("POST", "/api/mp/v1/shifts", mp, factories.at_post(county.post_east), 201),
                ("GET", "/api/console/v1/volunteers", console, None, 200),
                ("GET", "/readyz", {}, None, 200)]
    for method, url, headers, body, _ in requests:  # every pool and hot connection in use once
        client.open(url, method=method, headers=headers, json=body)
    client.post("/api/mp/v1/shifts/1/end", headers=mp, json=factories.at_post(county.post_east))
    db.session.remove()

    for method, url, headers, body, status in requests:
        assert terminate_every_other_backend() > 0
        res = client.open(url, method=method, headers=headers, json=body)
        assert res.status_code == status, (url, res.get_json())


def test_scans_go_on_while_redis_is_down_and_readyz_says_so(make_app):
    """Redis only holds what the servers can rebuild (WeChat's access token, rate counters):
    a scan does not need it."""
    app = make_app(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    with app.app_context():
        county = factories.County.build()
        volunteer = factories.volunteer(county.unit_a)
        client = app.test_client()
        start_shift(client, volunteer, county.post_east)
        res = client.get("/readyz")
    assert res.status_code == 503 and res.get_json()["failed"] == ["redis"]


@pytest.fixture
def redis_server(tmp_path):
    """A Redis of our own that the test may stop and start again on the same port."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server not installed")
    port = free_port()
    procs = []

    def start():
        proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
        procs.append(proc)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop():
        procs[-1].terminate()
        procs[-1].wait(10)

    start()
    yield f"redis://127.0.0.1:{port}/0", start, stop
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)


def test_a_request_that_needs_redis_is_a_503_while_it_is_down_and_works_after(make_app, redis_server):
    url, start, stop = redis_server
    app = make_app(REDIS_URL=url)
    from server import redis_client

    # Issue 14's rate limits keep their counters in Redis; this stands in for such a request.
    @app.get("/api/test-only/counter")
    def counter():
        return {"hits": redis_client.connection().incr("redvest:test:hits")}

    client = app.test_client()
    assert client.get("/api/test-only/counter").get_json() == {"hits": 1}
    stop()
    res = client.get("/api/test-only/counter")
    assert res.status_code == 503 and res.get_json()["error"]["code"] == "REDIS_UNAVAILABLE"
    assert client.get("/readyz").get_json()["failed"] == ["redis"]
    start()
    assert client.get("/api/test-only/counter").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_uploads_are_refused_while_the_bucket_is_down_and_work_again_after(make_app, aws_env):  # noqa: F811
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint, region_name="ap-shanghai").create_bucket(
        Bucket="evidence", CreateBucketConfiguration={"LocationConstraint": "ap-shanghai"})
    app = make_app(STORAGE_URL=f"s3://evidence?endpoint_url={endpoint}&region=ap-shanghai&max_attempts=1")
    try:
        with app.app_context():
            county = factories.County.build()
            volunteer = factories.volunteer(county.unit_a)
            client = app.test_client()
            shift_id = start_shift(client, volunteer, county.post_east)
            assert upload(client, volunteer, shift_id, scene_jpeg(61)).status_code == 201

            server.stop()
            res = upload(client, volunteer, shift_id, scene_jpeg(62))
            assert res.status_code == 503 and res.get_json()["error"]["code"] == "STORAGE_UNAVAILABLE"
            assert client.get("/readyz").get_json()["failed"] == ["storage"]
            assert len(photo_rows()) == 1  # the refused upload left no row

            server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            server.start()
            assert upload(client, volunteer, shift_id, scene_jpeg(63)).status_code == 201
            assert client.get("/readyz").status_code == 200
            assert len(photo_rows()) == 2
    finally:
        server.stop()
