"""Check-in throughput and latency under gunicorn, next to the same server's trivial endpoint.

    .venv/bin/python bench/checkin.py [--clients 32] [--seconds 10] [--rounds 5] [--workers 2]
                                      [--database sqlite|postgresql]

Starts gunicorn on 127.0.0.1 with a fresh database, logs in a pool of volunteers
per client (rate limits on, as in production: each volunteer scans well under its
limit), then each client scans in and out (POST /shifts, POST /shifts/<id>/end)
as fast as the server lets it, taking its volunteers in turn; the same number of clients also hit GET /healthz,
the server's trivial JSON endpoint. The two loads take turns (--rounds), so both
see the machine in the same state. Both use the same raw-socket asyncio client,
so the ratio compares the server, not the client. The last line is one JSON
object.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# A database of the bench's own, dropped and recreated: never the test suite's.
PG_URL = "postgresql://postgres@127.0.0.1:5432/redvest_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_database(url: str) -> None:
    import sqlalchemy as sa

    base, name = url.rsplit("/", 1)
    engine = sa.create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1) + "/postgres",
                              isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def prepare(env: dict, clients: int, per_client: int) -> tuple[list[list[str]], bytes]:
    """Migrate, create one post and ``per_client`` volunteers per client; return each client's
    volunteers' tokens and the scan body. Each client takes its volunteers in turn, so none of them
    passes the per-volunteer scan limit (RATE_LIMIT_SCANS, on as in production)."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from server import create_app, tokens
    from server.clock import utcnow
    from server.db import db
    from server.models import District, Unit, User
    from server.checkin import posts as post_service

    if env["DATABASE_URL"].startswith("postgresql"):
        recreate_database(env["DATABASE_URL"])
    app = create_app()
    with app.app_context():
        upgrade(revision="heads")
        now = utcnow()
        unit, district = Unit(name="县财政局", created_at=now), District(name="城东片区", created_at=now)
        db.session.add_all([unit, district])
        db.session.flush()
        post = post_service.create(name="人民路口", kind="intersection", district_id=district.id,
                                   latitude=29.248, longitude=117.8617, radius_m=100, now=now)
        users = [User(openid=f"bench-{i}", name=f"志愿者{i}", phone=f"139{i:08d}", unit_id=unit.id,
                      role="volunteer", registered_at=now, created_at=now,
                      privacy_version=app.config["PRIVACY_VERSION"], consented_at=now)
                 for i in range(clients * per_client)]
        db.session.add_all(users)
        db.session.commit()
        scan = json.dumps({"qr": post_service.qr_url(post), "latitude": 29.2481, "longitude": 117.8617,
                           "accuracy": 12}).encode()
        issued = [tokens.issue(u.id, "mp")[0] for u in users]
        return [issued[i * per_client:(i + 1) * per_client] for i in range(clients)], scan


async def http(port: int, method: str, path: str, token: str | None = None, body: bytes = b"") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    writer.write(head.encode() + b"\r\n" + body)
    data = await reader.read()
    writer.close()
    status = int(data[9:12])
    return status, data[data.index(b"\r\n\r\n") + 4:]


async def checkin_client(port, pool, scan, deadline, latencies, errors):
    turn = 0
    while time.perf_counter() < deadline:
        token, turn = pool[turn % len(pool)], turn + 1
        t0 = time.perf_counter()
        status, body = await http(port, "POST", "/api/mp/v1/shifts", token, scan)
        latencies.append(time.perf_counter() - t0)
        if status != 201:
            errors.append(status)
            continue
        shift_id = json.loads(body)["id"]
        t0 = time.perf_counter()
        status, _ = await http(port, "POST", f"/api/mp/v1/shifts/{shift_id}/end", token, scan)
        latencies.append(time.perf_counter() - t0)
        if status != 200:
            errors.append(status)


async def trivial_client(port, deadline, latencies, errors):
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        status, _ = await http(port, "GET", "/healthz")
        latencies.append(time.perf_counter() - t0)
        if status != 200:
            errors.append(status)


async def run_load(make_clients, seconds: float) -> dict:
    latencies: list[float] = []
    errors: list[int] = []
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    await asyncio.gather(*make_clients(deadline, latencies, errors))
    return {"latencies": latencies, "elapsed": time.perf_counter() - started, "errors": len(errors)}


def server_cpu_seconds(master_pid: int) -> float:
    """User+system CPU of gunicorn's master and workers: cost per request, whatever else runs."""
    pids = [master_pid]
    try:
        with open(f"/proc/{master_pid}/task/{master_pid}/children") as f:
            pids += [int(p) for p in f.read().split()]
    except OSError:
        pass
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            if os.environ.get("BENCH_SPLIT"):
                print(f"  pid {pid}: user {fields[11]} sys {fields[12]}")
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured(proc, load) -> dict:
    before, client_before = server_cpu_seconds(proc.pid), client_cpu_seconds()
    result = asyncio.run(load)
    result["server_cpu_s"] = server_cpu_seconds(proc.pid) - before
    result["client_cpu_s"] = client_cpu_seconds() - client_before
    return result


def combined(slices: list[dict]) -> dict:
    """One load's slices as one measurement: rates over the total time, percentiles over all requests."""
    latencies = [x for r in slices for x in r["latencies"]]
    elapsed = sum(r["elapsed"] for r in slices)
    qs = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / elapsed, "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": qs[98] * 1000, "requests": len(latencies), "errors": sum(r["errors"] for r in slices),
            "server_cpu_ms_per_request": sum(r["server_cpu_s"] for r in slices) * 1000 / len(latencies),
            "client_cpu_ms_per_request": sum(r["client_cpu_s"] for r in slices) * 1000 / len(latencies),
            "busy_cores": sum(r["server_cpu_s"] + r["client_cpu_s"] for r in slices) / elapsed}


def wait_for(port: int, proc, timeout: float = 20) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10, help="per load, over all rounds")
    parser.add_argument("--rounds", type=int, default=5, help="turns each load takes")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--volunteers-per-client", type=int, default=50,
                        help="taken in turn, so none passes the per-volunteer scan limit")
    parser.add_argument("--database-url", default=PG_URL, help="with --database postgresql: recreated")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="redvest-bench-"))
    database_url = f"sqlite:///{workdir / 'bench.sqlite3'}" if args.database == "sqlite" else args.database_url
    env = {"DATABASE_URL": database_url, "SECRET_KEY": "bench-secret-key-long-enough",
           "REDVEST_ENV": "development", "WECHAT_APPID": ""}
    token_list, scan = prepare(env, args.clients, args.volunteers_per_client)
    port = free_port()
    gunicorn = [sys.executable, "-m", "gunicorn", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
                "--log-level", "warning", "server:create_app()"]
    proc = subprocess.Popen(gunicorn, cwd=ROOT, env={**os.environ, **env})
    try:
        wait_for(port, proc)
        asyncio.run(run_load(lambda d, l, e: [trivial_client(port, d, l, e) for _ in range(args.clients)], 1))
        # The two loads take turns in short slices, so a change in what else the machine is
        # doing (a neighbour on the same host) weighs on both alike instead of skewing the ratio.
        checkin_slices, trivial_slices = [], []
        for _ in range(args.rounds):
            checkin_slices.append(measured(proc, run_load(
                lambda d, l, e: [checkin_client(port, t, scan, d, l, e) for t in token_list],
                args.seconds / args.rounds)))
            trivial_slices.append(measured(proc, run_load(
                lambda d, l, e: [trivial_client(port, d, l, e) for _ in range(args.clients)],
                args.seconds / args.rounds)))
        checkin, trivial = combined(checkin_slices), combined(trivial_slices)
        # Each round's own ratio: how steady the result is, not just its average.
        round_ratios = [len(c["latencies"]) / c["elapsed"] / (len(t["latencies"]) / t["elapsed"])
                        for c, t in zip(checkin_slices, trivial_slices)]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    for name, r in (("check-in (start+end)", checkin), ("trivial GET /healthz", trivial)):
        print(f"{name:<22} {r['rps']:.0f} req/s  p50 {r['p50_ms']:.1f} ms  p99 {r['p99_ms']:.1f} ms  "
              f"server CPU {r['server_cpu_ms_per_request']:.3f} ms/request  "
              f"client CPU {r['client_cpu_ms_per_request']:.3f} ms/request  busy cores {r['busy_cores']:.2f}  "
              f"({r['requests']} requests, {r['errors']} errors)")
    print("ratio in each round: " + ", ".join(f"{r:.3f}" for r in round_ratios))
    print(f"load average while measuring: {os.getloadavg()[0]:.2f} (other work on the machine skews the rates)")
    print(json.dumps({
        "checkin_rps": round(checkin["rps"], 1), "trivial_rps": round(trivial["rps"], 1),
        "ratio": round(checkin["rps"] / trivial["rps"], 3), "p50_ms": round(checkin["p50_ms"], 2),
        "p99_ms": round(checkin["p99_ms"], 2), "clients": args.clients, "database": args.database,
        "errors": checkin["errors"] + trivial["errors"], "workers": args.workers,
        "checkin_cpu_ms": round(checkin["server_cpu_ms_per_request"], 3),
        "trivial_cpu_ms": round(trivial["server_cpu_ms_per_request"], 3),
        "ratio_min_round": round(min(round_ratios), 3),
    }))


if __name__ == "__main__":
    main()
