"""Problems found at posts: the follow-up list (overdue first), a unit coordinator's queue of
what is assigned to the unit, and one problem with its photos before and after, its trail and
the forms the caller's role may use (assign, fix, verify, reject)."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for

from server import permissions
from server.clock import county_zone, utcnow
from server.console import api, bp, forms
from server.console_api import problems as problems_api
from server.errors import ApiError
from server.models.problems import PROBLEM_STATUSES
from server.problems import categories, follow_up, notices, records


def _unit_queue() -> bool:
    """A unit coordinator opens on the unit's open tasks."""
    return g.caller.role == "coordinator" and g.caller.scope_unit_id is not None


@bp.get("/problems")
def problems_page():
    if _unit_queue() and "status" not in request.args:
        return redirect(url_for("console.problems_page", status="assigned"))
    listed = api.read(problems_api.problem_list)
    return render_template("console/problems.html", items=listed["items"], next_cursor=listed["next_cursor"],
                           statuses=[(s, records.STATUS_LABELS[s]) for s in PROBLEM_STATUSES],
                           categories=categories.active(), unit_queue=_unit_queue(), args=request.args)


@bp.get("/problems/<int:problem_id>")
def problem_page(problem_id: int, *, error: str | None = None, kept_form: str | None = None, status: int = 200):
    problem = api.read(problems_api.problem_detail, problem_id)
    trail = api.read(problems_api.problem_audit, problem_id)["items"]
    caller = g.caller
    row = records.in_scope(caller, problem_id)
    # A refused form comes back with what was typed, in the form it was typed in (several forms
    # on the page share field names: note, reason).
    kept = {k: v for k, v in request.form.items() if k != "csrf_token"} if kept_form else {}
    return render_template(
        "console/problem.html", p=problem, trail=trail, units=follow_up.units(),
        may_dispatch=permissions.may_dispatch_problem(caller, row["post_district_id"]),
        may_fix=permissions.may_fix_problem(caller, row["unit_id"]),
        may_verify=permissions.may_verify_problem(caller),
        error=error, kept_form=kept_form, kept=kept), status


def _done(problem_id: int, action, message: str, form: str):
    try:
        action()
    except ApiError as err:
        if err.status == 404:
            raise
        return problem_page(problem_id, error=f"未保存：{err.message}", kept_form=form, status=err.status)
    flash(message)
    return redirect(url_for("console.problem_page", problem_id=problem_id))


@bp.post("/problems/<int:problem_id>/assign")
def problem_assign(problem_id: int):
    body = {"unit_id": forms.optional_int("unit_id", "责任单位"), "note": forms.text("note") or None}
    if request.form.get("deadline"):
        body["deadline"] = forms.text("deadline", max_length=10)
    return _done(problem_id, lambda: follow_up.assign(g.caller, problem_id, body, utcnow(), county_zone()),
                 "已交办", "assign")


@bp.post("/problems/<int:problem_id>/fix")
def problem_fix(problem_id: int):
    upload = request.files.get("file")
    data = upload.read() if upload is not None else b""

    def fix():
        follow_up.fix_with_photo(g.caller, problem_id, data, forms.text("note") or None, utcnow())
        notices.send_if_due(problem_id, current_app.config)
    return _done(problem_id, fix, "已提交整改，等待验收", "fix")


@bp.post("/problems/<int:problem_id>/verify")
def problem_verify(problem_id: int):
    accepted = request.form.get("accepted") == "true"
    body = {"accepted": accepted, "reason": forms.text("reason") or None}
    return _done(problem_id, lambda: follow_up.verify(g.caller, problem_id, body, utcnow()),
                 "已验收通过" if accepted else "已退回整改", "verify")


@bp.post("/problems/<int:problem_id>/reject")
def problem_reject(problem_id: int):
    body = {"reason": forms.text("reason") or None}
    return _done(problem_id, lambda: follow_up.reject(g.caller, problem_id, body, utcnow()), "已不予受理",
                 "reject")
