"""The review queue: flagged shifts with photos, filters, 50 a page; approve, reject or adjust with a reason,
one at a time or several at once (each approval its own audited decision). The corrections queue is the same
queue narrowed to the shifts whose volunteer asked for a correction."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for

from server import permissions
from server.clock import county_zone, day_bounds, utcnow
from server.console import bp, choices, forms
from server.errors import ApiError, ValidationError
from server.inputs import encode_cursor, query_cursor
from server.records import reviews
from server.records.shift_records import FLAG_LABELS

PAGE_SIZE = 50
FILTERS = ("flag", "unit_id", "post_id", "from", "to")


def _filters() -> dict:
    """The page's query string as the queue's filters; a bad value is a ValidationError naming it."""
    first, last = forms.optional_date("from", "开始日期"), forms.optional_date("to", "结束日期")
    if first and last and last < first:
        raise ValidationError("结束日期不能早于开始日期", field="to")
    tz = county_zone()
    return {"flag": request.args.get("flag") or None,
            "unit_id": forms.optional_int("unit_id", "单位"), "post_id": forms.optional_int("post_id", "岗位"),
            "started_from": day_bounds(first, first, tz)[0] if first else None,
            "started_before": day_bounds(last, last, tz)[1] if last else None}


def _render(template: str, *, kept: dict | None = None, error: str | None = None, status: int = 200,
            fixed_flag: str | None = None):
    caller, now = g.caller, utcnow()
    items, next_cursor, filter_error = [], None, None
    try:
        filters = _filters()
        if fixed_flag:
            filters["flag"] = fixed_flag
        rows = reviews.queue(caller, after=query_cursor(), limit=PAGE_SIZE + 1, now=now, **filters)
        items = reviews.describe(caller, rows[:PAGE_SIZE], county_zone(), now)
        next_cursor = encode_cursor(rows[PAGE_SIZE - 1]) if len(rows) > PAGE_SIZE else None
    except ApiError as err:
        filter_error, status = err.message, 422
    args = {k: v for k, v in request.args.items() if k in FILTERS and v}
    return render_template(template, items=items, next_cursor=next_cursor, args=args, kept=kept or {},
                           error=error or filter_error, flags=FLAG_LABELS,
                           paged=bool(request.args.get("cursor")),
                           may_decide=permissions.may_change_shifts(caller), **choices.lists(caller)), status


@bp.get("/reviews")
def reviews_page():
    return _render("console/reviews.html")


@bp.get("/corrections")
def corrections_page():
    return _render("console/corrections.html", fixed_flag="correction_requested")


def _decision_body() -> dict:
    """The form as the review service's JSON body; minutes stay text if they are not a number,
    so the service names the field in its error."""
    body = {"decision": request.form.get("decision"), "reason": request.form.get("reason") or None}
    raw = (request.form.get("credited_minutes") or "").strip()
    if raw:
        body["credited_minutes"] = int(raw) if raw.isascii() and raw.isdigit() else raw
    return body


def _back_to_queue() -> str:
    endpoint = "console.corrections_page" if request.form.get("from_page") == "corrections" else "console.reviews_page"
    return endpoint


@bp.post("/reviews/<int:shift_id>")
def review_decide(shift_id: int):
    try:
        reviews.review(g.caller, shift_id, _decision_body(), utcnow(), current_app.config["MAX_SHIFT_MINUTES"])
    except ApiError as err:
        if err.status in (403, 404):
            raise
        # Refused: the same page again, this shift's form holding what was typed.
        template = "console/corrections.html" if _back_to_queue() == "console.corrections_page" else "console/reviews.html"
        return _render(template, kept={shift_id: request.form}, error=f"未保存：{err.message}", status=err.status,
                       fixed_flag="correction_requested" if "corrections" in template else None)
    flash("审核结果已保存")
    return redirect(url_for(_back_to_queue(), **{k: v for k, v in request.args.items() if k in FILTERS}))


@bp.post("/reviews/approve")
def review_approve_many():
    ids = [int(v) for v in request.form.getlist("shift_id") if v.isdigit()]
    if not ids:
        flash("未保存：请先勾选要通过的记录", "error")
    else:
        approved, refused = reviews.approve_many(g.caller, ids, utcnow(), current_app.config["MAX_SHIFT_MINUTES"])
        if approved:
            flash(f"已通过 {len(approved)} 条记录")
        for shift_id, why in refused.items():
            flash(f"第 {shift_id} 号记录未通过：{why}", "error")
    return redirect(url_for("console.reviews_page", **{k: v for k, v in request.args.items() if k in FILTERS}))
