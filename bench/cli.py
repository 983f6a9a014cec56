"""Benchmark: how long a command takes to start, as cron or a person runs it.

Times whole processes, `flask --app server units list` and `posts qr 1`, on a
scratch SQLite database, next to two floors measured in the same run and
interleaved with them: `python -c "import flask"` and `flask --version` (Flask's
own CLI without loading the app). The median of --runs rounds is reported; the
last line is one JSON object for tooling:
{"units_list_s": .., "posts_qr_s": .., "floor_import_flask_s": .., "floor_flask_version_s": ..,
 "units_list_over_floor": .., "posts_qr_over_floor": ..}  (ratios against `flask --version`).

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


def timed(cmd: list[str], env: dict) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "WECHAT_APPID", "REDVEST_ENV")}
        env.update(REDVEST_INSTANCE_PATH=folder, FLASK_APP="server")
        for setup in (["db", "upgrade"], ["units", "add", "县财政局"], ["districts", "add", "城东片区"],
                      ["posts", "add", "--name", "人民路口", "--district", "1", "--lat", "29.248", "--lng", "117.86"]):
            subprocess.run([*FLASK, *setup], cwd=ROOT, env=env, check=True, capture_output=True)
        commands = {
            "floor_import_flask_s": [sys.executable, "-c", "import flask"],
            "floor_flask_version_s": [*FLASK, "--version"],
            "units_list_s": [*FLASK, "units", "list"],
            "posts_qr_s": [*FLASK, "posts", "qr", "1"],
        }
        for cmd in commands.values():  # warm the page cache and the .pyc files once
            timed(cmd, env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):  # interleaved, so a slow phase of the shared host hits every figure
            for name, cmd in commands.items():
                samples[name].append(timed(cmd, env))

    result = {name: round(statistics.median(values), 3) for name, values in samples.items()}
    for name, values in samples.items():
        print(f"{name:<24} median {result[name]:.3f} s  (min {min(values):.3f}, max {max(values):.3f})")
    floor = result["floor_flask_version_s"]
    result["units_list_over_floor"] = round(result["units_list_s"] / floor, 2)
    result["posts_qr_over_floor"] = round(result["posts_qr_s"] / floor, 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
