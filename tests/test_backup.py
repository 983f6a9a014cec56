"""A county's data survives a lost disk: back up, keep working, restore, find the old data exactly."""
from __future__ import annotations

import os

import sqlalchemy as sa

from server.db import db
from server.evidence.photo_files import storage
from server.models import Post, User
from tests import factories
from tests.photo_helpers import scene_jpeg, start_shift, stored_keys, upload

TABLES = ("units", "districts", "users", "posts", "shifts", "photos", "audit_log")


def snapshot() -> dict:
    """Every row of the tables a county cares about, in a stable order."""
    db.session.commit()
    with db.engine.connect() as conn:
        return {table: [tuple(row) for row in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))]
                for table in TABLES}


def files(app) -> dict[str, bytes]:
    return {key: storage(app).get(key) for key in stored_keys(app)}


def test_backup_then_restore_brings_back_exactly_the_old_data(app, client, county, tmp_path):
    volunteer = factories.volunteer(county.unit_a)
    volunteer_id = volunteer.id
    shift_id = start_shift(client, volunteer, county.post_east)
    assert upload(client, volunteer, shift_id, scene_jpeg(71)).status_code == 201
    before, before_files = snapshot(), files(app)
    assert before["shifts"] and before["photos"] and len(before_files) == 2

    runner = app.test_cli_runner()
    out = tmp_path / "backup-1"
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "manifest.json").is_file()

    # Life goes on after the backup: a new volunteer, a new photo, a renamed post.
    other = factories.volunteer(county.unit_b)
    other_shift = start_shift(client, other, county.post_east2)
    assert upload(client, other, other_shift, scene_jpeg(72)).status_code == 201
    db.session.execute(sa.update(Post).where(Post.id == county.post_east.id).values(name="改名的岗位"))
    db.session.commit()
    assert snapshot() != before and len(files(app)) == 4

    asked = runner.invoke(args=["restore", "--from", str(out)])
    assert asked.exit_code == 1 and "would replace" in asked.output and "--yes" in asked.output
    assert len(files(app)) == 4 and snapshot() != before  # nothing changed without --yes

    restored = runner.invoke(args=["restore", "--from", str(out), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert snapshot() == before
    assert files(app) == before_files
    # The app carries on with the restored data: the volunteer's open shift is there.
    res = client.get("/api/mp/v1/shifts", headers=factories.headers(db.session.get(User, volunteer_id)))
    assert res.status_code == 200 and [s["id"] for s in res.get_json()["items"]] == [shift_id]


def test_backup_refuses_a_folder_that_is_not_empty(app, tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "something").write_text("x")
    result = app.test_cli_runner().invoke(args=["backup", "--out", str(tmp_path / "old")])
    assert result.exit_code != 0 and "not empty" in result.output


def test_restore_refuses_an_interrupted_backup(app, tmp_path):
    os.makedirs(tmp_path / "partial" / "photos")
    result = app.test_cli_runner().invoke(args=["restore", "--from", str(tmp_path / "partial"), "--yes"])
    assert result.exit_code != 0 and "manifest.json" in result.output
