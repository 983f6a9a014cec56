"""The short signature a printed code carries (a post's poster, a volunteer's card).

The first 72 bits of HMAC-SHA256 over the code's text, as 12 base64url characters without
padding, under a key derived from SECRET_KEY for one purpose only: a signature made for one
kind of code never verifies as another kind's.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

SIGNATURE_BYTES = 9  # 72 bits, 12 base64url characters


@lru_cache(maxsize=8)
def _key(secret_key: str, purpose: bytes) -> bytes:
    return hmac.new(secret_key.encode(), purpose, hashlib.sha256).digest()


def sign(secret_key: str, purpose: bytes, text: str) -> str:
    mac = hmac.digest(_key(secret_key, purpose), text.encode(), "sha256")
    return base64.urlsafe_b64encode(mac[:SIGNATURE_BYTES]).decode().rstrip("=")


def matches(secret_key: str, purpose: bytes, text: str, signature: str) -> bool:
    return hmac.compare_digest(signature, sign(secret_key, purpose, text))
