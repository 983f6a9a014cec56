"""Handing out a certificate PDF, for the console and for the volunteer's own download."""
from __future__ import annotations

import os
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
    pdf = _cached_pdf(certificate)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = content_disposition(certificates.filename(certificate))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Certificate-Number"] = certificate.number
    return response


def _cached_pdf(certificate) -> bytes:
    """A certificate row is reused while the volunteer's figures for the period stay the same
    (certificates.issue), so its PDF is rendered once (3-4 s of CPU) and then read from disk."""
    path = certificates.cache_path(certificate)
    try:
        with open(path, "rb") as cached:
            return cached.read()
    except FileNotFoundError:
        pass
    pdf = certificate_pdf.render(certificate, certificates.verify_url(certificate),
                                 current_app.config.get("POSTER_FONT") or None)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = f"{path}.{os.getpid()}.part"
    with open(partial, "wb") as out:
        out.write(pdf)
    os.replace(partial, path)  # readers never see half a file
    return pdf
