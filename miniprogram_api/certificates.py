"""The volunteer's own service-hour certificate (wx.downloadFile, then wx.openDocument)."""
from __future__ import annotations

from miniprogram_api import bp
from server import callers
from server.records.certificate_views import certificate_response
from server.clock import county_zone, utcnow
from server.errors import Forbidden
from server.records.volunteers import own_record


@bp.get("/me/certificate.pdf")
def my_certificate():
    # A suspended volunteer keeps the hours already served, and the right to proof of them (办法 Art 14).
    caller = callers.current()
    if not caller.registered:
        raise Forbidden("请先完成实名登记", code="NOT_REGISTERED")
    return certificate_response(own_record(caller.id), issued_by_id=None, tz=county_zone(), now=utcnow())
