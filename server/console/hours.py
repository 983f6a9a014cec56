"""Hour totals with period, grouping and filters; the same view as Excel or CSV."""
from __future__ import annotations

import sqlalchemy as sa
from flask import g, render_template, request
from werkzeug.datastructures import MultiDict

from server import permissions
from server.records import exports
from server.records import reports
from server.console import api, bp
from server.console_api import reports as reports_api
from server.db import db
from server.errors import ApiError
from server.models import District, Post, Unit

def _choices():
    caller = g.caller
    return {
        "units": db.session.execute(sa.select(Unit).where(permissions.unit_filter(caller)).order_by(Unit.name)).scalars().all(),
        "districts": db.session.execute(sa.select(District).where(permissions.district_filter(caller))
                                        .order_by(District.name)).scalars().all(),
        "posts": db.session.execute(sa.select(Post).where(permissions.post_filter(caller)).order_by(Post.code)).scalars().all(),
    }


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
                           metrics=reports.METRICS, **_choices()), 422 if error else 200


@bp.get("/hours/export")
def hours_export():
    """The page's current view as a download: the console API's export, as is."""
    request.args = _query_without_blanks()
    return reports_api.hours_report()
