"""A newcomer pastes the README's curl walk-through into a shell while the demo runs,
and every step answers as the README says it will."""
import json
import os
import re
import selectors
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- walk-through: tests/test_readme.py runs the next block verbatim -->"
EXPECT = re.compile(r"^# → (\d{3}) (.*)$")
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2})?$")


def walk_through() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = readme.split(MARKER, 1)[1]
    match = re.match(r"\s*```sh\n(.*?)\n```", after, re.S)
    assert match, "the marker must sit right above the walk-through's ```sh block"
    return match.group(1)


def expectations(block: str) -> list[tuple[int, object]]:
    """`# → 201 {...}` lines: a status and the answer's shape, `...` standing for the rest."""
    found = []
    for line in block.splitlines():
        m = EXPECT.match(line)
        if m:
            found.append((int(m.group(1)), json.loads(re.sub(r",\s*\.\.\.", "", m.group(2)))))
    return found


def agrees(expected, actual, where="") -> None:
    """Words, flags and lists as shown; ids, numbers, dates and times by kind, since they vary."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, value in expected.items():
            assert key in actual, f"{where}.{key} missing"
            agrees(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, str) and ISO_TIME.match(expected):
        assert isinstance(actual, str) and ISO_TIME.match(actual) and len(actual) == len(expected), where
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool) and expected != 0:
        assert type(actual) is type(expected), where
    else:
        assert actual == expected, f"{where}: README shows {expected!r}, the server answered {actual!r}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`flask --app server demo` on a free port (0) with its own instance folder, as a newcomer runs it."""
    instance = tmp_path_factory.mktemp("demo") / "instance"
    env = {**os.environ, "REDVEST_INSTANCE_PATH": str(instance)}
    for name in ("DATABASE_URL", "PUBLIC_BASE_URL", "WECHAT_APPID", "REDVEST_ENV"):
        env.pop(name, None)
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "server", "demo", "--port", "0", "--json"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            assert sel.select(timeout=180), "the demo printed nothing in 3 minutes"
        started = json.loads(proc.stdout.readline())
        yield started, env
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def workdir(tmp_path):
    """A checkout-shaped folder whose `.venv/bin/flask` is this interpreter's Flask on this repository."""
    folder = tmp_path / "checkout"
    flask = folder / ".venv" / "bin" / "flask"
    flask.parent.mkdir(parents=True)
    flask.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        PYTHONPATH={ROOT} exec {sys.executable} -m flask "$@"
        """))
    flask.chmod(0o755)
    return folder


def test_the_demo_says_where_it_serves_and_who_can_log_in(demo):
    started, _ = demo
    assert started["created"] and started["serving"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/console/login", started["console_url"])
    assert started["console_url"].startswith(started["base_url"])
    assert [u["username"] for u in started["users"]] == ["admin", "leader", "coord_east", "coord_caizheng"]


def test_the_readme_walk_through_runs_as_written(demo, workdir):
    started, env = demo
    block = walk_through()
    expected = expectations(block)
    assert len(expected) == 4 and "5000" in block  # the block a reader sees names the default port

    run = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block], cwd=workdir,
                         env={**env, "BASE": started["base_url"]}, capture_output=True, text=True, timeout=300)

    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 2 * len(expected), run.stdout  # each answer, then its status
    for step, ((status, shape), body, code) in enumerate(zip(expected, lines[::2], lines[1::2]), start=2):
        assert int(code) == status, f"step {step}: {code} {body}"
        agrees(shape, json.loads(body), f"step {step}")


def test_posts_qr_points_at_the_port_the_demo_serves_on(demo, workdir):
    started, env = demo
    qr = subprocess.run([".venv/bin/flask", "--app", "server", "posts", "qr", "1"], cwd=workdir, env=env,
                        capture_output=True, text=True, timeout=120)
    assert qr.returncode == 0 and qr.stdout.startswith(started["base_url"] + "/q/")
