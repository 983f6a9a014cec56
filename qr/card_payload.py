"""Signed QR payloads for volunteers' printed cards (志愿者卡).

A card's QR code holds a token of at most 32 characters::

    RVC<volunteer id>.<card version>.<signature>      e.g. RVC17.1.kV3x0Qm-9aZ_

built like a post's code (qr/payload.py) with three differences that keep the two apart for
good: the ``RVC`` prefix (a post token starts with a digit, so neither pattern matches the
other), a key of its own (a post signature never verifies as a card's, nor the reverse), and
no URL form (a card is only ever scanned by a post leader's page, never by WeChat's scanner
to open the mini-program). Whether the card's version is still current is the database's to say.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from qr import signing

PREFIX = "RVC"
MAX_LENGTH = 32
_TOKEN_RE = re.compile(r"^RVC([1-9][0-9]{0,8})\.([1-9][0-9]{0,5})\.([A-Za-z0-9_-]{12})$")


class InvalidCard(ValueError):
    """The scanned text is not a genuine Red Vest volunteer card."""


@dataclass(frozen=True)
class CardCode:
    volunteer_id: int
    card_version: int


_PURPOSE = b"redvest/volunteer-card/v1"


def make_token(secret_key: str, volunteer_id: int, card_version: int) -> str:
    signed = f"{PREFIX}{volunteer_id}.{card_version}"
    token = f"{signed}.{signing.sign(secret_key, _PURPOSE, signed)}"
    if len(token) > MAX_LENGTH or not _TOKEN_RE.match(token):
        raise ValueError(f"volunteer {volunteer_id} version {card_version} gives no valid card")
    return token


def verify(secret_key: str, scanned: str) -> CardCode:
    """Check the signature; raises InvalidCard for anything forged, altered, garbled or a post's code."""
    match = _TOKEN_RE.match((scanned or "").strip()) if isinstance(scanned, str) else None
    if not match:
        raise InvalidCard("malformed card")
    volunteer_id, card_version, signature = int(match[1]), int(match[2]), match[3]
    if not signing.matches(secret_key, _PURPOSE, f"{PREFIX}{volunteer_id}.{card_version}", signature):
        raise InvalidCard("bad signature")
    return CardCode(volunteer_id, card_version)
