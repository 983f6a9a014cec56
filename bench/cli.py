"""Benchmark: how long a command takes to start, as cron or a person runs it.

Times whole processes, `flask --app server units list` and `posts qr 1`, on a
scratch SQLite database, next to floors measured in the same run and interleaved
with them: `python -c "import flask"`, `flask --version` (Flask's own CLI without
loading the app) and `import flask, flask_sqlalchemy, flask_migrate, server.models`
(the libraries any database command needs; Flask-Migrate comes with every `flask`
command through its plugin entry point). Each figure is the median of --runs rounds,
as wall time and as CPU time (user + system of the process): the shared host's load
stretches wall time several-fold, CPU time much less. Bytecode caching is on, as on a
server (PYTHONDONTWRITEBYTECODE is dropped for the children).

The last line is one JSON object for tooling:
{"units_list_s": .., "posts_qr_s": .., "floor_flask_version_s": .., ..., "units_list_over_floor": ..}
(`*_s` wall seconds, `*_cpu_s` CPU seconds, ratios against `flask --version`, by CPU time).

    .venv/bin/python bench/cli.py [--runs 7]

Target: `units list` under 1 s on the project's 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLASK = [sys.executable, "-m", "flask"]


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU seconds of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WECHAT_APPID", "REDVEST_ENV")}
        env.update(REDVEST_INSTANCE_PATH=folder, FLASK_APP="server")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        for setup in (["db", "upgrade"], ["units", "add", "县财政局"], ["districts", "add", "城东片区"],
                      ["posts", "add", "--name", "人民路口", "--district", "1", "--lat", "29.248", "--lng", "117.86"]):
            subprocess.run([*FLASK, *setup], cwd=ROOT, env=env, check=True, capture_output=True)
        commands = {
            "floor_import_flask_s": [sys.executable, "-c", "import flask"],
            "floor_flask_version_s": [*FLASK, "--version"],
            "floor_stack_s": [sys.executable, "-c", "import flask, flask_sqlalchemy, flask_migrate, server.models"],
            "units_list_s": [*FLASK, "units", "list"],
            "posts_qr_s": [*FLASK, "posts", "qr", "1"],
        }
        for cmd in commands.values():  # warm the page cache and the .pyc files once
            timed(cmd, env)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved, so a slow phase of the shared host hits every figure
            for name, cmd in commands.items():
                wall, cpu = timed(cmd, env)
                walls[name].append(wall)
                cpus[name].append(cpu)

    result = {}
    for name in commands:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        result[name] = round(wall, 3)
        result[name.removesuffix("_s") + "_cpu_s"] = round(cpu, 3)
        print(f"{name:<24} wall {wall:.3f} s (min {min(walls[name]):.3f})   cpu {cpu:.3f} s "
              f"(min {min(cpus[name]):.3f})")
    floor = result["floor_flask_version_cpu_s"]
    for name in ("units_list", "posts_qr"):
        result[f"{name}_over_floor"] = round(result[f"{name}_cpu_s"] / floor, 2)
        result[f"{name}_over_stack"] = round(result[f"{name}_cpu_s"] / result["floor_stack_cpu_s"], 2)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
