"""Hour totals and shift records, as JSON or as CSV/XLSX downloads."""
from __future__ import annotations

import tempfile

from flask import Response, request, send_file, stream_with_context

from server import callers
from server.records import exports
from server.records import national_export
from server.records import report_terms, reports
from server.records import shift_records
from server.clock import county_zone, local_date, utcnow
from server.console_api import bp
from server.errors import ValidationError
from server.inputs import encode_cursor, query_cursor, query_date, query_int

_ID_MAX = 2**31 - 1


def report_format() -> str:
    fmt = (request.args.get("format") or "json").lower()
    if fmt not in exports.FORMATS:
        raise ValidationError(f"format 只能是 {'、'.join(exports.FORMATS)} 之一", field="format")
    return fmt


def report_period():
    today = local_date(utcnow(), county_zone())
    return reports.period(query_date("from"), query_date("to"), today)


def report_filters() -> reports.Filters:
    return reports.Filters(
        unit_id=query_int("unit_id", low=1, high=_ID_MAX, default=None),
        district_id=query_int("district_id", low=1, high=_ID_MAX, default=None),
        post_id=query_int("post_id", low=1, high=_ID_MAX, default=None),
        source=_source(),
    )


def _source() -> str | None:
    value = (request.args.get("source") or "").strip() or None
    if value is not None and value not in report_terms.SOURCES:
        raise ValidationError("source 只能是 scan、manual 或 leader", field="source")
    return value


def download(table: exports.Table, fmt: str, filename: str) -> Response:
    """CSV streams as it is produced; XLSX is built in a temporary file, then streamed from it."""
    if fmt == "csv":
        response = Response(stream_with_context(exports.csv_chunks(table)), content_type=exports.CSV_MIMETYPE)
        response.headers["Content-Disposition"] = exports.content_disposition(filename)
    else:
        spool = tempfile.TemporaryFile()
        exports.write_xlsx(table, spool)
        spool.seek(0)
        response = send_file(spool, mimetype=exports.XLSX_MIMETYPE, as_attachment=True,
                             download_name=filename)
    # Names and phone numbers: not for shared caches.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/reports/hours")
def hours_report():
    fmt = report_format()
    first, last = report_period()
    group_by = request.args.get("group_by") or "unit"
    report = reports.hours(callers.current(), group_by, first, last, report_filters())
    if fmt == "json":
        return report.as_json()
    return download(exports.hours_table(report), fmt, exports.hours_filename(report, fmt))


@bp.get("/reports/shifts")
def shift_report():
    """Shift-by-shift records; ``layout=national`` gives the national system's import columns."""
    fmt = report_format()
    first, last = report_period()
    layout = request.args.get("layout") or "standard"
    if layout not in ("standard", "national") or (layout == "national" and fmt == "json"):
        raise ValidationError("layout 只能是 standard，或在导出 csv/xlsx 时为 national", field="layout")
    caller, tz, filters = callers.current(), county_zone(), report_filters()
    if fmt == "json":
        limit = query_int("limit", low=1, high=1000, default=100)
        rows = list(shift_records.records(caller, first, last, filters, after=query_cursor(),
                                          limit=limit + 1))
        next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
        return {"from": first.isoformat(), "to": last.isoformat(), "filters": filters.as_dict(),
                "items": [shift_records.as_json(r, tz) for r in rows[:limit]], "next_cursor": next_cursor}
    national = layout == "national"
    records = shift_records.records(caller, first, last, filters, counted_only=national)
    filename = exports.records_filename(first, last, fmt, national)
    if national:
        table = national_export.table(records, tz, f"服务时长导入 {first.isoformat()}至{last.isoformat()}")
    else:
        table = exports.records_table((shift_records.as_export_row(r, tz) for r in records), first, last)
    return download(table, fmt, filename)
