"""``flask --app server backup --out DIR`` and ``flask --app server restore --from DIR [--yes]``.

A backup folder holds the database (SQLite: a copy made through SQLite's online backup API,
consistent while the app keeps writing; PostgreSQL: ``pg_dump -Fc``), the photo files when
they live in a local folder, and ``manifest.json``, written last: a folder without it is an
interrupted backup and restore refuses it. Photos in S3-compatible storage are not copied:
bucket versioning keeps them (docs/deploy.md says how to turn it on).

Restore replaces the database and the local photo folder with the backup's. Without
``--yes`` it says what it would replace and stops. Stop the app servers and timers first:
on PostgreSQL a restore waits at most 30 s for their locks, then gives up and changes nothing.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tempfile

import click
import sqlalchemy as sa
from flask import Flask

from server import job_lock
from server.cli.failures import Command
from server.clock import utcnow
from server.db import db, sqlite_file
from server.evidence.photo_files import storage
from server.evidence.storage import LocalStorage

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_DUMP_FILE = "database.dump"
PHOTOS = "photos"
COUNTED_TABLES = ("users", "posts", "shifts", "photos")


def register(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("backup", cls=Command)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="A new (or empty) folder to write the backup into.")
def backup_command(out: str) -> None:
    """Back up the database and local photo files into a new folder."""
    if os.path.exists(out) and os.listdir(out):
        raise click.ClickException(f"{out} is not empty; back up into a new folder")
    os.makedirs(out, exist_ok=True)
    with job_lock.exclusive("backup") as mine:
        if not mine:
            raise click.ClickException("another backup is running")
        kind = db.engine.dialect.name
        manifest = {"format": FORMAT, "created_at": utcnow().isoformat(), "database": kind,
                    "revision": _revision(), "rows": _counts()}
        if kind == "sqlite":
            _sqlite_copy(_sqlite_path(), os.path.join(out, SQLITE_FILE))
        else:
            _run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", os.path.join(out, PG_DUMP_FILE),
                  "-d", _libpq_url()], _pg_env())
        store = storage()
        if isinstance(store, LocalStorage):
            shutil.copytree(store.root, os.path.join(out, PHOTOS))
            manifest["photos"] = {"copied": True, "files": _file_count(os.path.join(out, PHOTOS))}
        else:
            manifest["photos"] = {"copied": False, "storage": repr(store),
                                  "note": "object storage: kept by bucket versioning, not copied"}
        with open(os.path.join(out, MANIFEST), "w", encoding="utf-8") as fp:  # last: marks it complete
            json.dump(manifest, fp, ensure_ascii=False, indent=2)
    click.echo(f"backed up {kind} ({_describe(manifest['rows'])}) and "
               f"{manifest['photos'].get('files', 'no')} photo file(s) into {out}")


@click.command("restore", cls=Command)
@click.option("--from", "source", required=True, type=click.Path(file_okay=False, exists=True),
              help="A folder written by `backup`.")
@click.option("--yes", is_flag=True, help="Really replace the current data.")
def restore_command(source: str, yes: bool) -> None:
    """Replace the database and local photo files with a backup's."""
    manifest = _read_manifest(source)
    kind = db.engine.dialect.name
    if manifest["database"] != kind:
        raise click.ClickException(f"the backup is of a {manifest['database']} database; this app uses {kind}")
    store = storage()
    photos_backed_up = os.path.isdir(os.path.join(source, PHOTOS))
    replace_photos = isinstance(store, LocalStorage) and photos_backed_up
    plan = [f"the {kind} database {_where()} ({_describe(_counts())}) with the backup of "
            f"{manifest['created_at']} ({_describe(manifest['rows'])})"]
    if replace_photos:
        plan.append(f"the photo folder {store.root} ({_file_count(store.root)} files) with the backup's "
                    f"{manifest['photos']['files']} files")
    if not yes:
        click.echo("restore would replace:\n  " + "\n  ".join(plan) + "\nadd --yes to do it")
        raise SystemExit(1)
    db.session.remove()
    db.engine.dispose()  # no connection of ours may hold a lock the restore needs
    if kind == "sqlite":
        _sqlite_copy(os.path.join(source, SQLITE_FILE), _sqlite_path())
    else:
        _pg_restore(os.path.join(source, PG_DUMP_FILE))
    db.engine.dispose()
    if replace_photos:
        _replace_folder(store.root, os.path.join(source, PHOTOS))
    click.echo("restored:\n  " + "\n  ".join(plan))


def _read_manifest(source: str) -> dict:
    path = os.path.join(source, MANIFEST)
    if not os.path.isfile(path):
        raise click.ClickException(f"{source} has no {MANIFEST}: not a backup, or an interrupted one")
    with open(path, encoding="utf-8") as fp:
        manifest = json.load(fp)
    if manifest.get("format") != FORMAT:
        raise click.ClickException(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def _revision() -> str | None:
    with db.engine.connect() as conn:
        try:
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        except sa.exc.DBAPIError:
            return None


def _counts() -> dict[str, int]:
    with db.engine.connect() as conn:
        return {table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                for table in COUNTED_TABLES}


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {table}" for table, n in counts.items())


def _where() -> str:
    return db.engine.url.render_as_string(hide_password=True)


def _sqlite_path() -> str:
    path = sqlite_file(db.engine)
    if path is None:
        raise click.ClickException("an in-memory SQLite database cannot be backed up or restored")
    return path


def _sqlite_copy(source: str, target: str) -> None:
    """SQLite's online backup API: a consistent copy even while other connections write."""
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()


def _libpq_url() -> str:
    """The database URL as libpq wants it (no SQLAlchemy driver name; the password goes in PGPASSWORD)."""
    return db.engine.url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _pg_env() -> dict:
    env = dict(os.environ)
    if db.engine.url.password:
        env["PGPASSWORD"] = db.engine.url.password
    return env


def _run(args: list[str], env: dict, **kwargs) -> None:
    kwargs.setdefault("stdout", subprocess.PIPE)
    try:
        result = subprocess.run(args, env=env, stderr=subprocess.PIPE, **kwargs)
    except FileNotFoundError:
        raise click.ClickException(f"{args[0]} not found: install postgresql-client") from None
    if result.returncode != 0:
        raise click.ClickException(f"{args[0]} failed: {result.stderr.decode(errors='replace').strip()}")


def _pg_restore(dump: str) -> None:
    """Empty the schema and load the dump in one transaction: a failure changes nothing."""
    env = _pg_env()
    prologue = (b"SET lock_timeout = '30s';\n"
                b"DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n")
    with tempfile.TemporaryFile() as script:
        script.write(prologue)
        script.flush()
        _run(["pg_restore", "--no-owner", "--no-privileges", "-f", "-", dump], env, stdout=script)
        script.seek(0)
        _run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", _libpq_url()],
             env, stdin=script)


def _replace_folder(target: str, source: str) -> None:
    """Copy beside the target, then swap: the folder is never half old, half new."""
    parent = os.path.dirname(target)
    staging = tempfile.mkdtemp(prefix=".restore-", dir=parent)
    os.rmdir(staging)
    shutil.copytree(source, staging)
    old = target + ".before-restore"
    shutil.rmtree(old, ignore_errors=True)
    os.rename(target, old)
    os.rename(staging, target)
    shutil.rmtree(old)


def _file_count(folder: str) -> int:
    return sum(len(files) for _root, _dirs, files in os.walk(folder))
