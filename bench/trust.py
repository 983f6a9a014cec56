"""A month in a county, honest volunteers and cheats, through the real services: how many honest
shifts are sent to review, and how many cheating ones are caught.

    .venv/bin/python bench/trust.py [--volunteers 300] [--days 30] [--cheats 0.1] [--seed 19]

The demo's posts (server/cli/demo.py) on a fresh SQLite file. Every scan goes through
server.checkin.shifts.start/end with the production rules (PRESENCE_CHECK_RATE 0.2), presence
checks through server.duty.presence_checks and spot_checks.answer (real photos, real EXIF).

Honest volunteers: one shift on about half the days at their usual post (sometimes another),
a GPS fix at a random point inside the fence with accuracy 5-65 m, a few metres of jitter
between start and end, 0-60 persuasions an hour; they answer 97 % of presence checks with a
photo taken there and then (3 % miss them: a phone in a pocket).

Cheats (--cheats of the volunteers) each use one trick on every shift, or several at once:
  post_point   the post's location as the mini-program shows it, typed in
  replay       the start and end fixes of a real visit on an earlier day, sent again
  static       a spoofing app: a new point inside the fence each day, identical at start and end
  hop          two posts at once: ends one shift and starts at the farthest post (750-1180 m) 5-15 s later
  no_accuracy  coordinates without an accuracy
  persuasions  150-300 persuasions an hour
  foreign_qr   a genuine token behind another host (https://evil.example/x/q/<token>)
  old_photo    answers a presence check with a photo from the gallery (counted over checked shifts)
  ignore_check never answers a presence check (counted over checked shifts)
  combined     the issue's attack: the post's point, no accuracy, identical start and end
A shift counts as caught when it is refused or left pending review. Beyond the listed tricks,
``careful_spoof`` (a fresh point with jitter and a plausible accuracy every time, answering
checks with a live photo from home) is reported apart: no signal can see it; a coordinator
looking at the presence-check photo can.

The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import io
import json
import math
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TRICKS = ("post_point", "replay", "static", "hop", "no_accuracy", "persuasions", "foreign_qr", "old_photo",
          "ignore_check", "combined")
CHECK_TRICKS = ("old_photo", "ignore_check")  # only exercised when a presence check comes


def offset(lat: float, lng: float, north_m: float, east_m: float) -> tuple[float, float]:
    return lat + north_m / 111_320, lng + east_m / (111_320 * math.cos(math.radians(lat)))


def inside(rng: random.Random, post, share: float = 0.9) -> tuple[float, float]:
    """A uniform random point inside ``share`` of the post's fence."""
    r = post.radius_m * share * math.sqrt(rng.random())
    a = rng.uniform(0, 2 * math.pi)
    return offset(post.latitude, post.longitude, r * math.cos(a), r * math.sin(a))


def photo(rng: random.Random, taken: datetime | None, tz) -> bytes:
    """A small camera JPEG of a random scene, its EXIF capture time ``taken`` (local wall clock)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 360), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x, y = rng.randrange(480), rng.randrange(360)
        draw.rectangle([x, y, x + rng.randrange(20, 160), y + rng.randrange(20, 120)],
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(0x8769)[0x9003] = taken.astimezone(tz).strftime("%Y:%m:%d %H:%M:%S")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=exif)
    return out.getvalue()


class County:
    """The app, the demo's posts, the volunteers and who cheats how."""

    def __init__(self, workdir: str, volunteers: int, cheat_share: float, rng: random.Random) -> None:
        from flask_migrate import upgrade

        from server import create_app
        from server.checkin import posts as post_service
        from server.cli import demo
        from server.db import db
        from server.models import District, Unit, User

        self.app = create_app({
            "DATABASE_URL": f"sqlite:///{workdir}/trust.db", "STORAGE_URL": f"file://{workdir}/photos",
            "SECRET_KEY": "bench-trust-secret-key-of-some-length", "PUBLIC_BASE_URL": "https://rv.example.gov.cn",
            "POSTER_CACHE_DIR": f"{workdir}/posters", "TESTING": True})
        self.ctx = self.app.app_context()
        self.ctx.push()
        upgrade(revision="heads")
        start = datetime(2026, 10, 1, tzinfo=__import__("datetime").timezone.utc)
        units = [Unit(name=name, created_at=start) for name in demo.UNITS]
        districts = [District(name=name, created_at=start) for name in demo.DISTRICTS]
        db.session.add_all(units + districts)
        db.session.flush()
        self.posts = []
        for name, kind, d, north, east in demo.POSTS:
            lat, lng = offset(demo.SEAT_LAT, demo.SEAT_LNG, north, east)
            self.posts.append(post_service.create(name=name, kind=kind, district_id=districts[d].id,
                                                  latitude=round(lat, 6), longitude=round(lng, 6),
                                                  radius_m=None, now=start))
        users = [User(openid=f"bench-{i}", name=f"志愿者{i}", phone=f"139{i:08d}", unit_id=units[i % len(units)].id,
                      role="volunteer", registered_at=start, created_at=start) for i in range(volunteers)]
        db.session.add_all(users)
        db.session.commit()
        self.urls = {post.id: post_service.qr_url(post) for post in self.posts}
        self.volunteers = [(user.id, rng.randrange(len(self.posts))) for user in users]
        cheats = rng.sample(range(volunteers), round(volunteers * cheat_share))
        # every trick gets its share of the cheats, plus careful spoofers; the presence-check
        # tricks four shares, as only one shift in five of theirs puts them to the test
        kinds = TRICKS + CHECK_TRICKS * 3 + ("careful_spoof",)
        self.trick = {self.volunteers[i][0]: kinds[n % len(kinds)] for n, i in enumerate(cheats)}


class Month:
    def __init__(self, county: County, rng: random.Random, days: int) -> None:
        from server.checkin import shifts
        from server.clock import county_zone

        self.county, self.rng, self.days = county, rng, days
        self.tz = county_zone()
        self.rules = shifts.Rules.from_config(county.app.config, self.tz)
        # per trick: the shifts it produced (None: refused at the door), judged at the end of the
        # month, so flags raised after a shift closed (an unanswered check) count
        self.outcomes: dict[str, list[int | None]] = {"honest": []}
        self.outcomes.update({trick: [] for trick in TRICKS + ("careful_spoof",)})
        self.recorded: dict[int, tuple] = {}  # replay cheats: the fixes of their real visit
        self.flags = Counter()

    # --- one shift ---------------------------------------------------------------------

    def run(self) -> None:
        first = date(2026, 11, 1)
        for user_id, _ in self.county.volunteers:  # replay cheats once went there for real
            if self.county.trick.get(user_id) == "replay":
                self.shift(user_id, first - timedelta(days=3), record=True)
        for day in range(self.days):
            today = first + timedelta(days=day)
            for user_id, _ in self.county.volunteers:
                if self.rng.random() < 0.5:
                    self.shift(user_id, today)
            self.settle(today)

    def shift(self, user_id: int, day: date, *, record: bool = False) -> None:
        from server.checkin import geo
        from server.errors import ApiError

        trick = None if record else self.county.trick.get(user_id)
        home = self.county.posts[dict(self.county.volunteers)[user_id]]
        post = home if self.rng.random() < 0.8 else self.rng.choice(self.county.posts)
        local = datetime(day.year, day.month, day.day, self.rng.randint(7, 17), self.rng.randrange(60),
                         self.rng.randrange(60), tzinfo=self.tz)
        started = local.astimezone(self.rules.tz).astimezone(__import__("datetime").timezone.utc)
        minutes = self.rng.uniform(30, 180)
        ended = started + timedelta(minutes=minutes)
        (start_fix, end_fix), qr, persuasions = self.fixes(trick, user_id, post, record), self.county.urls[post.id], \
            int(self.rng.uniform(0, 60) * minutes / 60)
        if trick == "foreign_qr":
            qr = "https://evil.example/x/q/" + qr.rsplit("/q/", 1)[1]
        if trick == "persuasions":
            persuasions = int(self.rng.uniform(150, 300) * minutes / 60)
        try:
            shift_id = self.start(user_id, post, qr, start_fix, started)
        except ApiError:
            self.outcomes[trick or "honest"].append(None)  # refused at the door
            return
        checked = self.presence_check(user_id, shift_id, post, trick, started, ended)
        self.end(user_id, shift_id, post, qr, end_fix, ended, persuasions)
        if trick == "hop":  # and on at the farthest post (750-1180 m away) seconds later
            far = max(self.county.posts, key=lambda p: geo.haversine_m(p.latitude, p.longitude,
                                                                       post.latitude, post.longitude))
            url = self.county.urls[far.id]
            shift_id = self.start(user_id, far, url, (*inside(self.rng, far), self.rng.uniform(5, 65)),
                                  ended + timedelta(seconds=self.rng.uniform(5, 15)))
            self.end(user_id, shift_id, far, url, (*inside(self.rng, far), self.rng.uniform(5, 65)),
                     ended + timedelta(minutes=self.rng.uniform(30, 90)), 0)
        if record or (trick in CHECK_TRICKS and not checked):
            return  # a real visit to replay later; a trick that never came into play
        self.outcomes[trick or "honest"].append(shift_id)

    def fixes(self, trick: str | None, user_id: int, post, record: bool):
        from server.checkin.location_signals import published_point

        rng = self.rng
        if trick in ("post_point", "combined"):
            point = published_point(post.latitude, post.longitude)
            if trick == "combined":
                return (*point, None), (*point, None)
            return (*point, rng.uniform(5, 65)), (*point, rng.uniform(5, 65))
        if trick == "replay":
            return self.recorded[user_id]
        if trick == "static":
            fix = (*inside(rng, post), round(rng.uniform(5, 65)))
            return fix, fix
        lat, lng = inside(rng, post)
        start = (lat, lng, rng.uniform(5, 65))
        end = (*self.jittered(post, lat, lng), rng.uniform(5, 65))
        if trick == "no_accuracy":
            start, end = start[:2] + (None,), end[:2] + (rng.choice([None, 0]),)
        if record:
            self.recorded[user_id] = (start, end)
        return start, end

    def jittered(self, post, lat: float, lng: float) -> tuple[float, float]:
        """A few metres from the start, still inside the fence (someone standing at the post
        who stepped out of it would step back before scanning out)."""
        from server.checkin import geo

        while True:
            moved = offset(lat, lng, self.rng.gauss(0, 8), self.rng.gauss(0, 8))
            if geo.haversine_m(post.latitude, post.longitude, *moved) <= post.radius_m * 0.95:
                return moved

    def start(self, user_id, post, qr, fix, now) -> int:
        from server.checkin import shifts

        shift, _ = shifts.start(user_id, shifts.Scan(qr, fix[0], fix[1], fix[2]), None, now, self.rules)
        return shift["id"]

    def end(self, user_id, shift_id, post, qr, fix, now, persuasions) -> dict:
        from server.checkin import shifts

        return shifts.end(user_id, shift_id, shifts.Scan(qr, fix[0], fix[1], fix[2]), now, self.rules,
                          persuasions=persuasions)

    # --- presence checks -------------------------------------------------------------------

    def presence_check(self, user_id, shift_id, post, trick, started, ended) -> bool:
        from server import callers
        from server.db import db
        from server.duty import presence_checks, spot_checks
        from server.models import Shift

        at = db.session.get(Shift, shift_id).presence_check_at
        db.session.rollback()
        if at is None or at >= ended:
            return False
        answer_minutes = self.county.app.config["SPOT_CHECK_ANSWER_MINUTES"]
        [task] = presence_checks.raise_due(at, answer_minutes, user_id)
        task_id = task.id
        if trick == "ignore_check" or (trick is None and self.rng.random() < 0.03):
            return True
        answered = at + timedelta(minutes=self.rng.uniform(1, answer_minutes - 1))
        taken = answered - timedelta(seconds=20) if trick != "old_photo" else \
            answered - timedelta(days=self.rng.uniform(1, 60))
        lat, lng = inside(self.rng, post)
        spot_checks.answer(callers.load(user_id), task_id, photo(self.rng, taken, self.tz), lat, lng,
                           self.rng.uniform(5, 65), answered, self.rules.accuracy_allowance_m)
        return True

    def settle(self, day: date) -> None:
        from server.duty import spot_checks

        spot_checks.settle(datetime(day.year, day.month, day.day, 23, 59, tzinfo=self.tz) + timedelta(hours=2))

    # --- the figures -----------------------------------------------------------------------

    def judged(self) -> dict[str, list[bool]]:
        """Caught: refused, or left pending review once the month is over."""
        import sqlalchemy as sa

        from server.db import db
        from server.models import Shift

        ids = [i for shifts in self.outcomes.values() for i in shifts if i is not None]
        rows = db.session.execute(sa.select(Shift.id, Shift.review_state, Shift.flags)
                                  .where(Shift.id.in_(ids))).all()
        pending = {row.id for row in rows if row.review_state == "pending"}
        for row in rows:
            self.flags.update(row.flags)
        return {trick: [i is None or i in pending for i in shifts] for trick, shifts in self.outcomes.items()}

    def result(self) -> dict:
        outcomes = self.judged()
        honest = outcomes["honest"]
        cheat = [caught for trick in TRICKS for caught in outcomes[trick]]
        rate = (lambda xs: round(sum(xs) / len(xs), 4) if xs else None)
        return {
            "honest_shifts": len(honest), "honest_flagged_rate": rate(honest),
            "cheat_shifts": len(cheat), "cheats_caught_rate": rate(cheat),
            "by_trick": {trick: rate(outcomes[trick]) for trick in TRICKS},
            "careful_spoof_caught_rate": rate(outcomes["careful_spoof"]),
            "shifts_by_trick": {trick: len(outcomes[trick]) for trick in TRICKS},
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=300)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--cheats", type=float, default=0.1, help="share of volunteers who cheat")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="redvest-trust-") as workdir:
        county = County(workdir, args.volunteers, args.cheats, rng)
        month = Month(county, rng, args.days)
        began = time.perf_counter()
        month.run()
        month.settle(date(2026, 11, 1) + timedelta(days=args.days + 1))
        result = month.result()
        print(f"simulated {args.days} days, {args.volunteers} volunteers in {time.perf_counter() - began:.0f} s; "
              f"flags raised: {dict(month.flags.most_common())}", file=sys.stderr)
        county.ctx.pop()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
