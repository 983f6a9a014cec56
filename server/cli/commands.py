"""Management commands: ``flask --app server <group> <command>``.

With ``--json`` a command prints exactly one JSON object and nothing else,
so scripts can read it.
"""
from __future__ import annotations

import json
import os

import click
from flask import Flask, current_app

from server import accounts
from server.checkin import serialize
from server.checkin import posts as post_service
from server.checkin import shifts
from server.clock import county_zone, utcnow
from server.db import db
from server.errors import ApiError
from server.models import District, Unit, User
from server.models.org import ROLES
from server.models.posts import POST_KINDS

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


def emit(as_json: bool, obj: dict, text: str) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False) if as_json else text)


def _fail(err: ApiError):
    field = err.details.get("field")
    raise click.ClickException(f"{err.message}" + (f" ({field})" if field else ""))


units_cli = click.Group("units", help="Work units.")
districts_cli = click.Group("districts", help="Districts (片区).")
posts_cli = click.Group("posts", help="Duty posts and their QR codes.")
users_cli = click.Group("users", help="Console users.")
shifts_cli = click.Group("shifts", help="Shift maintenance.")


@units_cli.command("add")
@click.argument("name")
@json_option
def units_add(name: str, as_json: bool):
    unit = Unit(name=name.strip(), created_at=utcnow())
    db.session.add(unit)
    db.session.commit()
    emit(as_json, {"id": unit.id, "name": unit.name}, f"unit {unit.id}: {unit.name}")


@districts_cli.command("add")
@click.argument("name")
@json_option
def districts_add(name: str, as_json: bool):
    district = District(name=name.strip(), created_at=utcnow())
    db.session.add(district)
    db.session.commit()
    emit(as_json, {"id": district.id, "name": district.name}, f"district {district.id}: {district.name}")


@posts_cli.command("add")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice(POST_KINDS), default="intersection", show_default=True)
@click.option("--district", "district_id", type=int, required=True)
@click.option("--lat", type=float, required=True, help="GCJ-02 latitude")
@click.option("--lng", type=float, required=True, help="GCJ-02 longitude")
@click.option("--radius", type=int, default=None, help="Geofence radius in metres (default 100)")
@json_option
def posts_add(name, kind, district_id, lat, lng, radius, as_json):
    try:
        post = post_service.create(name=name, kind=kind, district_id=district_id, latitude=lat,
                                   longitude=lng, radius_m=radius, now=utcnow())
    except ApiError as err:
        _fail(err)
    emit(as_json, serialize.post(post), f"post {post.id} ({post.code}): {post.name}")


@posts_cli.command("qr")
@click.argument("post_id", type=int)
@json_option
def posts_qr(post_id: int, as_json: bool):
    """Print the URL the post's QR code holds."""
    try:
        post = post_service.get(post_id)
    except ApiError as err:
        _fail(err)
    url = post_service.qr_url(post)
    emit(as_json, {"post_id": post.id, "url": url, "scene": post_service.qr_scene(post)}, url)


@posts_cli.command("rotate-qr")
@click.argument("post_id", type=int)
@click.option("--reason", default=None)
@json_option
def posts_rotate_qr(post_id: int, reason, as_json: bool):
    """Issue a new QR code for a post; posters printed before stop working."""
    try:
        post = post_service.rotate_qr(post_service.get(post_id), actor_id=None, now=utcnow(),
                                      reason=reason or "command line")
    except ApiError as err:
        _fail(err)
    url = post_service.qr_url(post)
    emit(as_json, {"post_id": post.id, "qr_version": post.qr_version, "url": url},
         f"post {post.id} now at QR version {post.qr_version}: {url}")


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice([r for r in ROLES if r != "volunteer"]), required=True)
@click.option("--unit", "unit_id", type=int, default=None, help="Scope of a unit coordinator")
@click.option("--district", "district_id", type=int, default=None, help="Scope of a district coordinator")
@click.option("--name", default=None)
@json_option
def users_create(username, role, unit_id, district_id, name, as_json):
    """Create a console user. The password comes from REDVEST_PASSWORD or a prompt."""
    if role == "coordinator" and (unit_id is None) == (district_id is None):
        raise click.UsageError("a coordinator needs exactly one of --unit or --district")
    if role != "coordinator" and (unit_id or district_id):
        raise click.UsageError("--unit/--district apply only to coordinators")
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        raise click.UsageError(f"no unit {unit_id}")
    if district_id is not None and db.session.get(District, district_id) is None:
        raise click.UsageError(f"no district {district_id}")
    if db.session.query(User.id).filter_by(username=username).first():
        raise click.UsageError(f"username {username!r} is taken")
    password = os.environ.get("REDVEST_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)
    user = User(username=username, role=role, name=name or username, scope_unit_id=unit_id,
                scope_district_id=district_id, status="active", created_at=utcnow())
    try:
        accounts.set_password(user, password)
    except ApiError as err:
        _fail(err)
    db.session.add(user)
    db.session.commit()
    emit(as_json, serialize.user(user), f"user {user.id}: {username} ({role})")


@shifts_cli.command("close-stale")
@json_option
def shifts_close_stale(as_json: bool):
    """Close shifts open longer than MAX_SHIFT_MINUTES (run from cron every few minutes)."""
    rules = shifts.Rules.from_config(current_app.config, county_zone())
    closed = shifts.close_stale(utcnow(), rules)
    emit(as_json, {"closed": len(closed), "shift_ids": closed}, f"auto-closed {len(closed)} shift(s)")


def register(app: Flask) -> None:
    from server.cli import demo

    for group in (units_cli, districts_cli, posts_cli, users_cli, shifts_cli):
        app.cli.add_command(group)
    app.cli.add_command(demo.demo_command)
    from server.cli.posters import posters_cli
    app.cli.add_command(posters_cli)
    from server.cli.photos import photos_cli
    app.cli.add_command(photos_cli)
    from server.cli.reports import reports_cli
    app.cli.add_command(reports_cli)
    from server.cli import rosters as roster_cli
    roster_cli.register(app)
    from server.cli.calendar import calendar_cli
    app.cli.add_command(calendar_cli)
