"""Serving photo files, never as public static files: each request must carry a
signed, unexpired URL (see server/evidence/photo_urls.py). Errors are JSON even though
these are not /api/ paths: the only clients are image loaders and scripts."""
from __future__ import annotations

import os
from urllib.parse import quote

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, jsonify, request

from server.evidence import photo_urls
from server.clock import utcnow
from server.db import db
from server.errors import ApiError, NotFound
from server.models import Photo
from server.evidence.storage import Storage, StorageNotFound, open_storage, photo_key, thumb_key

bp = Blueprint("photo_files", __name__)

_EXTENSION = "photo_storage"


def init_app(app: Flask) -> None:
    """Open the storage once per app (a bad STORAGE_URL fails here, at startup)
    and register the file routes."""
    url = app.config.get("STORAGE_URL") or "file://" + quote(os.path.join(app.instance_path, "photos"))
    app.extensions[_EXTENSION] = open_storage(url)
    app.register_blueprint(bp)


def storage(app: Flask | None = None) -> Storage:
    return (app or current_app).extensions[_EXTENSION]


@bp.errorhandler(ApiError)
def _json_error(err: ApiError):
    return jsonify(err.to_dict()), err.status


@bp.get("/photos/<int:photo_id>.jpg")
def photo(photo_id: int):
    return _serve(photo_id, "photo")


@bp.get("/photos/<int:photo_id>/thumb.jpg")
def thumbnail(photo_id: int):
    return _serve(photo_id, "thumb")


def _serve(photo_id: int, variant: str) -> Response:
    sha256 = db.session.execute(sa.select(Photo.sha256).where(Photo.id == photo_id)).scalar()
    db.session.rollback()  # nothing else to read; do not hold a snapshot while the file streams
    left = photo_urls.verify(current_app.config["SECRET_KEY"], photo_id, sha256, variant,
                             request.args.get("expires"), request.args.get("sig"), utcnow())
    key = photo_key(sha256) if variant == "photo" else thumb_key(sha256)
    try:
        data = storage().get(key)
    except StorageNotFound:
        current_app.logger.error("photo %s: file %s is missing from storage", photo_id, key)
        raise NotFound("照片文件不存在", code="PHOTO_FILE_MISSING")
    response = Response(data, mimetype="image/jpeg")
    # The file behind a key never changes (it is named by its hash), so the
    # phone may keep it for as long as the link is valid, but no shared cache may.
    response.cache_control.private = True
    response.cache_control.max_age = max(0, int(left.total_seconds()))
    response.set_etag(f"{variant}-{sha256}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response.make_conditional(request)
