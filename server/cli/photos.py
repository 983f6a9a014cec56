"""``flask --app server photos cleanup``: repair what a crash between writing a
photo's files and committing its row left behind.

Files no row names are deleted once they are older than --min-age (so an
upload still between its file write and its commit is never raced); rows
whose files are gone are reported, not changed: a person has to decide what
an evidence photo's loss means for its shift.
"""
from __future__ import annotations

from datetime import timedelta

import click
import sqlalchemy as sa

from server.cli.commands import emit, json_option
from server.cli.failures import Group
from server.clock import utcnow
from server.db import db
from server.models import Photo

photos_cli = Group("photos", help="Photo evidence files.")


@photos_cli.command("cleanup")
@click.option("--dry-run", is_flag=True, help="Report only; delete nothing.")
@click.option("--min-age", "min_age_minutes", type=int, default=60, show_default=True,
              help="Leave files younger than this many minutes alone (uploads in flight).")
@json_option
def cleanup(dry_run: bool, min_age_minutes: int, as_json: bool):
    """Delete stored files no photo row names; report rows whose files are missing."""
    from server.evidence.photo_files import storage
    from server.evidence.storage import photo_key, thumb_key

    store = storage()
    started = utcnow()
    cutoff = started - timedelta(minutes=min_age_minutes)
    # List the store before reading the rows: a file whose row commits after
    # our read was written after the listing began, so it is too young to touch.
    found = list(store.iter_objects())
    rows = db.session.execute(sa.select(Photo.id, Photo.sha256)).all()
    db.session.rollback()
    named = {sha for _id, sha in rows}

    orphans, young = [], 0
    for item in found:
        if item.key.split("/", 1)[1][:-len(".jpg")] in named:
            continue
        if item.modified_at > cutoff:
            young += 1
            continue
        orphans.append(item.key)
    deleted = 0
    if not dry_run:
        for key in orphans:
            store.delete(key)
            deleted += 1

    present = {item.key for item in found}
    missing = []
    for photo_id, sha in rows:
        for key in (photo_key(sha), thumb_key(sha)):
            # A row newer than the listing may have files the listing missed: ask again.
            if key not in present and not store.exists(key):
                missing.append({"photo_id": photo_id, "key": key})

    result = {"dry_run": dry_run, "files": len(found), "orphans": len(orphans), "deleted": deleted,
              "skipped_young": young, "orphan_keys": orphans, "missing": missing}
    text = (f"{len(found)} file(s); {len(orphans)} orphan(s) "
            f"{'found (dry run)' if dry_run else f'deleted ({deleted})'}, {young} too young to judge; "
            f"{len(missing)} missing file(s)"
            + "".join(f"\n  missing: photo {m['photo_id']} {m['key']}" for m in missing))
    emit(as_json, result, text)
    if missing:  # evidence is gone: make cron say so
        click.echo(f"错误：{len(missing)} 个照片文件缺失，需人工核查", err=True)
        raise SystemExit(1)
