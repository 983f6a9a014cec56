"""The public page a certificate's QR code opens: the registered figures, for comparison."""
from __future__ import annotations

from flask import Blueprint, render_template

from server.records import certificates
from server.checkin import hours as rules
from server.records.certificates import STAR_NAMES

bp = Blueprint("verify", __name__)


def _masked_name(name: str) -> str:
    """张*伟: enough to compare with the paper, not a directory of volunteers' names."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@bp.get("/verify/<token>")
def verify_certificate(token: str):
    found = certificates.lookup(token)
    if found is None:
        return render_template("public/verify.html", certificate=None), 404
    certificate, current = found
    figures = certificates.as_json(certificate)
    figures["name"] = _masked_name(certificate.volunteer_name)
    figures["star_name"] = STAR_NAMES[certificate.star_level]
    changed = current["credited_minutes"] != certificate.credited_minutes \
        or current["shift_count"] != certificate.shift_count
    return render_template("public/verify.html", certificate=figures, changed=changed,
                           current_hours=rules.as_hours(current["credited_minutes"]),
                           current_shift_count=current["shift_count"])
