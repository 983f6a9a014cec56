"""The review queue: flagged shifts with photos; approve, reject or adjust with a reason."""
from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, url_for

from server.records import reviews
from server.clock import utcnow
from server.console import api, bp
from server.console_api import reviews as reviews_api
from server.errors import ApiError


@bp.get("/reviews")
def reviews_page():
    queue = api.read(reviews_api.review_queue)
    return render_template("console/reviews.html", items=queue["items"], next_cursor=queue["next_cursor"],
                           may_decide=g.caller.role in ("coordinator", "admin"))


def _decision_body() -> dict:
    """The form as the review service's JSON body; minutes stay text if they are not a number,
    so the service names the field in its error."""
    body = {"decision": request.form.get("decision"), "reason": request.form.get("reason") or None}
    raw = (request.form.get("credited_minutes") or "").strip()
    if raw:
        body["credited_minutes"] = int(raw) if raw.isascii() and raw.isdigit() else raw
    return body


@bp.post("/reviews/<int:shift_id>")
def review_decide(shift_id: int):
    try:
        reviews.review(g.caller, shift_id, _decision_body(), utcnow(), current_app.config["MAX_SHIFT_MINUTES"])
    except ApiError as err:
        if err.status == 404:
            raise
        flash(f"未保存：{err.message}")
    else:
        flash("审核结果已保存")
    return redirect(url_for("console.reviews_page"))
