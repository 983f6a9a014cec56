"""Two phones, one volunteer, the same second: the database keeps one shift open."""
import threading

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
