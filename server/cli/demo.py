"""`flask --app server demo`: a demo county on the embedded database, then the dev server."""
from __future__ import annotations

import random
import secrets
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import current_app

from server import accounts, config
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


def seed() -> dict[str, str]:
    """Create the demo county if the database is empty; (re)set console passwords and return them."""
    now = utcnow()
    if db.session.execute(sa.select(sa.func.count(Unit.id))).scalar_one() == 0:
        _create_county(now)
    passwords = {}
    for username in ("admin", "leader", "coord_east", "coord_caizheng"):
        user = db.session.execute(sa.select(User).where(User.username == username)).scalar_one()
        passwords[username] = secrets.token_urlsafe(9)
        accounts.set_password(user, passwords[username])
    db.session.commit()
    return passwords


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
        click.echo(f"(demo roster skipped: {exc})")


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Create the demo data and exit.")
def demo_command(host: str, port: int, no_serve: bool):
    """Build the schema, create a demo county and run the server on 127.0.0.1:5000."""
    app = current_app._get_current_object()
    if config.is_production(app.config):
        raise click.ClickException("demo refuses to run in production mode (WECHAT_APPID or REDVEST_ENV set)")
    from flask_migrate import upgrade
    upgrade(revision="heads")
    passwords = seed()
    click.echo("Red Vest demo county is ready.")
    click.echo(f"Database: {app.config['SQLALCHEMY_DATABASE_URI']}")
    for username, password in passwords.items():
        click.echo(f"  console login  {username:<15} {password}")
    click.echo("  mini-program   POST /api/mp/v1/auth/login {\"code\": \"dev:demo-volunteer-1\"}")
    if not no_serve:
        click.echo(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)")
        # app.run() is a no-op inside the flask CLI, so serve with Werkzeug directly.
        from werkzeug.serving import run_simple
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
