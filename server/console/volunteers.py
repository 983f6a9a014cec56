"""Volunteers: search, suspend and reactivate, print a service-hour certificate."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from server.records import volunteers
from server.clock import utcnow
from server.console import api, bp, forms
from server.console_api import certificates as certificates_api, volunteers as volunteers_api
from server.errors import ApiError, ValidationError


@bp.get("/volunteers")
def volunteers_page():
    listing = api.read(volunteers_api.list_volunteers)
    return render_template("console/volunteers.html", items=listing["items"], next_cursor=listing["next_cursor"],
                           q=request.args.get("q", ""))


@bp.post("/volunteers/<int:volunteer_id>/status")
def volunteer_status(volunteer_id: int):
    status = request.form.get("status")
    if status not in ("active", "suspended"):
        raise ValidationError("状态无效", field="status")
    volunteers.manageable(g.caller, volunteer_id)
    reason = forms.text("reason", multiline=True) or None
    try:
        if status == "suspended" and not reason:
            raise ValidationError("停用账号请填写理由", field="reason")
        row = volunteers.set_status(g.caller, volunteer_id, status, reason, utcnow())
    except ApiError as err:
        flash(f"未保存：{err.message}")
    else:
        flash(f"已{'停用' if status == 'suspended' else '恢复'}「{row['name']}」的账号")
    return redirect(url_for("console.volunteers_page", q=request.form.get("q") or None))


@bp.get("/volunteers/<int:volunteer_id>/certificate.pdf")
def volunteer_certificate(volunteer_id: int):
    return certificates_api.volunteer_certificate(volunteer_id)
