"""The dashboard: today's hours, who is on duty, uncovered posts, hours per day and per unit."""
from __future__ import annotations

from datetime import timedelta

from flask import g, render_template

from server.records import reports
from server.clock import county_zone, local_date, utcnow
from server.console import api, bp
from server.console.charts import Bar, bar_chart, column_chart
from server.console_api import duty as duty_api


@bp.get("/")
def dashboard():
    today = local_date(utcnow(), county_zone())
    everything = reports.Filters()
    today_totals = reports.hours(g.caller, "day", today, today, everything).totals
    month = reports.hours(g.caller, "unit", today.replace(day=1), today, everything)
    days = reports.hours(g.caller, "day", today - timedelta(days=29), today, everything)
    day_rows = list(days.rows)
    unit_rows = sorted(month.rows, key=lambda r: -r["credited_minutes"])
    board = api.read(duty_api.duty_now)
    return render_template(
        "console/dashboard.html", today=today, today_totals=today_totals, month_totals=month.totals,
        board=board,
        days_chart=column_chart([Bar(r["key"][5:], r["hours"], r["name"]) for r in day_rows], label_every=5,
                                aria_label="近 30 天每日服务时长"),
        units_chart=bar_chart([Bar(r["name"], r["hours"]) for r in unit_rows[:12]],
                              aria_label="本月各单位服务时长"),
        unit_rows=unit_rows)
