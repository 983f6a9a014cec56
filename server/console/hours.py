"""Hour totals with period, grouping and filters; the same view as Excel or CSV."""
from __future__ import annotations

from flask import g, render_template, request
from werkzeug.datastructures import MultiDict

from server.records import exports
from server.records import reports
from server.console import api, bp, choices
from server.console_api import reports as reports_api
from server.errors import ApiError

# A county's volunteers are thousands of rows: the page shows the first ones, the download has them all.
SHOWN_ROWS = 300


def _choices():
    return choices.lists(g.caller)


def _query_without_blanks() -> MultiDict:
    """Empty form fields mean 'no filter'; the API would read them as malformed numbers."""
    return MultiDict([(k, v) for k, v in request.args.items(multi=True) if v != ""])


@bp.get("/hours")
def hours():
    request.args = _query_without_blanks()
    error, report = None, None
    try:
        report = api.read(reports_api.hours_report)
    except ApiError as err:
        error = err.message
    return render_template("console/hours.html", report=report, error=error, groups=exports.GROUP_LABELS,
                           group_by=request.args.get("group_by") or "unit", args=request.args,
                           export_args={k: v for k, v in request.args.items() if k != "format"},
                           metrics=reports.METRICS, shown_rows=SHOWN_ROWS, **_choices()), 422 if error else 200


@bp.get("/hours/export")
def hours_export():
    """The page's current view as a download: the console API's export, as is."""
    request.args = _query_without_blanks()
    return reports_api.hours_report()
