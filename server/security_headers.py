"""Security headers on every answer.

Pages: a Content-Security-Policy allowing scripts from this origin only (the
console's one script is a static file; inline ``style`` attributes stay
allowed, since they cannot run code), no framing anywhere (clickjacking), no
MIME sniffing, referrers only within the site, and HSTS in production (which
runs behind HTTPS). API answers are data: they may load nothing at all.
"""
from __future__ import annotations

from flask import Flask, request

from server import config

PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data: blob:; object-src 'none'; base-uri 'self'; form-action 'self'; "
               "frame-ancestors 'none'")
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"


def register(app: Flask) -> None:
    production = config.is_production(app.config)

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy",
                           API_POLICY if request.path.startswith("/api/") else PAGE_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if production:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
