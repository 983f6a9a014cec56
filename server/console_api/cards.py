"""Volunteers' printed cards: A4 sheets of 8 (a unit's, or chosen volunteers'), and revoking a
lost card (server/checkin/cards.py). Volunteers added by hand, without WeChat, have one too."""
from __future__ import annotations

import io
import logging

from flask import request, send_file

from server import callers
from server.checkin import cards
from server.clock import county_zone, utcnow
from server.console_api import bp
from server.errors import BadRequest, ServiceUnavailable, ValidationError
from server.inputs import json_body, string
from server.records import hand_added, volunteers

log = logging.getLogger(__name__)


def pdf_response(rows: list[dict], name: str):
    from qr.fonts import FontMissing

    out = io.BytesIO()
    try:
        cards.pdf(rows, out)
    except FontMissing as exc:
        log.warning("cards refused: %s", exc)
        raise ServiceUnavailable("字体缺失或姓名中有无法打印的字，暂时无法生成志愿者卡", code="CARD_FONT_MISSING") from None
    out.seek(0)
    response = send_file(out, mimetype="application/pdf", download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/units/<int:unit_id>/cards.pdf")
def unit_cards_pdf(unit_id: int):
    return pdf_response(cards.select(callers.current(), unit_id=unit_id), f"cards-unit-{unit_id}.pdf")


@bp.get("/cards.pdf")
def cards_pdf():
    raw = (request.args.get("volunteers") or "").strip()
    try:
        ids = [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise ValidationError("volunteers 应为以逗号分隔的志愿者编号", field="volunteers") from None
    if not ids or any(not 1 <= i <= 2**31 - 1 for i in ids):
        raise ValidationError("请选择要打印志愿者卡的志愿者", field="volunteers")
    return pdf_response(cards.select(callers.current(), volunteer_ids=ids), "cards.pdf")


@bp.post("/volunteers/<int:volunteer_id>/card/revoke")
def revoke_card(volunteer_id: int):
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):
        raise BadRequest("请求体必须是 JSON 对象")
    reason = string(body, "reason", max_length=500, required=False, label="原因", multiline=True)
    return cards.revoke(callers.current(), volunteer_id, utcnow(), reason)


@bp.post("/volunteers")
def add_volunteer():
    body = json_body()
    caller = callers.current()
    new_id = hand_added.add(caller, name=body.get("name"), phone=body.get("phone"), unit_id=body.get("unit_id"),
                            now=utcnow())
    return volunteers.as_json(caller, [volunteers.get(caller, new_id)], county_zone())[0], 201
