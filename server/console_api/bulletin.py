"""The weekly supervision bulletin (督查通报): its figures as JSON, or the PDF."""
from __future__ import annotations

from datetime import timedelta

from flask import Response, current_app, request

from server import callers, permissions
from server.duty import bulletin
from server.clock import county_zone, local_date, utcnow
from server.console_api import bp
from server.errors import Forbidden


def _figures() -> dict:
    if not permissions.sees_county_assessment(callers.current()):
        raise Forbidden("督查通报仅限领导和管理员查看", code="FORBIDDEN")
    tz, now = county_zone(), utcnow()
    last_week = local_date(now, tz) - timedelta(days=7)
    week = request.args.get("week") or "{}-W{:02d}".format(*last_week.isocalendar()[:2])
    return bulletin.figures(week, now, tz, current_app.config["COVERAGE_GRACE_MINUTES"])


@bp.get("/bulletin")
def bulletin_json():
    """?week=2026-W48 (default: last week)."""
    return _figures()


@bp.get("/bulletin.pdf")
def bulletin_pdf():
    data = _figures()
    pdf = bulletin.render(data, current_app.config.get("POSTER_FONT") or None)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="bulletin-{data["week"]}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
