"""Management commands: ``flask --app server <group> <command>``.

With ``--json`` a command prints exactly one JSON object on stdout and nothing else,
so scripts can read it; a failure is then the API's error envelope (server/cli/failures.py).
Heavy libraries are imported inside the commands that use them, so a quick command
such as ``units list`` starts quickly (bench/cli.py).
"""
from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import click
from flask import Flask, current_app

from server.cli.failures import Group
from server.clock import utcnow
from server.errors import Conflict, NotFound
from server.models.org import ROLES
from server.models.posts import POST_KINDS

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object (errors too).")


def emit(as_json: bool, obj: dict, text: str) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, default=str) if as_json else text)


units_cli = Group("units", help="Work units (单位).")
districts_cli = Group("districts", help="Districts (片区).")
posts_cli = Group("posts", help="Duty posts and their QR codes.")
users_cli = Group("users", help="Console users and volunteers.")
shifts_cli = Group("shifts", help="Shift maintenance.")


@units_cli.command("add")
@click.argument("name")
@json_option
def units_add(name: str, as_json: bool):
    """Add a work unit; a name that exists fails and names its id."""
    from server import org

    unit = org.add_unit(name, utcnow())
    emit(as_json, org.as_json(unit), f"unit {unit.id}: {unit.name}")


@units_cli.command("list")
@json_option
def units_list(as_json: bool):
    """Every work unit with its id."""
    from server import org

    rows = org.units()
    emit(as_json, {"items": [org.as_json(u) for u in rows]},
         "\n".join(f"{u.id:>4}  {u.name}" for u in rows) or "no units yet (units add NAME)")


@districts_cli.command("add")
@click.argument("name")
@json_option
def districts_add(name: str, as_json: bool):
    """Add a district; a name that exists fails and names its id."""
    from server import org

    district = org.add_district(name, utcnow())
    emit(as_json, org.as_json(district), f"district {district.id}: {district.name}")


@districts_cli.command("list")
@json_option
def districts_list(as_json: bool):
    """Every district with its id."""
    from server import org

    rows = org.districts()
    emit(as_json, {"items": [org.as_json(d) for d in rows]},
         "\n".join(f"{d.id:>4}  {d.name}" for d in rows) or "no districts yet (districts add NAME)")


@posts_cli.command("add")
@click.option("--name", required=True)
@click.option("--kind", type=click.Choice(POST_KINDS), default="intersection", show_default=True)
@click.option("--district", "district_id", type=int, required=True, help="See `districts list`.")
@click.option("--lat", type=float, required=True, help="GCJ-02 latitude")
@click.option("--lng", type=float, required=True, help="GCJ-02 longitude")
@click.option("--radius", type=int, default=None, help="Geofence radius in metres (default 100)")
@json_option
def posts_add(name, kind, district_id, lat, lng, radius, as_json):
    """Add a duty post in a district."""
    from server.checkin import serialize
    from server.checkin import posts as post_service

    post = post_service.create(name=name, kind=kind, district_id=district_id, latitude=lat,
                               longitude=lng, radius_m=radius, now=utcnow())
    emit(as_json, serialize.post(post), f"post {post.id} ({post.code}): {post.name}")


@posts_cli.command("list")
@click.option("--district", "district_id", type=int, default=None, help="Only this district's posts.")
@json_option
def posts_list(district_id: int | None, as_json: bool):
    """Every post (or a district's) with its id, district and whether it is active."""
    import sqlalchemy as sa

    from server.checkin import serialize
    from server.db import db
    from server.models import District, Post

    query = sa.select(Post).order_by(Post.id)
    if district_id is not None:
        if db.session.get(District, district_id) is None:
            raise NotFound(f"找不到片区 {district_id}（districts list 可查看编号）", field="--district")
        query = query.where(Post.district_id == district_id)
    rows = list(db.session.execute(query).scalars())
    emit(as_json, {"items": [serialize.post(p) for p in rows]},
         "\n".join(f"{p.id:>4}  {p.code}  {p.name}  [{p.district.name}]" + ("" if p.active else "  (inactive)")
                   for p in rows) or "no posts")


@posts_cli.command("qr")
@click.argument("post_id", type=int)
@json_option
def posts_qr(post_id: int, as_json: bool):
    """Print the URL the post's QR code holds."""
    from server.checkin import posts as post_service

    post = post_service.get(post_id)
    url = post_service.qr_url(post)
    emit(as_json, {"post_id": post.id, "url": url, "scene": post_service.qr_scene(post)}, url)


@posts_cli.command("rotate-qr")
@click.argument("post_id", type=int)
@click.option("--reason", default=None)
@json_option
def posts_rotate_qr(post_id: int, reason, as_json: bool):
    """Issue a new QR code for a post; posters printed before stop working."""
    from server.checkin import posts as post_service

    post = post_service.rotate_qr(post_service.get(post_id), actor_id=None, now=utcnow(),
                                  reason=reason or "command line")
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
    from server import accounts
    from server.checkin import serialize
    from server.db import db
    from server.models import District, Unit, User

    if role == "coordinator" and (unit_id is None) == (district_id is None):
        raise click.UsageError("协调员需要 --unit 或 --district 二者之一")
    if role != "coordinator" and (unit_id or district_id):
        raise click.UsageError("--unit/--district 只用于协调员（--role coordinator）")
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        raise NotFound(f"找不到单位 {unit_id}（units list 可查看编号）", field="--unit")
    if district_id is not None and db.session.get(District, district_id) is None:
        raise NotFound(f"找不到片区 {district_id}（districts list 可查看编号）", field="--district")
    if db.session.query(User.id).filter_by(username=username).first():
        raise Conflict(f"用户名 {username} 已被使用", code="USERNAME_TAKEN")
    password = os.environ.get("REDVEST_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True, err=True)  # stdout stays one JSON object
    user = User(username=username, role=role, name=name or username, scope_unit_id=unit_id,
                scope_district_id=district_id, status="active", created_at=utcnow())
    accounts.set_password(user, password)
    db.session.add(user)
    db.session.commit()
    emit(as_json, serialize.user(user), f"user {user.id}: {username} ({role})")


@users_cli.command("list")
@click.option("--role", type=click.Choice(ROLES), default=None, help="Only users of this role.")
@json_option
def users_list(role: str | None, as_json: bool):
    """Users with their ids (phone numbers masked): console users and volunteers."""
    import sqlalchemy as sa

    from server.checkin import serialize
    from server.db import db
    from server.models import User

    query = sa.select(User).order_by(User.id)
    if role is not None:
        query = query.where(User.role == role)
    rows = list(db.session.execute(query).scalars())
    emit(as_json, {"items": [serialize.user(u, show_phone=False) for u in rows]},
         "\n".join(_user_line(u) for u in rows) or "no users")


def _user_line(user) -> str:
    login = user.username or "(WeChat)"
    unit = f"  {user.unit.name}" if user.unit is not None else ""
    scope = (f"  scope unit {user.scope_unit_id}" if user.scope_unit_id
             else f"  scope district {user.scope_district_id}" if user.scope_district_id else "")
    status = "" if user.status == "active" else f"  ({user.status})"
    return f"{user.id:>4}  {user.role:<11} {login:<16} {user.name or ''}{unit}{scope}{status}"


@shifts_cli.command("close-stale")
@json_option
def shifts_close_stale(as_json: bool):
    """Close shifts open longer than MAX_SHIFT_MINUTES (run from cron every few minutes)."""
    from server.checkin import shifts
    from server.clock import county_zone

    rules = shifts.Rules.from_config(current_app.config, county_zone())
    closed = shifts.close_stale(utcnow(), rules)
    emit(as_json, {"closed": len(closed), "shift_ids": closed}, f"auto-closed {len(closed)} shift(s)")


class LazyGroup(Group):
    """A group whose commands are imported when one is used (or listed in --help), for groups
    whose module brings a heavy library: ``units list`` should not pay for Pillow."""

    def __init__(self, name: str, module: str, commands: dict[str, str], **kwargs) -> None:
        super().__init__(name, **kwargs)
        self._module, self._lazy = module, commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self._lazy and name not in self.commands:
            self.add_command(getattr(importlib.import_module(self._module), self._lazy[name]), name)
        return super().get_command(ctx, name)


posters_cli = LazyGroup("posters", "server.cli.posters", {"export": "export_command"},
                        help="Printable QR posters for posts.")


def register(app: Flask) -> None:
    from server.cli import calendar, demo, photos, privacy, reports, rosters
    from server.cli import users  # noqa: F401  (users set-password / disable / enable, issue 14)
    from server.cli import cards  # posts leaders, volunteers add, cards export / revoke (issue 21)

    for command in (units_cli, districts_cli, posts_cli, users_cli, shifts_cli, demo.demo_command,
                    posters_cli, photos.photos_cli, reports.reports_cli, calendar.calendar_cli,
                    privacy.privacy_cli, *rosters.COMMANDS, *cards.COMMANDS):
        app.cli.add_command(command)


def output_file(out: str | None, folder: str, name: str) -> Path:
    """Where a command writes a file: ``--out`` if given, else ``<instance>/<folder>/<name>``
    (never loose in the directory the command was started from). Parent folders are made."""
    path = Path(out) if out else Path(current_app.instance_path) / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.resolve()
