"""A newcomer's command fails: they read one Chinese line saying why, a script reads the API's
error envelope, cron reads the exit code (1, or 2 for a command used wrongly); nobody sees a traceback."""
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from server.cli import failures
from server.db import db
from server.models import District, Post, Unit, User
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
FLASK_BUILTINS = {"db", "run", "shell", "routes"}


def cli(app, *args, env=None, input=None):
    return app.test_cli_runner().invoke(args=list(args), env=env or {}, input=input)


def failed(result, exit_code: int = 1) -> str:
    """The one line a person reads; the command ended through the failure path, not an exception."""
    assert result.exit_code == exit_code, result.output
    assert type(result.exception) is SystemExit, repr(result.exception)
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("错误：") and any("\u4e00" <= ch <= "\u9fff" for ch in line[3:])
    return line


def envelope(result) -> dict:
    """What a script reads: exactly one JSON object on stdout, the API's error shape."""
    body = json.loads(result.stdout)
    assert set(body) == {"error"} and body["error"]["code"].isupper()
    return body["error"]


# ------------------------------------------------------------------ duplicate name

@pytest.mark.parametrize("group", ["units", "districts"])
def test_adding_a_name_that_exists_names_the_row_that_has_it(app, group):
    first = json.loads(cli(app, group, "add", "县财政局", "--json").stdout)

    line = failed(cli(app, group, "add", " 县财政局 "))
    again = cli(app, group, "add", "县财政局", "--json")

    assert "县财政局" in line and f"编号 {first['id']}" in line
    failed(again)
    assert envelope(again) == {"code": "NAME_TAKEN", "message": line.removeprefix("错误："), "id": first["id"]}
    model = Unit if group == "units" else District
    assert db.session.query(model).count() == 1


def test_the_readme_examples_on_the_demo_database_fail_in_one_line(app):
    cli(app, "demo", "--no-serve")
    for args in (["units", "add", "县财政局"], ["districts", "add", "城东片区"]):
        assert "已存在" in failed(cli(app, *args))


def test_a_console_username_that_is_taken(app):
    factories.console_user("leader", username="boss")
    result = cli(app, "users", "create", "--username", "boss", "--role", "leader", "--json",
                 env={"REDVEST_PASSWORD": "long-password-1"})
    assert "boss" in failed(result) and envelope(result)["code"] == "USERNAME_TAKEN"


# ------------------------------------------------------------------ unknown id

@pytest.mark.parametrize("args, field", [
    (["posts", "qr", "999"], None),
    (["posts", "rotate-qr", "999"], None),
    (["posts", "list", "--district", "999"], "--district"),
    (["users", "create", "--username", "c", "--role", "coordinator", "--unit", "999"], "--unit"),
    (["posts", "add", "--name", "x", "--district", "999", "--lat", "29", "--lng", "117"], "district_id"),
    (["digest", "--user", "nobody"], "--user"),
])
def test_an_unknown_id_is_one_line_and_a_json_error(app, args, field):
    result = cli(app, *args, env={"REDVEST_PASSWORD": "long-password-1"})
    failed(result)
    as_json = cli(app, *args, "--json", env={"REDVEST_PASSWORD": "long-password-1"})
    failed(as_json)
    error = envelope(as_json)
    assert error["code"] in {"NOT_FOUND", "VALIDATION_ERROR"} and error.get("field") == field
    assert db.session.query(User).count() == 0 and db.session.query(Post).count() == 0


def test_posts_qr_for_a_missing_post_prints_json_not_text(app):
    result = cli(app, "posts", "qr", "999", "--json")
    assert envelope(result) == {"code": "NOT_FOUND", "message": "找不到该岗位"}


# ------------------------------------------------------------------ missing or wrong option: exit 2

@pytest.mark.parametrize("args, field, words", [
    (["posts", "add", "--name", "x", "--lat", "29", "--lng", "117"], "--district", "缺少选项 --district"),
    (["posts", "add", "--name", "x", "--district", "east", "--lat", "29", "--lng", "117"], "--district", "应为整数"),
    (["posts", "add", "--name", "x", "--kind", "bridge", "--district", "1", "--lat", "29", "--lng", "117"],
     "--kind", "只能是 intersection"),
    (["units", "add"], "NAME", "缺少参数 NAME"),
    (["posts", "qr", "one"], "POST_ID", "应为整数"),
    (["reports", "hours", "--from", "11/01/2026"], "--from", "应为日期"),
    (["bulletin"], "--week", "缺少选项 --week"),
    (["units", "list", "--colour"], "--colour", "没有选项 --colour"),
    (["users", "list", "--role", "boss"], "--role", "只能是 volunteer"),
])
def test_a_command_used_wrongly_exits_2_and_says_what_is_wrong(app, args, field, words):
    line = failed(cli(app, *args), exit_code=2)
    assert words in line
    as_json = cli(app, *args, "--json")
    failed(as_json, exit_code=2)
    assert envelope(as_json) == {"code": "USAGE_ERROR", "message": line.removeprefix("错误："), "field": field}


def test_an_unknown_subcommand_suggests_the_right_one(app):
    result = cli(app, "units", "lsit", "--json")
    assert "没有命令 lsit" in failed(result, exit_code=2) and "list" in envelope(result)["message"]


def test_a_coordinator_without_a_scope_is_a_usage_error(app):
    result = cli(app, "users", "create", "--username", "c", "--role", "coordinator", "--json",
                 env={"REDVEST_PASSWORD": "long-password-1"})
    assert "--unit" in failed(result, exit_code=2) and envelope(result)["code"] == "USAGE_ERROR"


def test_a_bare_group_shows_its_help_instead_of_failing(app):
    result = cli(app, "units")
    assert "list" in result.output and "错误" not in result.output


# ------------------------------------------------------------------ feature off: not a failure

def test_reminders_when_not_configured_exit_0_with_one_line(app):
    result = cli(app, "reminders", "send")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "提醒未配置，跳过\n", "")
    as_json = cli(app, "reminders", "send", "--json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout) == {"skipped": True, "message": "提醒未配置，跳过"}


def test_reminders_half_configured_is_a_failure_that_says_what_is_missing(make_app):
    app = make_app(WECHAT_REMINDER_TEMPLATE_ID="tmpl-1")
    with app.app_context():
        result = cli(app, "reminders", "send", "--json")
    assert "WECHAT_APPID" in failed(result) and envelope(result)["code"] == "REMINDERS_MISCONFIGURED"


# ------------------------------------------------------------------ anything else

def test_a_password_prompt_without_an_answer_is_one_line(app):
    result = cli(app, "users", "create", "--username", "boss", "--role", "leader", "--json", input="")
    assert result.exit_code == 1 and type(result.exception) is SystemExit and "Traceback" not in result.stderr
    prompt, line = result.stderr.split()  # the prompt is on stderr too: stdout stays JSON
    assert prompt.startswith("Password") and line.startswith("错误：已取消")
    assert envelope(result)["code"] == "ABORTED"
    assert db.session.query(User).count() == 0


def test_an_unexpected_error_is_one_line_and_its_traceback_goes_to_the_instance_folder(app):
    @click.command("explode", cls=failures.Command)
    @click.option("--json", "as_json", is_flag=True)
    def explode(as_json):
        raise RuntimeError("boom")

    result = app.test_cli_runner().invoke(explode, ["--json"])
    line = failed(result)
    log = Path(app.instance_path) / "cli-errors.log"
    assert "内部错误（RuntimeError）" in line and str(log) in line
    assert envelope(result)["code"] == "INTERNAL_ERROR"
    assert "Traceback" in log.read_text() and "boom" in log.read_text()


def test_a_file_that_cannot_be_written_is_one_line(app, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    result = cli(app, "reports", "hours", "--out", str(blocked / "x.xlsx"), "--json")
    assert "x.xlsx" in failed(result) or "a-file" in failed(result)
    assert envelope(result)["code"] == "FILE_ERROR"


def test_every_red_vest_command_goes_through_the_failure_path(app):
    def walk(command, path):
        assert isinstance(command, failures.Command), f"{path} is a plain click command"
        if not isinstance(command, click.Group):
            return
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            walk(sub, f"{path} {name}")
            if isinstance(sub, click.Group):
                assert isinstance(sub, failures.Group), f"{path} {name}"
            else:
                assert any(p.name == "as_json" for p in sub.params), f"{path} {name} has no --json"

    ours = {name: c for name, c in app.cli.commands.items() if name not in FLASK_BUILTINS}
    assert {"units", "districts", "posts", "users", "reports", "reminders", "demo"} <= set(ours)
    for name, command in ours.items():
        walk(command, name)


def test_a_database_without_its_tables_says_to_run_db_upgrade(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with app.app_context():
        result = cli(app, "units", "list", "--json")
    assert "db upgrade" in failed(result) and envelope(result)["code"] == "SCHEMA_MISSING"


def test_a_real_process_prints_no_traceback(tmp_path):
    """The same through `.venv/bin/flask` itself, as a newcomer runs it."""
    env = {**os.environ, "REDVEST_INSTANCE_PATH": str(tmp_path), "FLASK_APP": "server"}
    env.pop("DATABASE_URL", None)
    flask = [sys.executable, "-m", "flask"]

    def run(*args):
        return subprocess.run([*flask, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert run("db", "upgrade").returncode == 0
    assert run("units", "add", "县财政局").returncode == 0
    duplicate = run("units", "add", "县财政局", "--json")
    wrong = run("posts", "add", "--name", "x")
    for result, code in ((duplicate, 1), (wrong, 2)):
        assert result.returncode == code and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("错误：")
    assert json.loads(duplicate.stdout)["error"]["code"] == "NAME_TAKEN"
