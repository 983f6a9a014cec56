"""The dashboard: today's hours, who is on duty, uncovered posts, charts."""
from __future__ import annotations

from flask import render_template

from server.console import bp


@bp.get("/")
def dashboard():
    return render_template("console/dashboard.html")
