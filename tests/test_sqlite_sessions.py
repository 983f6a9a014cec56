"""On SQLite, a request reads what was committed before it, whatever an earlier request left behind."""
import sqlite3
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.clock import utcnow
from server.db import db
from server.models import Shift
from tests import factories
from tests.conftest import _is_postgres


@pytest.mark.skipif(_is_postgres(), reason="SQLite's snapshots only")
def test_a_cursor_left_unfinished_does_not_show_the_next_session_an_old_shift(app, county):
    volunteer = factories.volunteer(county.unit_a)
    shift = factories.shift(volunteer, county.post_east, utcnow() - timedelta(minutes=30), None)
    db.session.commit()
    shift_id = shift.id
    # A request that stopped reading half-way (an error mid-loop), its cursor still referenced.
    leftover = db.session.connection().exec_driver_sql("SELECT shifts.id FROM shifts, posts")  # rows to spare
    leftover.cursor.fetchone()
    db.session.remove()
    # The volunteer scans out through another connection (the scan path has its own).
    path = db.engine.url.database
    with sqlite3.connect(path, isolation_level=None) as other:
        other.execute("UPDATE shifts SET status = 'closed', ended_at = started_at WHERE id = ?", (shift_id,))
    status = db.session.execute(sa.select(Shift.status).where(Shift.id == shift_id)).scalar()
    assert status == "closed"
    leftover.close()
