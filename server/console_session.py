"""The console's cookie session: who, under which credential version, since when, last seen when.

A session ends at the first of: its absolute lifetime (``CONSOLE_TOKEN_TTL_SECONDS``,
12 h) from sign-in, whatever the activity; ``CONSOLE_IDLE_TIMEOUT_SECONDS``
(30 min) without a request; a bump of the user's credential version; or
logging out, which puts its id on the denylist so a saved copy of the cookie
replayed later finds nothing.
"""
from __future__ import annotations

import secrets
import time
from datetime import datetime, timezone

from flask import current_app, session

from server import callers, revocation
from server.callers import Caller


def start(user_id: int, credential_version: int) -> None:
    session.clear()
    session.permanent = True
    now = int(time.time())
    session.update(uid=user_id, v=credential_version, sid=secrets.token_urlsafe(12), iat=now, seen=now)


def current() -> Caller | None:
    """The signed-in console user, or None (and the session cleared) when it has ended."""
    user_id = session.get("uid")
    if not isinstance(user_id, int):
        return None
    cfg, now = current_app.config, int(time.time())
    issued, seen = session.get("iat") or 0, session.get("seen") or 0
    if now - issued > cfg["CONSOLE_TOKEN_TTL_SECONDS"] or now - seen > cfg["CONSOLE_IDLE_TIMEOUT_SECONDS"]:
        return None
    caller = callers.load(user_id, session.get("sid") or "", session.get("v"))
    if caller is None:
        return None
    if now - seen >= 30:  # rewrite the cookie at most twice a minute, not on every request
        session["seen"] = now
    return caller


def end() -> None:
    """Logging out: this session's id is refused until it would have expired anyway."""
    issued = session.get("iat") or int(time.time())
    expires = datetime.fromtimestamp(issued, timezone.utc)
    revocation.revoke(session.get("sid") or "",
                      revocation.expiry(expires, current_app.config["CONSOLE_TOKEN_TTL_SECONDS"]))
    session.clear()
