"""Handing out a certificate PDF, for the console and for the volunteer's own download."""
from __future__ import annotations

from datetime import datetime

from flask import Response, current_app

from server.records import certificate_pdf
from server.records import certificates
from server.clock import local_date
from server.records.exports import content_disposition
from server.inputs import query_date


def certificate_response(volunteer: dict, *, issued_by_id: int | None, tz, now: datetime) -> Response:
    """``volunteer``: id, name, unit_name. Period from the query (from, to), see certificates.period."""
    first, last = certificates.period(volunteer["id"], query_date("from"), query_date("to"), local_date(now, tz))
    certificate = certificates.issue(volunteer, first, last, now, tz, issued_by_id)
    pdf = certificate_pdf.render(certificate, certificates.verify_url(certificate),
                                 current_app.config.get("POSTER_FONT") or None)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(certificates.filename(certificate))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Certificate-Number"] = certificate.number
    return response
