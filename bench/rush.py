"""A morning rush on two app servers, with a server killed and PostgreSQL restarted in the middle.

    .venv/bin/python bench/rush.py [--volunteers 500] [--seconds 60] [--workers 2]
                                   [--no-faults] [--database-url postgresql://postgres@127.0.0.1:5432/rush]

Sets up what a county runs: PostgreSQL (a database of its own, recreated), Redis, S3 (moto's
server on 127.0.0.1) and two gunicorn app servers on different ports with the production
settings (deploy/gunicorn.conf.py). Each volunteer starts a shift at a random moment within
--seconds, first on server A or B alternately; the client retries on an error, a 5xx or a
timeout on the other server with the same ``client_request_id``, as the mini-program does.
A third of the way in, server A is killed with SIGKILL (master and workers) and started again,
as systemd's Restart=always would; two thirds in, PostgreSQL is restarted
(``pg_ctlcluster ... restart``: this briefly cuts every session on the machine's PostgreSQL).

Then the database is read: ``lost`` counts acknowledged scans missing from it, ``duplicates``
volunteers with more than one open shift. The last line is JSON.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.checkin import free_port, recreate_database  # noqa: E402  (the same helpers as the check-in bench)
SECRET_KEY = "rush-bench-secret-key-" + "x" * 24
TIMEOUT_S = 10.0  # the mini-program waits longer (wx.request's default is 60 s)


def wait_port(port: int, timeout: float = 30) -> None:
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def prepare(env: dict, volunteers: int, posts: int) -> list[tuple[str, bytes]]:
    """Migrate, create posts and volunteers; return each volunteer's token and scan body."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from server import create_app, tokens
    from server.checkin import posts as post_service
    from server.clock import utcnow
    from server.db import db
    from server.models import District, Unit, User

    app = create_app()
    with app.app_context():
        upgrade(revision="heads")
        now = utcnow()
        unit, district = Unit(name="县财政局", created_at=now), District(name="城东片区", created_at=now)
        db.session.add_all([unit, district])
        db.session.flush()
        made = [post_service.create(name=f"路口{i}", kind="intersection", district_id=district.id,
                                    latitude=29.248 + i * 0.001, longitude=117.8617, radius_m=100, now=now)
                for i in range(posts)]
        users = [User(openid=f"rush-{i}", name=f"志愿者{i}", phone=f"139{i:08d}", unit_id=unit.id,
                      role="volunteer", registered_at=now, created_at=now) for i in range(volunteers)]
        db.session.add_all(users)
        db.session.commit()
        result = []
        for i, user in enumerate(users):
            post = made[i % posts]
            scan = {"qr": post_service.qr_url(post), "latitude": post.latitude + 0.0001,
                    "longitude": post.longitude, "accuracy": 15, "client_request_id": uuid.uuid4().hex}
            result.append((tokens.issue(user.id, "mp")[0], json.dumps(scan).encode()))
        db.session.remove()
        db.engine.dispose()
        return result


class Server:
    def __init__(self, name: str, port: int, workers: int, env: dict) -> None:
        self.name, self.port, self.workers, self.env = name, port, workers, env
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
             "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "server:create_app()"],
            cwd=ROOT, env={**os.environ, **self.env, "ACCESS_LOG": "false"}, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)  # master and workers, no goodbye
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


async def http(port: int, method: str, path: str, token: str | None = None,
               body: bytes = b"") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = f"{method} {path} HTTP/1.1\r\nHost: redvest.example.gov.cn\r\nConnection: close\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode() + b"\r\n" + body)
        data = await reader.read()
    finally:
        writer.close()
    if len(data) < 12:
        raise ConnectionError("connection closed without an answer")
    return int(data[9:12]), data[data.index(b"\r\n\r\n") + 4:]


class Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []  # each answered attempt
        self.ack_latencies: list[float] = []  # first attempt to acknowledgement, retries included
        self.acknowledged: dict[int, int] = {}  # volunteer index -> shift id
        self.http_5xx = 0
        self.by_code: dict[str, int] = {}  # 5xx by status and error code: a 500 is a bug, a 503 a wait
        self.errors = 0  # timeouts, refused connections, resets
        self.conflicts = 0  # 409: should never happen with the same client_request_id
        self.attempts = 0
        self.last_failure = 0.0


async def volunteer(i: int, token: str, scan: bytes, at: float, ports: list[int], tally: Tally,
                    t0: float, give_up_s: float) -> None:
    await asyncio.sleep(max(0.0, t0 + at - time.perf_counter()))
    first = time.perf_counter()
    server = i % 2
    delay = 0.2
    while time.perf_counter() - first < give_up_s:
        tally.attempts += 1
        started = time.perf_counter()
        try:
            status, body = await asyncio.wait_for(http(ports[server], "POST", "/api/mp/v1/shifts", token, scan),
                                                  TIMEOUT_S)
        except (OSError, asyncio.TimeoutError, ConnectionError):
            tally.errors += 1
            tally.last_failure = time.perf_counter()
        else:
            tally.latencies.append(time.perf_counter() - started)
            if status in (200, 201):
                tally.acknowledged[i] = json.loads(body)["id"]
                tally.ack_latencies.append(time.perf_counter() - first)
                return
            if status >= 500:
                tally.http_5xx += 1
                try:
                    code = json.loads(body)["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    code = "no JSON body"
                key = f"{status} {code}"
                tally.by_code[key] = tally.by_code.get(key, 0) + 1
                tally.last_failure = time.perf_counter()
            elif status == 409:
                tally.conflicts += 1
            else:
                raise SystemExit(f"volunteer {i}: unexpected {status} {body[:200]!r}")
        server = 1 - server  # the other server, same client_request_id
        await asyncio.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 2.0)


async def ready(port: int) -> bool:
    try:
        status, _ = await asyncio.wait_for(http(port, "GET", "/readyz"), 2)
        return status == 200
    except (OSError, asyncio.TimeoutError, ConnectionError):
        return False


async def until_ready(ports: list[int], since: float) -> float:
    """Seconds from ``since`` until every server answers /readyz with 200."""
    while True:
        results = await asyncio.gather(*(ready(p) for p in ports))
        if all(results):
            return time.perf_counter() - since
        await asyncio.sleep(0.1)


async def faults(servers: list[Server], seconds: float, t0: float, log: dict) -> None:
    ports = [s.port for s in servers]
    await asyncio.sleep(max(0.0, t0 + seconds / 3 - time.perf_counter()))
    killed = time.perf_counter()
    servers[0].kill()
    servers[0].start()  # as systemd's Restart=always would
    log["server_kill_recovery_s"] = round(await until_ready(ports, killed), 2)

    await asyncio.sleep(max(0.0, t0 + 2 * seconds / 3 - time.perf_counter()))
    restarted = time.perf_counter()
    cluster = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.split()
    proc = await asyncio.create_subprocess_exec(
        "pg_ctlcluster", "--skip-systemctl-redirect", cluster[0], cluster[1], "restart", "-m", "fast",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await proc.wait()
    log["postgresql_restart_s"] = round(time.perf_counter() - restarted, 2)
    log["postgresql_recovery_s"] = round(await until_ready(ports, restarted), 2)


def verify(database_url: str, tally: Tally, volunteers: int) -> dict:
    import sqlalchemy as sa

    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, volunteer_id, status FROM shifts")).all()
        user_ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM users ORDER BY id"))]
    engine.dispose()
    ids = {r[0] for r in rows}
    open_per_volunteer: dict[int, int] = {}
    for _id, volunteer_id, status in rows:
        if status == "open":
            open_per_volunteer[volunteer_id] = open_per_volunteer.get(volunteer_id, 0) + 1
    return {"shifts_in_db": len(rows),
            "lost": sum(1 for shift_id in tally.acknowledged.values() if shift_id not in ids),
            "duplicates": sum(1 for n in open_per_volunteer.values() if n > 1),
            "on_duty": sum(1 for u in user_ids[:volunteers] if open_per_volunteer.get(u))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--posts", type=int, default=25)
    parser.add_argument("--no-faults", action="store_true", help="no kill, no PostgreSQL restart")
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/rush_bench")
    args = parser.parse_args()

    import logging

    from moto.server import ThreadedMotoServer
    import boto3

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines

    workdir = Path(tempfile.mkdtemp(prefix="redvest-rush-"))
    s3_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
    aws = {"AWS_ACCESS_KEY_ID": "rush", "AWS_SECRET_ACCESS_KEY": "rush", "NO_PROXY": "127.0.0.1"}
    os.environ.update(aws)
    moto.start()
    boto3.client("s3", endpoint_url=f"http://127.0.0.1:{s3_port}", region_name="ap-shanghai").create_bucket(
        Bucket="rush", CreateBucketConfiguration={"LocationConstraint": "ap-shanghai"})
    recreate_database(args.database_url)
    env = {"DATABASE_URL": args.database_url, "SECRET_KEY": SECRET_KEY, "REDVEST_ENV": "production",
           "PUBLIC_BASE_URL": "https://redvest.example.gov.cn", "REDIS_URL": "redis://127.0.0.1:6379/9",
           "STORAGE_URL": f"s3://rush/evidence?endpoint_url=http://127.0.0.1:{s3_port}&region=ap-shanghai",
           "WECHAT_APPID": "", "POSTER_CACHE_DIR": str(workdir / "posters"), **aws}
    people = prepare(env, args.volunteers, args.posts)
    servers = []
    for name in ("A", "B"):
        port = free_port()
        servers.append(Server(name, port, args.workers, {**env, "PROMETHEUS_MULTIPROC_DIR":
                                                         str(workdir / f"metrics-{name}")}))
    for server in servers:
        server.start()
    for server in servers:
        wait_port(server.port)
    asyncio.run(until_ready([s.port for s in servers], time.perf_counter()))  # workers booted

    tally, fault_log = Tally(), {}
    rng = random.Random(20)
    starts = sorted(rng.uniform(0, args.seconds) for _ in people)

    async def rush() -> None:
        t0 = time.perf_counter()
        ports = [s.port for s in servers]
        jobs = [volunteer(i, token, scan, at, ports, tally, t0, give_up_s=60)
                for i, ((token, scan), at) in enumerate(zip(people, starts))]
        if not args.no_faults:
            jobs.append(faults(servers, args.seconds, t0, fault_log))
        await asyncio.gather(*jobs)

    try:
        began = time.perf_counter()
        asyncio.run(rush())
        wall = time.perf_counter() - began
        checked = verify(args.database_url, tally, args.volunteers)
    finally:
        for server in servers:
            server.stop()
        moto.stop()

    lat = sorted(tally.latencies)
    p99 = statistics.quantiles(lat, n=100)[98] * 1000 if len(lat) > 1 else 0.0
    ack_p99 = statistics.quantiles(tally.ack_latencies, n=100)[98] * 1000 if len(tally.ack_latencies) > 1 else 0.0
    print(f"{args.volunteers} volunteers over {args.seconds:.0f} s on two servers x {args.workers} workers; "
          f"{tally.attempts} attempts, {tally.errors} connection errors/timeouts, {tally.http_5xx} 5xx, "
          f"{tally.conflicts} conflicts; wall {wall:.1f} s; faults: {fault_log or 'none'}")
    print(f"every volunteer on duty at the end: {checked['on_duty'] == args.volunteers} "
          f"({checked['on_duty']}/{args.volunteers}); load average {os.getloadavg()[0]:.2f} "
          "(the machine is shared: other work skews the latencies)")
    recovery = max([fault_log.get("server_kill_recovery_s", 0), fault_log.get("postgresql_recovery_s", 0)])
    print(json.dumps({"volunteers": args.volunteers, "acknowledged": len(tally.acknowledged),
                      "shifts_in_db": checked["shifts_in_db"], "duplicates": checked["duplicates"],
                      "lost": checked["lost"], "http_5xx": tally.http_5xx, "p99_ms": round(p99, 1),
                      "recovery_s": recovery, "on_duty": checked["on_duty"], "ack_p99_ms": round(ack_p99, 1),
                      "connection_errors": tally.errors, "http_5xx_by_code": tally.by_code, "conflicts": tally.conflicts, **fault_log}))


if __name__ == "__main__":
    main()
