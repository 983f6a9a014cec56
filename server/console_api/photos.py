"""A shift's photo evidence for the console. The links expire (PHOTO_URL_TTL_SECONDS);
a page showing them asks again rather than keeping them."""
from __future__ import annotations

from server import callers
from server.evidence import photos
from server.clock import utcnow
from server.console_api import bp


@bp.get("/shifts/<int:shift_id>/photos")
def shift_photos(shift_id: int):
    return {"items": photos.for_shift(callers.current(), shift_id, utcnow())}
