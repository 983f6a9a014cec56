"""Two phones, one volunteer, the same second: the database keeps one shift open."""
import threading

import pytest
import requests
import sqlalchemy as sa

from server.db import db
from server.models import Shift
from tests import factories
from tests.factories import at_post


def fire(url, bodies, headers):
    barrier = threading.Barrier(len(bodies))
    results = [None] * len(bodies)

    def worker(i):
        session = requests.Session()
        barrier.wait()
        res = session.post(url, json=bodies[i], headers=headers, timeout=60)
        results[i] = (res.status_code, res.json())

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def open_shifts(volunteer_id):
    db.session.expire_all()
    return db.session.execute(sa.select(sa.func.count(Shift.id)).where(
        Shift.volunteer_id == volunteer_id, Shift.status == "open")).scalar_one()


def test_twenty_simultaneous_starts_make_exactly_one_shift(live_server, county):
    volunteer = factories.volunteer(county.unit_a)
    headers = factories.headers(volunteer)
    bodies = [at_post(county.post_east) for _ in range(20)]
    results = fire(f"{live_server}/api/mp/v1/shifts", bodies, headers)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 19, results
    assert all(body["error"]["code"] == "SHIFT_ALREADY_OPEN" for status, body in results if status == 409)
    assert open_shifts(volunteer.id) == 1
    assert db.session.execute(sa.select(sa.func.count(Shift.id))).scalar_one() == 1


def test_twenty_retries_of_one_request_return_the_same_shift(live_server, county):
    volunteer = factories.volunteer(county.unit_a)
    headers = factories.headers(volunteer)
    bodies = [at_post(county.post_east, client_request_id="same-tap") for _ in range(20)]
    results = fire(f"{live_server}/api/mp/v1/shifts", bodies, headers)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 19 + [201], results
    assert len({body["id"] for _, body in results}) == 1
    assert open_shifts(volunteer.id) == 1


def test_scans_recover_after_the_database_connection_is_lost(client, county):
    """PostgreSQL restarts happen; the next scan after a broken connection must work again."""
    from server import fastsql
    volunteer = factories.volunteer(county.unit_a)
    headers = factories.headers(volunteer)
    assert client.post("/api/mp/v1/shifts", json=at_post(county.post_east), headers=headers).status_code == 201
    # The request ran in this thread: break the connection it used, as a server restart would.
    for hot in list(fastsql._local.__dict__.get("by_app", {}).values()):
        hot.conn.close()
    assert client.get("/api/mp/v1/me", headers=headers).status_code == 200
    res = client.post("/api/mp/v1/shifts", json=at_post(county.post_east2), headers=headers)
    assert res.status_code == 409 and res.get_json()["error"]["code"] == "SHIFT_ALREADY_OPEN"


def test_the_first_scan_after_a_postgresql_restart_works(app, client, county):
    """A restart closes every server-side session; the worker's connection finds out only when it
    next speaks, and that scan must not be the one to fail."""
    from server import fastsql
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server to restart")
    volunteer = factories.volunteer(county.unit_a)
    headers = factories.headers(volunteer)
    assert client.get("/api/mp/v1/me", headers=headers).status_code == 200

    def restart():  # what a PostgreSQL restart does to this worker's scan connection
        pid = fastsql._local.by_app[app].conn.info.backend_pid
        assert db.session.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        db.session.commit()

    restart()
    res = client.post("/api/mp/v1/shifts", json=at_post(county.post_east), headers=headers)
    assert res.status_code == 201, res.get_json()
    shift = res.get_json()
    restart()
    res = client.post(f"/api/mp/v1/shifts/{shift['id']}/end", json=at_post(county.post_east), headers=headers)
    assert res.status_code == 200, res.get_json()


def test_an_unreachable_database_is_a_503_the_volunteer_may_retry():
    from server import create_app, tokens
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-long-enough",
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"})
    with app.app_context():
        token, _ = tokens.issue(1, "mp")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for method, url, body in (("GET", "/api/mp/v1/me", None),
                              ("POST", "/api/mp/v1/shifts", {"qr": "1.1.AAAAAAAAAAAA", "latitude": 29.2,
                                                             "longitude": 117.8})):
        res = client.open(url, method=method, json=body, headers=headers)
        assert res.status_code == 503 and res.get_json()["error"]["code"] == "DATABASE_UNAVAILABLE"


def _closing(now):
    return dict(status="closed", ended_at=now, end_lat=29.0, end_lng=117.0, end_accuracy=10.0, end_distance_m=5.0,
                credited_minutes=30, persuasions=0, questionnaires=0, note=None, end_point=None)


def test_a_flag_raised_while_the_volunteer_scans_out_is_kept(app, client, county):
    """The scan-out reads the shift without a lock; a photo check may flag it before the write."""
    from server.checkin import shift_flags
    from server.checkin import shifts
    from server.clock import utcnow
    volunteer = factories.volunteer(county.unit_a)
    shift_id = client.post("/api/mp/v1/shifts", json=at_post(county.post_east),
                           headers=factories.headers(volunteer)).get_json()["id"]
    read_by_the_scan_out = []  # no flags yet when the scan-out read the shift
    shift_flags.raise_flags(shift_id, shift_flags.current(shift_id), ["photo_reused"], utcnow(),
                            actor_id=None, action="photo_flag")
    db.session.commit()
    review = shifts.close_open(shift_id, read_by_the_scan_out, ["too_short"], _closing(utcnow()))
    row = db.session.get(Shift, shift_id)
    db.session.refresh(row)
    assert row.status == "closed"
    assert set(row.flags) == {"photo_reused", "too_short"} and row.review_state == "pending"
    assert review == {"flags": row.flags, "review_state": "pending"}


def test_of_two_racing_scan_outs_only_one_closes_the_shift(app, client, county):
    from server.checkin import shifts
    from server.clock import utcnow
    from server.errors import ApiError
    volunteer = factories.volunteer(county.unit_a)
    headers = factories.headers(volunteer)
    shift_id = client.post("/api/mp/v1/shifts", json=at_post(county.post_east), headers=headers).get_json()["id"]
    first = client.post(f"/api/mp/v1/shifts/{shift_id}/end", json=at_post(county.post_east), headers=headers)
    assert first.status_code == 200
    # The second read the shift while it was still open, and writes after the first.
    with pytest.raises(ApiError) as refused:
        shifts.close_open(shift_id, [], [], _closing(utcnow()))
    assert refused.value.code == "SHIFT_NOT_OPEN"
    row = db.session.get(Shift, shift_id)
    db.session.refresh(row)
    assert first.get_json()["credited_minutes"] == 0  # a minute's shift; the racing write would credit 30
    assert row.credited_minutes == 0 and row.status == "closed"


def test_scans_are_copied_into_the_database_file_every_so_many_commits(app, client, county, monkeypatch,
                                                                       tmp_path):
    """The scan path checkpoints the WAL itself, after its writer lock is released, instead of
    letting SQLite do it inside a COMMIT while every other scan waits: the WAL is still emptied
    into the database file, so it cannot grow without bound."""
    import shutil
    import sqlite3

    from server import fastsql
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL has no WAL file of ours to checkpoint")
    monkeypatch.setattr(fastsql, "CHECKPOINT_EVERY_COMMITS", 2)
    headers = factories.headers(factories.volunteer(county.unit_a))
    shift = client.post("/api/mp/v1/shifts", json=at_post(county.post_east), headers=headers).get_json()

    def in_database_file_alone():
        """What a reader of the database file without its WAL would find of the shift."""
        copy = tmp_path / "without-wal.sqlite3"
        shutil.copy(db.engine.url.database, copy)
        with sqlite3.connect(copy) as conn:
            return conn.execute("SELECT status FROM shifts WHERE id = ?", (shift["id"],)).fetchone()

    assert in_database_file_alone() is None  # one commit: still only in the WAL
    res = client.post(f"/api/mp/v1/shifts/{shift['id']}/end", json=at_post(county.post_east), headers=headers)
    assert res.status_code == 200
    assert in_database_file_alone() == ("closed",)  # the second commit checkpointed both
