"""Roster commands: ``bulletin``, ``digest`` and ``reminders send`` (the last two from cron)."""
from __future__ import annotations

import json
from datetime import date, timedelta

import click
from flask import current_app

from server import callers
from server.duty import bulletin
from server.duty import digest
from server.duty import reminders
from server.clock import county_zone, local_date, utcnow
from server.db import db
from server.errors import ApiError
from server.models import User

json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


def _fail(err: ApiError):
    raise click.ClickException(err.message)


@click.command("bulletin")
@click.option("--week", required=True, help="ISO week, e.g. 2026-W48")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the PDF here")
@json_option
def bulletin_command(week: str, out: str | None, as_json: bool):
    """The weekly supervision bulletin (督查通报) as a PDF, and/or its figures as JSON."""
    tz = county_zone()
    try:
        data = bulletin.figures(week, utcnow(), tz, current_app.config["COVERAGE_GRACE_MINUTES"])
    except ApiError as err:
        _fail(err)
    if out:
        pdf = bulletin.render(data, current_app.config.get("POSTER_FONT") or None)
        with open(out, "wb") as fp:
            fp.write(pdf)
    if as_json:
        click.echo(json.dumps({**data, "pdf": out}, ensure_ascii=False, default=str))
    elif out:
        totals = data["totals"]
        click.echo(f"{data['week']}: {totals['hours']} h, coverage {totals['coverage']['share']}, written to {out}")
    else:
        raise click.UsageError("give --out FILE.pdf, --json, or both")


@click.command("digest")
@click.option("--date", "day", default=None, help="Local date (default: yesterday)")
@click.option("--user", "username", default=None, help="A console user: that coordinator's scope")
@json_option
def digest_command(day: str | None, username: str | None, as_json: bool):
    """Late, missed and auto-closed shifts of one day, as chat-ready Chinese text (or JSON)."""
    tz, now = county_zone(), utcnow()
    try:
        when = date.fromisoformat(day) if day else local_date(now, tz) - timedelta(days=1)
    except ValueError:
        raise click.UsageError("--date must look like 2026-11-26")
    caller = None
    if username:
        user_id = db.session.query(User.id).filter_by(username=username).scalar()
        if user_id is None:
            raise click.UsageError(f"no console user {username!r}")
        caller = callers.load(user_id)
    result = digest.daily(caller, when, now, tz, timedelta(minutes=current_app.config["LATE_AFTER_MINUTES"]))
    click.echo(json.dumps(result, ensure_ascii=False) if as_json else result["text"])


reminders_cli = click.Group("reminders", help="Reminders before duty slots.")


@reminders_cli.command("send")
@json_option
def reminders_send(as_json: bool):
    """Send the reminders now due (run from cron every few minutes); each goes out at most once."""
    from server.wechat import access_token

    config = current_app.config
    if not config["WECHAT_APPID"] or not config["WECHAT_REMINDER_TEMPLATE_ID"]:
        raise click.ClickException("reminders need WECHAT_APPID, WECHAT_SECRET and WECHAT_REMINDER_TEMPLATE_ID")
    try:
        settings = reminders.Settings.from_config(config, county_zone())
    except ApiError as err:
        _fail(err)
    counts = reminders.send_due(utcnow(), settings, access_token.from_config(config))
    text = ", ".join(f"{key} {value}" for key, value in counts.items())
    click.echo(json.dumps(counts) if as_json else f"reminders: {text}")


@click.command("presence-checks")
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
    click.echo(json.dumps(counts) if as_json else ", ".join(f"{k} {v}" for k, v in counts.items()))


def _notify(presence_checks, tasks, config) -> dict:
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


def register(app) -> None:
    for command in (bulletin_command, digest_command, reminders_cli, presence_checks_command):
        app.cli.add_command(command)
