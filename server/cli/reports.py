"""``flask --app server reports ...``: the monthly assessment from the command line.

    flask --app server reports hours --from 2026-11-01 --to 2026-11-30 --group-by unit --out 11月.xlsx
    flask --app server reports hours --from 2026-11-01 --to 2026-11-30 --json
    flask --app server reports shifts --from 2026-11-01 --to 2026-11-30 --layout national --out 导入.xlsx

The file's format follows ``--format``, else the extension of ``--out``, else XLSX. Without ``--out``
an XLSX file goes to ``<instance>/reports/`` and CSV to standard output; the path of a written
file is printed. ``--json`` prints machine output: the JSON report itself for ``hours`` (unless
a file is written), else a summary naming the file.

The command line runs with an administrator's view: every unit, full phone numbers.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from server.callers import Caller
from server.cli.commands import emit, json_option, output_file
from server.cli.failures import Group
from server.clock import county_zone, local_date, utcnow
from server.records.exports import FORMATS
from server.records import report_terms
from server.records.reports import GROUPINGS

reports_cli = Group("reports", help="Hour totals and shift records (XLSX, CSV, JSON).")

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
        click.option("--source", type=click.Choice(report_terms.SOURCES), default=None,
                     help="Only shifts from scans, added by hand (manual) or from a post leader's cards."),
        click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
                     help="Default: the extension of --out, else xlsx."),
        click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
                     help="Output file (default: <instance>/reports/ for xlsx, standard output for csv/json)."),
        json_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _format(fmt: str | None, out: str | None, default: str) -> str:
    if fmt:
        return fmt
    suffix = Path(out).suffix.lower().lstrip(".") if out else ""
    return suffix if suffix in FORMATS else default


def _setup(first, last, unit_id, district_id, post_id, source):
    from server.records import reports

    today = local_date(utcnow(), county_zone())
    first, last = reports.period(first.date() if first else None, last.date() if last else None, today)
    return first, last, reports.Filters(unit_id, district_id, post_id, source)


def _write(table, fmt: str, out: str | None, name: str, summary: dict, as_json: bool) -> None:
    from server.records import exports

    if fmt == "csv" and out is None:
        for chunk in exports.csv_chunks(table):
            sys.stdout.write(chunk)
        return
    path = output_file(out, "reports", f"{name}.{fmt}")
    with open(path, "wb") as fp:
        if fmt == "xlsx":
            exports.write_xlsx(table, fp)
        else:
            exports.write_csv(table, fp)
    emit(as_json, {**summary, "out": str(path)}, str(path))


@reports_cli.command("hours")
@click.option("--group-by", "group_by", type=click.Choice(GROUPINGS), default="unit", show_default=True)
@_common
def hours_command(group_by, first, last, unit_id, district_id, post_id, source, fmt, out, as_json):
    """Hour totals grouped by volunteer, unit, post, district, day, week or month."""
    from server.records import exports, reports

    fmt = _format(fmt, out, "json" if as_json and not out else "xlsx")
    first, last, filters = _setup(first, last, unit_id, district_id, post_id, source)
    report = reports.hours(COMMAND_LINE, group_by, first, last, filters)
    summary = {"from": first.isoformat(), "to": last.isoformat(), "group_by": group_by, "totals": report.totals}
    if fmt == "json":
        text = json.dumps(report.as_json(), ensure_ascii=False, default=str)
        if out is None:
            click.echo(text)
            return
        path = output_file(out, "reports", "")
        path.write_text(text, encoding="utf-8")
        emit(as_json, {**summary, "out": str(path)}, str(path))
        return
    _write(exports.hours_table(report), fmt, out, f"时长-{group_by}-{first.isoformat()}至{last.isoformat()}",
           summary, as_json)


@reports_cli.command("shifts")
@click.option("--layout", type=click.Choice(["standard", "national"]), default="standard", show_default=True)
@_common
def shifts_command(layout, first, last, unit_id, district_id, post_id, source, fmt, out, as_json):
    """Shift-by-shift records; --layout national for the national system's import."""
    from server.records import exports, national_export, shift_records

    fmt = _format(fmt, out, "xlsx")
    if fmt == "json":
        raise click.UsageError("上岗记录只能导出为 xlsx 或 csv（--format xlsx|csv）")
    first, last, filters = _setup(first, last, unit_id, district_id, post_id, source)
    tz = county_zone()
    records = shift_records.records(COMMAND_LINE, first, last, filters, counted_only=layout == "national")
    if layout == "national":
        table = national_export.table(records, tz, f"服务时长导入 {first.isoformat()}至{last.isoformat()}")
    else:
        table = exports.records_table((shift_records.as_export_row(r, tz) for r in records), first, last)
    prefix = "全国系统导入" if layout == "national" else "上岗记录"
    _write(table, fmt, out, f"{prefix}-{first.isoformat()}至{last.isoformat()}",
           {"from": first.isoformat(), "to": last.isoformat(), "layout": layout}, as_json)
