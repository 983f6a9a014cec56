"""扫码记录可信度: the month's flagged shifts by unit, post and volunteer (the console API's figures)."""
from __future__ import annotations

from flask import render_template, request

from server.console import api, bp
from server.console_api import trust as trust_api
from server.duty.trust_report import LABELS
from server.errors import ValidationError


@bp.get("/trust")
def trust_page():
    try:
        report, error = api.read(trust_api.trust), None
    except ValidationError as err:  # a month that is not one
        report, error = None, err.message
    return render_template("console/trust.html", report=report, error=error, labels=LABELS,
                           month=request.args.get("month", report["month"] if report else "")), 422 if error else 200
