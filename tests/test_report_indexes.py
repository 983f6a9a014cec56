"""The report indexes hold finished shifts only, so a scan-in never has to update them.

That reports still read them is measured by bench/reports.py on a year of data (query plans
depend on table statistics, which a test database does not have)."""
import pytest
import sqlalchemy as sa

from server.db import db
from tests import factories
from tests.conftest import _is_postgres

pytestmark = pytest.mark.skipif(_is_postgres(), reason="INDEXED BY is SQLite's")


def test_an_open_shift_is_not_in_the_report_indexes(app, county):
    from tests.factories import at_post
    volunteer = factories.volunteer(county.unit_a)
    res = app.test_client().post("/api/mp/v1/shifts", json=at_post(county.post_east),
                                 headers=factories.headers(volunteer))
    assert res.status_code == 201
    counted = db.session.execute(sa.text(
        "SELECT count(*) FROM shifts INDEXED BY ix_shifts_report_by_date "
        "WHERE status IN ('closed', 'auto_closed') AND local_date IS NOT NULL")).scalar_one()
    assert counted == 0
