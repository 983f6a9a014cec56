"""``flask --app server privacy retention``: the periodic sweep of old photos and precise locations
(run it daily from cron), and ``privacy purge-revoked`` for the logout denylist."""
from __future__ import annotations

import click
from flask import current_app

from server.cli.failures import Group

from server import job_lock, revocation
from server.cli.commands import emit, json_option
from server.clock import utcnow
from server.evidence.photo_files import storage
from server.records import personal_data

privacy_cli = Group("privacy", help="Personal data: retention.")


@privacy_cli.command("retention")
@json_option
def retention(as_json: bool):
    """Delete photos older than PHOTO_RETENTION_DAYS (not under an open review or correction) and
    round coordinates older than LOCATION_RETENTION_DAYS to about 100 m.

    Takes the "privacy-retention" job lock, so every server may run it at once: one sweeps,
    the others skip."""
    with job_lock.exclusive("privacy-retention") as mine:
        if not mine:
            emit(as_json, {"skipped": "another run holds the lock"}, "privacy retention: another run holds the lock")
            return
        _sweep(as_json)


def _sweep(as_json: bool) -> None:
    cfg, now = current_app.config, utcnow()
    result = personal_data.apply_retention(storage(), now, cfg["PHOTO_RETENTION_DAYS"],
                                           cfg["LOCATION_RETENTION_DAYS"])
    result["revoked_tokens_purged"] = revocation.purge(now)
    emit(as_json, result, f"{result['photos_deleted']} photo(s) deleted, {result['shifts_coarsened']} shift(s) "
                          f"with coordinates rounded, {result['revoked_tokens_purged']} expired logout(s) forgotten")
