"""``flask --app server reports ...``: the monthly assessment from the command line.

    flask --app server reports hours --from 2026-11-01 --to 2026-11-30 --group-by unit --format xlsx --out 11月.xlsx
    flask --app server reports shifts --from 2026-11-01 --to 2026-11-30 --layout national --format xlsx --out 导入.xlsx

The command line runs with an administrator's view: every unit, full phone numbers.
"""
from __future__ import annotations

import json
import sys

import click

from server.records import exports
from server.records import national_export
from server.records import reports
from server.records import shift_records
from server.callers import Caller
from server.clock import county_zone, local_date, utcnow
from server.errors import ApiError

reports_cli = click.Group("reports", help="Hour totals and shift records (CSV, XLSX, JSON).")

# The operator of the server is trusted like an admin; id 0 belongs to nobody.
COMMAND_LINE = Caller(id=0, role="admin", status="active", registered=False, unit_id=None,
                      scope_unit_id=None, scope_district_id=None, name="command line")


def _common(command):
    options = [
        click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), default=None,
                     help="First local date (default: first of this month)."),
        click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), default=None,
                     help="Last local date, inclusive (default: end of this month)."),
        click.option("--unit", "unit_id", type=int, default=None),
        click.option("--district", "district_id", type=int, default=None),
        click.option("--post", "post_id", type=int, default=None),
        click.option("--format", "fmt", type=click.Choice(exports.FORMATS), default="xlsx", show_default=True),
        click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), default=None,
                     help="Output file (default: standard output for csv/json)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _setup(first, last, unit_id, district_id, post_id):
    today = local_date(utcnow(), county_zone())
    try:
        first, last = reports.period(first.date() if first else None, last.date() if last else None, today)
    except ApiError as err:
        raise click.UsageError(err.message)
    return first, last, reports.Filters(unit_id, district_id, post_id)


def _write(table: exports.Table, fmt: str, out: str | None, summary: dict) -> None:
    if fmt == "xlsx" and out is None:
        raise click.UsageError("--out is required for xlsx")
    if out is None:
        for chunk in exports.csv_chunks(table):
            sys.stdout.write(chunk)
        return
    with open(out, "wb") as fp:
        if fmt == "xlsx":
            exports.write_xlsx(table, fp)
        else:
            exports.write_csv(table, fp)
    click.echo(json.dumps({**summary, "out": out}, ensure_ascii=False))


@reports_cli.command("hours")
@click.option("--group-by", "group_by", type=click.Choice(reports.GROUPINGS), default="unit", show_default=True)
@_common
def hours_command(group_by, first, last, unit_id, district_id, post_id, fmt, out):
    """Hour totals grouped by volunteer, unit, post, district, day, week or month."""
    first, last, filters = _setup(first, last, unit_id, district_id, post_id)
    try:
        report = reports.hours(COMMAND_LINE, group_by, first, last, filters)
    except ApiError as err:
        raise click.ClickException(err.message)
    if fmt == "json":
        text = json.dumps(report.as_json(), ensure_ascii=False)
        if out:
            with open(out, "w", encoding="utf-8") as fp:
                fp.write(text)
        else:
            click.echo(text)
        return
    _write(exports.hours_table(report), fmt, out,
           {"from": first.isoformat(), "to": last.isoformat(), "group_by": group_by, "totals": report.totals})


@reports_cli.command("shifts")
@click.option("--layout", type=click.Choice(["standard", "national"]), default="standard", show_default=True)
@_common
def shifts_command(layout, first, last, unit_id, district_id, post_id, fmt, out):
    """Shift-by-shift records; --layout national for the national system's import."""
    if fmt == "json":
        raise click.UsageError("shift records export as csv or xlsx")
    first, last, filters = _setup(first, last, unit_id, district_id, post_id)
    tz = county_zone()
    try:
        records = shift_records.records(COMMAND_LINE, first, last, filters, counted_only=layout == "national")
    except ApiError as err:
        raise click.ClickException(err.message)
    if layout == "national":
        table = national_export.table(records, tz, f"服务时长导入 {first.isoformat()}至{last.isoformat()}")
    else:
        table = exports.records_table((shift_records.as_export_row(r, tz) for r in records), first, last)
    _write(table, fmt, out, {"from": first.isoformat(), "to": last.isoformat(), "layout": layout})
