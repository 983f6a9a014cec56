"""Signed QR payloads for posts.

A post's QR code holds ``{PUBLIC_BASE_URL}/q/<token>``. The token is also the
compact form handed to WeChat as a mini-program code's ``scene`` (at most 32
characters), so both forms use only ``[0-9A-Za-z._~-]`` and sit in a URL path
unescaped::

    <post id>.<qr version>.<signature>      e.g. 12.3.kV3x0Qm-9aZ_

The signature is the first 72 bits of HMAC-SHA256 over ``<post id>.<qr version>``
with a key derived from SECRET_KEY. Checking the version against the database
at scan time (not here) is what makes rotation revoke old posters.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from qr import signing

SCENE_MAX_LENGTH = 32
_TOKEN_RE = re.compile(r"^([1-9][0-9]{0,8})\.([1-9][0-9]{0,5})\.([A-Za-z0-9_-]{12})$")


class InvalidPayload(ValueError):
    """The scanned text is not a genuine Red Vest post code."""


@dataclass(frozen=True)
class PostCode:
    post_id: int
    qr_version: int


_PURPOSE = b"redvest/qr-payload/v1"  # a key of its own: a post's signature doubles as no other


def make_token(secret_key: str, post_id: int, qr_version: int) -> str:
    signed = f"{post_id}.{qr_version}"
    token = f"{signed}.{signing.sign(secret_key, _PURPOSE, signed)}"
    assert len(token) <= SCENE_MAX_LENGTH
    return token


def make_url(public_base_url: str, secret_key: str, post_id: int, qr_version: int) -> str:
    return f"{public_base_url.rstrip('/')}/q/{make_token(secret_key, post_id, qr_version)}"


def _same_origin(text: str, public_base_url: str) -> bool:
    """``text`` starts with ``public_base_url`` + ``/q/`` (scheme and host compared without case)."""
    base = urlsplit(public_base_url.rstrip("/"))
    try:
        got = urlsplit(text)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return (got.scheme.lower(), got.netloc.lower()) == (base.scheme.lower(), base.netloc.lower()) \
        and got.path.startswith(base.path + "/q/")


def extract_token(scanned: str, public_base_url: str | None = None) -> str:
    """The token out of whatever the phone read: the full URL, the token, or the scene.

    With ``public_base_url``, a URL must be this deployment's ``/q/`` address: a genuine token
    pasted behind another host is refused, so nothing but our own posters points at a post."""
    text = (scanned or "").strip()
    if text.lower().startswith(("http://", "https://")):
        if public_base_url is not None and not _same_origin(text, public_base_url):
            raise InvalidPayload("not this deployment's post URL")
        try:
            path = urlsplit(text).path
        except ValueError:
            raise InvalidPayload("not a URL")
        if "/q/" not in path:
            raise InvalidPayload("not a post URL")
        text = path.rsplit("/q/", 1)[1].strip("/")
    elif text.startswith("scene="):
        text = text[len("scene="):]
    # WeChat hands the scene to the page URL-encoded; decoding a clean token is a no-op.
    return unquote(text)


@lru_cache(maxsize=4096)
def verify(secret_key: str, scanned: str, public_base_url: str | None = None) -> PostCode:
    """Check the signature; raises InvalidPayload for anything forged, altered or garbled.

    Remembered per process, as a post's code is scanned by everyone standing there (only
    genuine codes are kept: lru_cache keeps no exceptions). A result depends on nothing but
    its arguments; whether the code's version is still current is the database's to say."""
    token = extract_token(scanned, public_base_url)
    match = _TOKEN_RE.match(token)
    if not match:
        raise InvalidPayload("malformed token")
    post_id, qr_version, signature = int(match[1]), int(match[2]), match[3]
    if not signing.matches(secret_key, _PURPOSE, f"{post_id}.{qr_version}", signature):
        raise InvalidPayload("bad signature")
    return PostCode(post_id, qr_version)
