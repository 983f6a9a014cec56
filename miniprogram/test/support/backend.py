"""The real Red Vest backend for the mini-program's tests: a fresh temporary SQLite database,
migrated, served on 127.0.0.1 (port 0), and a line-based control channel on stdin/stdout.

The first stdout line is {"port": N}. Each stdin line is one JSON command, answered by one
JSON line:
  {"cli": ["posts", "add", ...], "env": {...}}  run a `flask --app server` command in-process
  {"clock": 1200}                               set CLOCK_OFFSET_SECONDS (tests only)
  {"routes": true}                              the URL map: [{"rule", "methods"}]
  {"jpeg": "/tmp/x.jpg", "seed": 1}             write a test photo
Run from the repository root's venv; the Node side (backend.js) starts and stops it.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import threading

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
sys.path.insert(0, REPO)


def build_app(folder: str):
    from flask_migrate import upgrade

    from server import create_app

    app = create_app({
        "DATABASE_URL": f"sqlite:///{os.path.join(folder, 'redvest.sqlite3')}",
        "SECRET_KEY": "miniprogram-tests-secret-key-0123456789",
        "STORAGE_URL": f"file://{os.path.join(folder, 'photos')}",
        "POSTER_CACHE_DIR": os.path.join(folder, "posters"),
        "PUBLIC_BASE_URL": "https://redvest.example.gov.cn",
        "WECHAT_API_BASE": "http://127.0.0.1:9",  # nothing here talks to WeChat; refuse fast if it tried
        "WECHAT_REMINDER_TEMPLATE_ID": "tmpl-roster-reminder",
        "WECHAT_QR_VERIFY_NAME": "a1b2c3.txt",
        "WECHAT_QR_VERIFY_CONTENT": "0123456789abcdef",
        "CLOCK_OFFSET_SECONDS": 0,
        # The server's random presence checks (20% of shifts) would make a story's review state a
        # dice roll; a story that wants a spot check asks a leader for one.
        "PRESENCE_CHECK_RATE": 0.0,
    })
    app.instance_path = folder
    with app.app_context():
        upgrade(directory=os.path.join(REPO, "migrations"), revision="heads")
    return app


def run_cli(app, args: list[str], env: dict | None) -> dict:
    runner = app.test_cli_runner()
    with app.app_context():  # as `flask --app server ...` runs them
        result = runner.invoke(args=args, env=env or {}, catch_exceptions=True)
    return {"exit_code": result.exit_code, "output": result.output,
            "error": repr(result.exception) if result.exception else None}


def write_jpeg(path: str, seed: int) -> str:
    """A camera-like photo (noise, so no two tests' photos look alike) for chooseMedia to return."""
    import random

    from PIL import Image

    rng = random.Random(seed)
    image = Image.new("RGB", (64, 48))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(64 * 48)])
    image.resize((640, 480)).save(path, "JPEG", quality=85)
    return path


def main() -> None:
    from werkzeug.serving import make_server

    folder = tempfile.mkdtemp(prefix="redvest-mp-")
    app = build_app(folder)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"port": server.server_port, "folder": folder}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if "cli" in command:
            answer = run_cli(app, command["cli"], command.get("env"))
        elif "clock" in command:
            app.config["CLOCK_OFFSET_SECONDS"] = int(command["clock"])
            answer = {"clock": app.config["CLOCK_OFFSET_SECONDS"]}
        elif "jpeg" in command:
            answer = {"jpeg": write_jpeg(command["jpeg"], command.get("seed", 1))}
        elif "routes" in command:
            answer = {"routes": [{"rule": rule.rule, "methods": sorted(rule.methods - {"HEAD", "OPTIONS"})}
                                 for rule in app.url_map.iter_rules()]}
        else:
            answer = {"error": f"unknown command {command!r}"}
        print(json.dumps(answer, ensure_ascii=False), flush=True)
    server.shutdown()


if __name__ == "__main__":
    main()
