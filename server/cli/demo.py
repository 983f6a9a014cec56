"""`flask --app server demo`: a demo county on the embedded database, then the dev server.

Its address is remembered in the instance folder (server.config.remember_demo), so in dev mode
the other commands (`posts qr`, posters) print links to the port the demo really serves on.
"""
from __future__ import annotations

import contextlib
import errno
import os
import random
import secrets
import socket
import sys
from dataclasses import dataclass
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import current_app

from server import accounts, config
from server.cli.commands import emit, json_option
from server.cli.failures import Command
from server.errors import ApiError
from server.checkin import hours
from server.checkin import posts as post_service
from server.clock import county_zone, local_date, utcnow
from server.db import db
from server.models import District, Shift, Unit, User

# Around the county seat of Wuyuan (婺源县紫阳镇), Jiangxi; GCJ-02.
SEAT_LAT, SEAT_LNG = 29.2480, 117.8617
UNITS = ["县委办公室", "县政府办公室", "县财政局", "县教育体育局", "县卫生健康委员会", "县公安局交警大队"]
DISTRICTS = ["城东片区", "城西片区"]
POSTS = [  # name, kind, district index, north offset m, east offset m
    ("文公路与天佑路交叉口", "intersection", 0, 120, 260),
    ("蚺城大桥东桥头", "intersection", 0, -80, 520),
    ("朱子广场", "park", 0, 300, 90),
    ("紫阳镇政府门前路口", "intersection", 1, -150, -310),
    ("星江公园南门", "park", 1, -420, -120),
    ("锦绣花园小区门口", "community", 1, 60, -650),
]
VOLUNTEERS = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴婷", "徐强", "孙丽"]


def _offset(lat: float, lng: float, north_m: float, east_m: float) -> tuple[float, float]:
    import math
    return lat + north_m / 111_320, lng + east_m / (111_320 * math.cos(math.radians(lat)))


STAFF = (  # username, role as shown in the table
    ("admin", "admin 管理员"),
    ("leader", "leader 指挥部领导"),
    ("coord_east", "coordinator 城东片区"),
    ("coord_caizheng", "coordinator 县财政局"),
)


@dataclass
class Seeded:
    created: bool  # False: the county was there already
    passwords: dict[str, str | None]  # None: unchanged, and not known to this run


def seed(*, reset: bool = False) -> Seeded:
    """Create the demo county on an empty database and give its console users passwords.

    On a database that already holds the demo county, passwords are left alone
    (a demo already running keeps working) unless ``reset``. A database holding
    anything else is refused: the demo does not mix itself into real data."""
    now = utcnow()
    staff = {u.username: u for u in db.session.execute(
        sa.select(User).where(User.username.in_([name for name, _ in STAFF]))).scalars()}
    created = False
    if len(staff) < len(STAFF):
        if db.session.execute(sa.select(sa.func.count(Unit.id))).scalar_one():
            raise ApiError("该数据库已有数据但不是演示数据，演示不会写入；请用空数据库"
                           "（如另设 REDVEST_INSTANCE_PATH 或 DATABASE_URL）", code="NOT_A_DEMO_DATABASE")
        _create_county(now)
        created, reset = True, True
        staff = {u.username: u for u in db.session.execute(
            sa.select(User).where(User.username.in_([name for name, _ in STAFF]))).scalars()}
    passwords: dict[str, str | None] = {}
    for username, _ in STAFF:
        passwords[username] = secrets.token_urlsafe(9) if reset else None
        if reset:
            accounts.set_password(staff[username], passwords[username])
    db.session.commit()
    return Seeded(created, passwords)


def _create_county(now) -> None:
    units = [Unit(name=n, created_at=now) for n in UNITS]
    districts = [District(name=n, created_at=now) for n in DISTRICTS]
    db.session.add_all(units + districts)
    db.session.flush()
    posts = []
    for name, kind, d, north, east in POSTS:
        lat, lng = _offset(SEAT_LAT, SEAT_LNG, north, east)
        posts.append(post_service.create(name=name, kind=kind, district_id=districts[d].id,
                                          latitude=round(lat, 6), longitude=round(lng, 6),
                                          radius_m=None, now=now))
    staff = [
        User(username="admin", name="系统管理员", role="admin", created_at=now),
        User(username="leader", name="创文指挥部", role="leader", created_at=now),
        User(username="coord_east", name="城东片区协调员", role="coordinator",
             scope_district_id=districts[0].id, created_at=now),
        User(username="coord_caizheng", name="财政局协调员", role="coordinator",
             scope_unit_id=units[2].id, created_at=now),
    ]
    for user in staff:
        user.password_hash = "!"  # replaced by seed()
    rng = random.Random(2026)
    volunteers = []
    for i, name in enumerate(VOLUNTEERS):
        volunteers.append(User(openid=f"demo-volunteer-{i + 1}", name=name, phone=f"1380000{i + 1:04d}",
                               unit_id=units[i % len(units)].id, role="volunteer", registered_at=now,
                               created_at=now))
    db.session.add_all(staff + volunteers)
    db.session.flush()
    _create_history(volunteers, posts, now, rng)
    db.session.commit()
    _create_today(staff[0], volunteers, posts, now)


def _create_history(volunteers, posts, now, rng) -> None:
    """Three weeks of morning and evening shifts so reports have something to show."""
    tz = county_zone()
    for days_ago in range(1, 22):
        for volunteer in volunteers:
            if rng.random() < 0.45:
                continue
            post = rng.choice(posts)
            local_start = (now.astimezone(tz) - timedelta(days=days_ago)).replace(
                hour=rng.choice([7, 17]), minute=rng.randint(0, 20), second=0, microsecond=0)
            started = local_start.astimezone(now.tzinfo)
            ended = started + timedelta(minutes=rng.choice([10, 45, 60, 90, 120]))
            credit = hours.credit(started, ended, min_minutes=15, max_minutes=240)
            db.session.add(Shift(
                volunteer_id=volunteer.id, unit_id=volunteer.unit_id, post_id=post.id, status="closed",
                source="scan", started_at=started, ended_at=ended, local_date=local_date(started, tz),
                start_lat=post.latitude, start_lng=post.longitude, start_accuracy=15, start_distance_m=8,
                end_lat=post.latitude, end_lng=post.longitude, end_accuracy=15, end_distance_m=9,
                credited_minutes=credit.minutes, persuasions=rng.randint(0, 40), flags=credit.flags,
                review_state="pending" if credit.flags else "none"))


def _create_today(admin, volunteers, posts, now) -> None:
    """Volunteers on duty right now, a roster around this hour, and one post left uncovered,
    so the on-duty board and the dashboard have something to show."""
    from server import callers
    from server.duty import rosters

    tz = county_zone()
    for volunteer, post, minutes_ago in ((volunteers[0], posts[0], 42), (volunteers[1], posts[0], 35),
                                         (volunteers[2], posts[2], 18)):
        started = now - timedelta(minutes=minutes_ago)
        db.session.add(Shift(
            volunteer_id=volunteer.id, unit_id=volunteer.unit_id, post_id=post.id, status="open", source="scan",
            started_at=started, local_date=local_date(started, tz), start_lat=post.latitude,
            start_lng=post.longitude, start_accuracy=12, start_distance_m=6, credited_minutes=0,
            persuasions=0, flags=[], review_state="none"))
    db.session.commit()
    local_now = now.astimezone(tz)
    start = (local_now - timedelta(hours=1)).time().replace(second=0, microsecond=0, minute=0)
    end = (local_now + timedelta(hours=1)).time().replace(second=0, microsecond=0, minute=0)
    specs = [rosters.SlotSpec(post_id=posts[0].id, local_date=local_now.date(), start=start, end=end, needed=2,
                              volunteer_ids=(volunteers[0].id, volunteers[1].id)),
             rosters.SlotSpec(post_id=posts[3].id, local_date=local_now.date(), start=start, end=end, needed=1,
                              volunteer_ids=(volunteers[3].id,))]
    try:
        rosters.plan(callers.load(admin.id), specs, now, tz)
    except Exception as exc:  # a demo without today's roster is still a demo
        db.session.rollback()
        click.echo(f"(demo roster skipped: {exc})", err=True)


@click.command("demo", cls=Command)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535),
              help="0 picks a free port. QR codes and printed links use this port.")
@click.option("--reset", is_flag=True, help="New passwords for the demo's console users (the old ones stop working).")
@click.option("--no-serve", is_flag=True, help="Create the demo data and exit.")
@json_option
def demo_command(host: str, port: int, reset: bool, no_serve: bool, as_json: bool):
    """Build the schema, create a demo county and serve it on http://127.0.0.1:5000 (--port to change).

    The port is bound first, so a second demo on a busy port stops before it changes anything.
    On a database that already holds the demo county, passwords are kept unless --reset."""
    app = current_app._get_current_object()
    if config.is_production(app.config):
        raise ApiError("演示不能在生产模式下运行（已设置 WECHAT_APPID 或 REDVEST_ENV=production）",
                       code="PRODUCTION_MODE")
    listener = None if no_serve else _bind(host, port)
    if listener is not None:
        port = listener.getsockname()[1]
    base_url = f"http://{_shown_host(host)}:{port}"
    if not os.environ.get("PUBLIC_BASE_URL"):  # dev mode: QR codes and links point at this server
        app.config["PUBLIC_BASE_URL"] = base_url
    from flask_migrate import upgrade

    with contextlib.redirect_stdout(sys.stderr):  # Alembic's log lines are not the demo's output
        upgrade(revision="heads")
    seeded = seed(reset=reset)
    if listener is not None:
        config.remember_demo(app.instance_path, app.config["PUBLIC_BASE_URL"])
    _announce(app, base_url, seeded, as_json, serving=listener is not None)
    if listener is not None:
        from werkzeug.serving import make_server

        # app.run() is a no-op inside the flask CLI, so serve with Werkzeug on the bound socket.
        server = make_server(host, port, app, threaded=True, fd=listener.fileno())
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart right after Ctrl+C
    try:
        listener.bind((host, port))
        listener.listen(128)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise ApiError(f"端口 {port} 已被占用（另一个演示可能正在运行），用 --port 换一个端口；数据未作任何改动",
                           code="PORT_IN_USE") from None
        raise ApiError(f"无法监听 {host}:{port}：{exc.strerror}", code="CANNOT_LISTEN") from None
    return listener


def _shown_host(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


def _announce(app, base_url: str, seeded: Seeded, as_json: bool, *, serving: bool) -> None:
    console = f"{base_url}/console/login"
    users = [{"username": name, "role": role.split()[0], "password": seeded.passwords[name]}
             for name, role in STAFF]
    if as_json:
        emit(True, {"created": seeded.created, "serving": serving, "base_url": base_url, "console_url": console,
                    "api_url": f"{base_url}/api/mp/v1", "database": app.config["SQLALCHEMY_DATABASE_URI"],
                    "users": users}, "")
        return
    click.echo("Red Vest demo county " + ("created." if seeded.created else
                                          "already in this database: passwords unchanged (--reset for new ones)."))
    click.echo(f"Database      {app.config['SQLALCHEMY_DATABASE_URI']}")
    click.echo(f"Console       {console}")
    click.echo(f"Mini-program  {base_url}/api/mp/v1  (dev mode: log in with the code dev:<any id>)")
    click.echo("")
    click.echo(f"  {_pad('role', 24)}{_pad('username', 16)}password")
    for (name, role), user in zip(STAFF, users):
        click.echo(f"  {_pad(role, 24)}{_pad(name, 16)}{user['password'] or '(unchanged)'}")
    click.echo("")
    click.echo(f"Serving on {base_url}/  (Ctrl+C to stop)" if serving else "Not serving (--no-serve).")


def _pad(text: str, width: int) -> str:
    """Pad to a terminal width: a Chinese character takes two columns."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(1, width - used)
