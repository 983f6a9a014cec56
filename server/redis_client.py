"""The shared Redis connection of an app (REDIS_URL), with short timeouts.

Redis holds what app servers share and can rebuild (WeChat's access token, rate-limit
counters): nothing in it is the only copy of anything. A Redis outage therefore costs at
most the requests that need it, which get a 503 REDIS_UNAVAILABLE (errorhandlers.py), and
/readyz says so; the connection pool reconnects by itself once Redis is back.
"""
from __future__ import annotations

from flask import Flask, current_app

_EXTENSION = "redvest_redis"
TIMEOUT_S = 1.0


def connection(app: Flask | None = None):
    """The app's Redis client, or None when REDIS_URL is not set."""
    app = app or current_app
    if _EXTENSION not in app.extensions:
        url = app.config.get("REDIS_URL") or ""
        client = None
        if url:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S,
                                          health_check_interval=30)
        app.extensions[_EXTENSION] = client
    return app.extensions[_EXTENSION]
