"""A volunteer's service-hour certificate, printed by a coordinator."""
from __future__ import annotations

from server import callers
from server.records import volunteers
from server.clock import county_zone, utcnow
from server.console_api import bp
from server.records.certificate_views import certificate_response


@bp.get("/volunteers/<int:volunteer_id>/certificate.pdf")
def volunteer_certificate(volunteer_id: int):
    caller = callers.current()
    volunteer = volunteers.get(caller, volunteer_id)
    return certificate_response(volunteer, issued_by_id=caller.id, tz=county_zone(), now=utcnow())
