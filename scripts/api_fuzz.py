"""Fuzz both published API documents with schemathesis against a live server (CI runs this).

Builds a throwaway SQLite county (a unit, a district, a post, a registered volunteer and a
district coordinator), serves the app with gunicorn on 127.0.0.1, logs both in for tokens and
runs schemathesis over /api/mp/v1 (volunteer token) and /api/console/v1 (coordinator token).
Fails on any 5xx, any response the documents do not describe, or any crash. Bounded by
--max-examples per operation and a time budget; both documents are fuzzed at once.

    .venv/bin/python scripts/api_fuzz.py [--examples 10] [--seconds 60]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
    "missing_required_header", "unsupported_method", "ignored_auth",
])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SEED = """
from flask_migrate import upgrade
from server import create_app

COMMANDS = (
    ["units", "add", "县财政局"],
    ["districts", "add", "城东片区"],
    ["posts", "add", "--name", "人民路与解放路交叉口", "--kind", "intersection", "--district", "1",
     "--lat", "29.2491", "--lng", "117.8644"],
    ["users", "create", "--username", "fuzz-coordinator", "--role", "coordinator", "--district", "1"],
)
app = create_app()
runner = app.test_cli_runner()
with app.app_context():
    upgrade()
    for args in COMMANDS:
        result = runner.invoke(args=args, env={"REDVEST_PASSWORD": "fuzz-coordinator-password"})
        if result.exit_code != 0:
            raise SystemExit(f"{' '.join(args)}: {result.output} {result.exception!r}")
"""


def seed(env: dict) -> None:
    """Schema and a small county, through the same commands an operator uses (one process)."""
    done = subprocess.run([sys.executable, "-c", SEED], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=180)
    if done.returncode != 0:
        sys.exit(f"seeding failed:\n{done.stdout}{done.stderr}")


def tokens(base: str) -> tuple[str, str]:
    res = requests.post(f"{base}/api/mp/v1/auth/login", json={"code": "dev:fuzz-volunteer"}, timeout=10)
    res.raise_for_status()
    volunteer = res.json()["token"]
    # Registering is agreeing to the current privacy notice (issue 14).
    version = requests.get(f"{base}/api/mp/v1/privacy", timeout=10).json()["version"]
    requests.post(f"{base}/api/mp/v1/me/registration", timeout=10,
                  json={"name": "测试", "phone": "13900000001", "unit_id": 1, "privacy_version": version},
                  headers={"Authorization": f"Bearer {volunteer}"}).raise_for_status()
    res = requests.post(f"{base}/api/console/v1/auth/login", timeout=10,
                        json={"username": "fuzz-coordinator", "password": "fuzz-coordinator-password"})
    res.raise_for_status()
    return volunteer, res.json()["token"]


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    for _ in range(150):
        if server.poll() is not None:
            sys.exit("gunicorn exited before answering")
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    sys.exit("gunicorn did not answer within 30 s")


SELF_ENDING = ("mpEraseMe", "consoleLogout", "consoleChangeOwnPassword")


def start_fuzz(api: str, base: str, token: str, args, folder: Path, phases: str) -> tuple:
    """Start schemathesis over one document; its output goes to <folder>/<api>.log."""
    # One worker: hypothesis parses lambdas' source with `ast`, which CPython 3.11 cannot do in
    # two threads at once ("AST constructor recursion depth mismatch").
    command = [str(BIN / "schemathesis"), "run", f"{base}/api/{api}/v1/openapi.json",
               "--header", f"Authorization: Bearer {token}", "--checks", CHECKS,
               "--max-examples", str(args.examples), "--seed", str(args.seed), "--workers", "1",
               "--phases", phases, "--request-timeout", "60",
               # These end the fuzzer's own token (erasing the volunteer, signing out, a new password),
               # after which every other operation could only be tried for its 401.
               *[arg for op in SELF_ENDING for arg in ("--exclude-operation-id", op)],
               "--generation-database", "none", "--no-color", "--max-time", str(args.seconds),
               "--report", "ndjson", "--report-ndjson-path", str(folder / f"{api}.ndjson")]
    output = open(folder / f"{api}.log", "w")
    return api, output, time.monotonic(), subprocess.Popen(command, cwd=folder, stdout=output,
                                                           stderr=subprocess.STDOUT)


def finish_fuzz(run: tuple, args, folder: Path) -> dict:
    api, output, started, process = run
    try:
        code = process.wait(timeout=args.seconds + 60)
    except subprocess.TimeoutExpired:
        process.kill()
        code = "timeout"
    output.close()
    print(f"$ schemathesis run …/api/{api}/v1/openapi.json ({args.examples} examples per operation)")
    print((folder / f"{api}.log").read_text(), flush=True)
    return {"api": api, "exit": code, "seconds": round(time.monotonic() - started, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10, help="test cases per operation and phase")
    parser.add_argument("--seconds", type=int, default=60, help="time budget (both documents run at once)")
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="redvest-fuzz-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'fuzz.sqlite3'}", "REDVEST_ENV": "development",
           "WECHAT_APPID": "", "SECRET_KEY": "fuzz-secret-key-long-enough", "PUBLIC_BASE_URL": base,
           "STORAGE_URL": f"file://{folder / 'photos'}", "POSTER_CACHE_DIR": str(folder / "posters")}
    seed(env)
    log = open(folder / "gunicorn.log", "w")
    # --limit-request-line 0: gunicorn answers an over-long request line with its own HTML page before
    # the app sees it; in production the proxy bounds request lines (docs/deploy.md), so the fuzz
    # judges the app, not gunicorn's default of 4094 bytes.
    server = subprocess.Popen([str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "60",
                               "--limit-request-line", "0",
                               "server:create_app()"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(base, server)
        volunteer, coordinator = tokens(base)
        # The mini-program's links start at a scan, which needs a signed QR a fuzzer cannot make
        # (the suite's scan tests cover that path): no stateful phase there.
        # Both documents at once: the budget bounds the wall time, not their sum.
        runs = [start_fuzz("mp", base, volunteer, args, folder, "examples,coverage,fuzzing"),
                start_fuzz("console", base, coordinator, args, folder, "examples,coverage,fuzzing,stateful")]
        results = [finish_fuzz(run, args, folder) for run in runs]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    errors = [line for line in (folder / "gunicorn.log").read_text().splitlines() if "Traceback" in line
              or "unhandled error" in line]
    print(json.dumps({"runs": results, "server_tracebacks": len(errors)}, ensure_ascii=False))
    failed = any(r["exit"] != 0 for r in results) or errors
    if failed:
        print(f"kept for inspection: {folder}")
        return 1
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
