"""``flask --app server calendar ...``: the public holidays and swapped working days (调休).

    flask --app server calendar set 2026-10-01 2026-10-08 --kind holiday --name 国庆节
    flask --app server calendar set 2026-10-10 --kind workday --name 国庆节调休
    flask --app server calendar list --year 2026
"""
from __future__ import annotations

import click

from server.cli.commands import emit, json_option
from server.cli.failures import Group
from server.clock import utcnow
from server.models.calendar import KINDS
from server.records import workdays

calendar_cli = Group("calendar", help="Public holidays and swapped working days (调休).")
_DATE = click.DateTime(["%Y-%m-%d"])


@calendar_cli.command("set")
@click.argument("first", type=_DATE)
@click.argument("last", type=_DATE, required=False)
@click.option("--kind", type=click.Choice(KINDS), required=True,
              help="holiday: no work that day; workday: a Saturday or Sunday worked instead")
@click.option("--name", default=None, help="e.g. 国庆节")
@json_option
def calendar_set(first, last, kind: str, name: str | None, as_json: bool):
    """Mark FIRST (to LAST) as holidays or working days, replacing what was entered for them."""
    rows = workdays.enter(first.date(), (last or first).date(), kind, name, utcnow())
    emit(as_json, {"days": [workdays.as_json(r) for r in rows]},
         f"{len(rows)} day(s) marked {kind}: {rows[0].day} to {rows[-1].day}")


@calendar_cli.command("clear")
@click.argument("first", type=_DATE)
@click.argument("last", type=_DATE, required=False)
@json_option
def calendar_clear(first, last, as_json: bool):
    """Forget FIRST (to LAST): they count by their weekday again."""
    removed = workdays.clear(first.date(), (last or first).date())
    emit(as_json, {"removed": removed}, f"{removed} day(s) cleared")


@calendar_cli.command("list")
@click.option("--year", type=int, default=None)
@json_option
def calendar_list(year: int | None, as_json: bool):
    """The days entered (of one year)."""
    rows = workdays.entered(year)
    emit(as_json, {"days": [workdays.as_json(r) for r in rows]},
         "\n".join(f"{r.day}  {r.kind:<8} {r.name or ''}".rstrip() for r in rows) or "no days entered")
