"""Duty commands: ``bulletin``, ``digest``, ``reminders send`` and ``presence-checks`` (the last three from cron)."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app

from server.cli.commands import emit, json_option, output_file
from server.cli.failures import Command, Group
from server.clock import county_zone, local_date, utcnow
from server.errors import ApiError, NotFound


@click.command("bulletin", cls=Command)
@click.option("--week", required=True, help="ISO week, e.g. 2026-W48")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Write the PDF here (default: <instance>/bulletins/督查通报-<week>.pdf)")
@json_option
def bulletin_command(week: str, out: str | None, as_json: bool):
    """The weekly supervision bulletin (督查通报) as a PDF; --json also prints its figures."""
    from server.duty import bulletin

    data = bulletin.figures(week, utcnow(), county_zone(), current_app.config["COVERAGE_GRACE_MINUTES"])
    path = output_file(out, "bulletins", f"督查通报-{data['week']}.pdf")
    pdf = bulletin.render(data, current_app.config.get("POSTER_FONT") or None)
    path.write_bytes(pdf)
    totals = data["totals"]
    share = totals["coverage"]["share"]
    coverage = f"排班覆盖率 {share * 100:.1f}%" if share is not None else "本周无排班，不计覆盖率"
    emit(as_json, {**data, "pdf": str(path)}, f"{data['week']}：服务 {totals['hours']} 小时，{coverage}\n{path}")


@click.command("digest", cls=Command)
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Local date (default: yesterday)")
@click.option("--user", "username", default=None, help="A console user: that coordinator's scope")
@json_option
def digest_command(day, username: str | None, as_json: bool):
    """Late, missed and auto-closed shifts of one day, as chat-ready Chinese text (or JSON)."""
    from server import callers
    from server.db import db
    from server.duty import digest
    from server.models import User

    tz, now = county_zone(), utcnow()
    when = day.date() if day else local_date(now, tz) - timedelta(days=1)
    caller = None
    if username:
        user_id = db.session.query(User.id).filter_by(username=username).scalar()
        if user_id is None:
            raise NotFound(f"找不到后台用户 {username}（users list 可查看）", field="--user")
        caller = callers.load(user_id)
    result = digest.daily(caller, when, now, tz, timedelta(minutes=current_app.config["LATE_AFTER_MINUTES"]))
    emit(as_json, result, result["text"])


reminders_cli = Group("reminders", help="Reminders before duty slots.")
REMINDERS_OFF = "提醒未配置，跳过"


@reminders_cli.command("send")
@json_option
def reminders_send(as_json: bool):
    """Send the reminders now due (run from cron every few minutes); each goes out at most once.

    Reminders are off while WECHAT_REMINDER_TEMPLATE_ID is unset: the command then says so and exits 0,
    so a crontab written for every county stays quiet where they are not used."""
    config = current_app.config
    if not config["WECHAT_REMINDER_TEMPLATE_ID"]:
        emit(as_json, {"skipped": True, "message": REMINDERS_OFF}, REMINDERS_OFF)
        return
    if not config["WECHAT_APPID"] or not config["WECHAT_SECRET"]:
        raise ApiError("已设置 WECHAT_REMINDER_TEMPLATE_ID，但缺少 WECHAT_APPID 或 WECHAT_SECRET，无法发送提醒",
                       code="REMINDERS_MISCONFIGURED")
    from server.duty import reminders
    from server.wechat import access_token

    settings = reminders.Settings.from_config(config, county_zone())
    counts = reminders.send_due(utcnow(), settings, access_token.from_config(config))
    emit(as_json, counts, "reminders: " + ", ".join(f"{key} {value}" for key, value in counts.items()))


@click.command("presence-checks", cls=Command)
@json_option
def presence_checks_command(as_json: bool):
    """Raise the presence checks now due (run from cron every minute); with
    WECHAT_SPOT_CHECK_TEMPLATE_ID set, tell each volunteer who accepted messages."""
    from server.duty import presence_checks

    config = current_app.config
    tasks = presence_checks.raise_due(utcnow(), config["SPOT_CHECK_ANSWER_MINUTES"])
    counts = {"raised": len(tasks), "sent": 0, "failed": 0}
    if tasks and config["WECHAT_APPID"] and config["WECHAT_SPOT_CHECK_TEMPLATE_ID"]:
        counts.update(_notify(presence_checks, tasks, config))
    emit(as_json, counts, ", ".join(f"{k} {v}" for k, v in counts.items()))


def _notify(presence_checks, tasks, config) -> dict:
    from server.duty import reminders
    from server.wechat import access_token
    from server.wechat.client import WechatError

    tokens, counts = access_token.from_config(config), {"sent": 0, "failed": 0}
    keys = [key.strip() for key in config["WECHAT_REMINDER_FIELDS"].split(",")]
    for task, openid, post_name in presence_checks.recipients(tasks):
        body = presence_checks.message(task, openid, post_name, config["WECHAT_SPOT_CHECK_TEMPLATE_ID"], keys,
                                       config["WECHAT_SPOT_CHECK_PAGE"], county_zone())
        try:
            ok = access_token.errcode_of(tokens.post(reminders.SEND_PATH, body)) in (0, None)
        except WechatError:
            ok = False
        counts["sent" if ok else "failed"] += 1
    return counts


COMMANDS = (bulletin_command, digest_command, reminders_cli, presence_checks_command)
