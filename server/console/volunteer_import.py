"""A coordinator uploads the unit's volunteer list; a refused sheet lists every bad row and saves nothing."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from server import permissions
from server.clock import utcnow
from server.console import bp
from server.errors import ApiError
from server.records import volunteer_import


def _page(*, error=None, problems=(), status=200):
    if not permissions.may_import_volunteers(g.caller):
        raise ApiError("只有单位协调员和管理员可以导入志愿者名单", code="FORBIDDEN", status=403)
    count, waiting = volunteer_import.waiting(g.caller)
    return render_template("console/volunteer_import.html", error=error, problems=problems, waiting=waiting,
                           waiting_count=count, own_unit=g.caller.scope_unit_id is not None,
                           full_phone=permissions.sees_full_phone(g.caller)), status


@bp.get("/volunteers/import")
def volunteer_import_page():
    return _page()


@bp.post("/volunteers/import")
def volunteer_import_upload():
    upload = request.files.get("file")
    try:
        result = volunteer_import.import_list(g.caller, upload.read() if upload else b"", utcnow())
    except ApiError as err:
        if err.status == 403:
            raise
        return _page(error=f"未导入：{err.message}", problems=err.details.get("rows") or [], status=err.status)
    flash(f"已导入名单 {result['rows']} 人：新增 {result['created']}，更新 {result['updated']}，"
          f"已注册 {result['already_registered']}")
    return redirect(url_for("console.volunteer_import_page"))

