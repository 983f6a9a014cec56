"""Signed, expiring photo URLs.

The mini-program's ``<image>`` cannot send an Authorization header, so the URL
itself is the credential: ``/photos/<id>.jpg?expires=<unix>&sig=<hmac>``. Who
may see a photo is decided when the URL is issued; whoever holds it may fetch
the picture until it expires. URLs are path-only: the client puts its own API
origin in front, and a forged Host header can never redirect a photo link.

The signature covers the variant, the photo id, the stored file's SHA-256 and
the expiry, under a key derived from SECRET_KEY for this one purpose (a QR code
or session signature can never double as a photo URL). Binding the file's hash
means a URL cannot show a different picture should a photo id ever be reused.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from server.errors import Forbidden

VARIANTS = ("photo", "thumb")
_PURPOSE = b"redvest/photo-url/v1"


@dataclass(frozen=True)
class Links:
    url: str
    thumbnail_url: str
    expires_at: datetime


def path(photo_id: int, variant: str) -> str:
    if variant == "photo":
        return f"/photos/{photo_id}.jpg"
    if variant == "thumb":
        return f"/photos/{photo_id}/thumb.jpg"
    raise ValueError(f"unknown photo variant {variant!r}")


def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), _PURPOSE, hashlib.sha256).digest()


def signature(secret_key: str, photo_id: int, sha256: str, variant: str, expires: int) -> str:
    message = f"{variant}:{photo_id}:{sha256}:{expires}".encode()
    digest = hmac.new(_key(secret_key), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def signed_path(secret_key: str, photo_id: int, sha256: str, variant: str, expires: int) -> str:
    sig = signature(secret_key, photo_id, sha256, variant, expires)
    return f"{path(photo_id, variant)}?expires={expires}&sig={sig}"


def links(secret_key: str, photo_id: int, sha256: str, now: datetime, ttl_seconds: int) -> Links:
    expires = math.ceil(now.timestamp()) + ttl_seconds
    return Links(
        url=signed_path(secret_key, photo_id, sha256, "photo", expires),
        thumbnail_url=signed_path(secret_key, photo_id, sha256, "thumb", expires),
        expires_at=datetime.fromtimestamp(expires, timezone.utc),
    )


def verify(secret_key: str, photo_id: int, sha256: str | None, variant: str, expires: str | None,
           sig: str | None, now: datetime) -> timedelta:
    """Refuse (403) a missing, wrong or expired signature; return the time left.

    ``sha256`` is None when no such photo exists: that is refused exactly like a
    bad signature, so probing ids tells nothing.
    """
    if not expires or not sig or not expires.isdigit() or len(expires) > 12:
        raise Forbidden("照片链接无效", code="PHOTO_URL_INVALID")
    good = signature(secret_key, photo_id, sha256 or "", variant, int(expires))
    if sha256 is None or not hmac.compare_digest(good.encode(), sig.encode()):
        raise Forbidden("照片链接无效", code="PHOTO_URL_INVALID")
    left = datetime.fromtimestamp(int(expires), timezone.utc) - now
    if left <= timedelta(0):
        raise Forbidden("照片链接已过期，请刷新页面", code="PHOTO_URL_EXPIRED")
    return left
