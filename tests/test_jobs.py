"""Periodic jobs run from every app server's timers at once: each is idempotent or takes a lock."""
from __future__ import annotations

import json
import threading
from datetime import timedelta

from server import job_lock
from server.checkin import shifts
from server.db import db
from server.models import AuditLog, Shift
from tests import factories
from tests.test_hours import T0, rules, scan


def test_close_stale_on_two_servers_at_once_closes_each_shift_once(app, county):
    """close-stale is idempotent: a shift is closed by a conditional UPDATE, and only the run
    whose UPDATE changed the row writes the audit record."""
    for _ in range(12):
        shifts.start(factories.volunteer(county.unit_a).id, scan(county.post_east), None, T0, rules(app))
    now = T0 + timedelta(minutes=300)
    closed: list[list[int]] = []
    barrier = threading.Barrier(2)

    def server():
        with app.app_context():
            barrier.wait()
            closed.append(shifts.close_stale(now, rules(app)))
            db.session.remove()

    threads = [threading.Thread(target=server) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    all_closed = closed[0] + closed[1]
    assert len(all_closed) == len(set(all_closed)) == 12
    assert db.session.query(Shift).filter_by(status="auto_closed").count() == 12
    assert db.session.query(AuditLog).filter_by(action="auto_close").count() == 12


def test_photo_cleanup_skips_while_another_server_runs_it(app):
    runner = app.test_cli_runner()
    with job_lock.exclusive("photos-cleanup") as mine:
        assert mine
        skipped = runner.invoke(args=["photos", "cleanup", "--json"])
    assert skipped.exit_code == 0 and json.loads(skipped.output) == {"skipped": "another run holds the lock"}
    ran = runner.invoke(args=["photos", "cleanup", "--json"])
    assert ran.exit_code == 0 and json.loads(ran.output)["files"] == 0


def test_a_job_lock_is_one_holder_at_a_time_and_free_after(app):
    with job_lock.exclusive("backup") as first:
        with job_lock.exclusive("backup") as second:
            assert first and not second
        with job_lock.exclusive("other-job") as other:
            assert other
    with job_lock.exclusive("backup") as again:
        assert again
