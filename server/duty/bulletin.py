"""The weekly supervision bulletin (督查通报): a short Chinese PDF for the command office.

:func:`figures` gathers the week's numbers from the same services as the JSON
endpoints (coverage.report for slots, rankings.rank_units for units), so the
PDF can never say something the console does not. :func:`render` only lays
them out: totals, best and worst units, the posts missed most often with
dates, and a bar chart of hours per day.
"""
from __future__ import annotations

from datetime import date, datetime

from typing import TYPE_CHECKING

import sqlalchemy as sa

from server.duty import coverage, trust_report
from server.checkin import hours as rules
from server.duty import rankings
from server.clock import day_bounds, local_date, local_iso
from server.db import db
from server.errors import ValidationError
from server.models import Problem, Shift
from server.problems import deadlines

if TYPE_CHECKING:  # fpdf2 and fontTools load when a bulletin is drawn, not with the app
    from fpdf import FPDF

s = Shift.__table__.c
RED, INK, GREY, BAR = (200, 16, 46), (34, 34, 34), (110, 110, 110), (214, 64, 69)
SHOWN_UNITS = 3


def week_bounds(text: str) -> tuple[date, date]:
    """'2026-W48' -> (Monday, Sunday) of that ISO week. Raises ValidationError."""
    try:
        year, week = text.upper().split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
    except (ValueError, AttributeError):
        raise ValidationError("week 应为 ISO 周，如 2026-W48", field="week")
    return monday, date.fromordinal(monday.toordinal() + 6)


def figures(week: str, now: datetime, tz, grace_minutes: int) -> dict:
    first, last = week_bounds(week)
    report = coverage.report(None, first, last, now, grace_minutes)
    units = rankings.rank_units(None, first, last, now, grace_minutes)
    ranked = [row for row in units if row["rank"] is not None]
    shown = min(SHOWN_UNITS, len(ranked) // 2)  # the best and the worst never name the same unit
    days = _hours_per_day(first, last)
    counted = _counted(first, last)
    totals = {
        "credited_minutes": sum(day["credited_minutes"] for day in days),
        "hours": rules.as_hours(sum(day["credited_minutes"] for day in days)),
        "shifts": sum(day["shifts"] for day in days),
        "volunteers": db.session.execute(sa.select(sa.func.count(sa.distinct(s.volunteer_id))).where(
            counted, s.credited_minutes > 0)).scalar_one(),
        "persuasions": int(db.session.execute(sa.select(sa.func.sum(s.persuasions)).where(counted)).scalar() or 0),
        "questionnaires": int(db.session.execute(sa.select(sa.func.sum(s.questionnaires)).where(counted)).scalar()
                              or 0),
        "coverage": report["totals"],
    }
    return {
        "week": week.upper(), "from": first.isoformat(), "to": last.isoformat(),
        "generated_at": local_iso(now, tz),
        "totals": totals,
        "hours_per_day": days,
        "best_units": ranked[:shown] if shown else ranked[:1],
        "worst_units": list(reversed(ranked[-shown:])) if shown else [],
        "units": units,
        "posts_missed": [{**row, "dates": [d.isoformat() for d in row["dates"]]}
                         for row in coverage.missed_by_post(report["slots"])],
        "districts": report["districts"],
        "trust_units": trust_report.report(None, first, last)["units"],
        "problems": _problems(first, last, now, tz, units),
    }


def _problems(first: date, last: date, now: datetime, tz, units: list[dict]) -> dict:
    """Problems overdue at the end of the week by unit, and each unit's on-time fix rate
    (the figures the rankings carry)."""
    judged = deadlines.as_of(last, local_date(now, tz))
    begins, ends = day_bounds(first, last, tz)
    reported = db.session.execute(sa.select(sa.func.count()).select_from(Problem).where(
        Problem.created_at >= begins, Problem.created_at < ends)).scalar_one()
    return {
        "reported": reported,
        "as_of": judged.isoformat(),
        "overdue_by_unit": deadlines.overdue_by_unit(judged, tz),
        "on_time_by_unit": [{"unit": row["unit"], "problems_due": row["problems_due"],
                             "problems_on_time": row["problems_on_time"], "on_time_rate": row["on_time_rate"]}
                            for row in units if row["problems_due"]],
    }


def _counted(first: date, last: date):
    return sa.and_(s.local_date >= first, s.local_date <= last, rules.finished(Shift.__table__),
                   s.review_state.in_(rules.COUNTED_REVIEW_STATES))


def _hours_per_day(first: date, last: date) -> list[dict]:
    rows = {row.local_date: row for row in db.session.execute(
        sa.select(s.local_date, sa.func.sum(s.credited_minutes).label("minutes"), sa.func.count().label("shifts"))
        .where(_counted(first, last)).group_by(s.local_date))}
    days = []
    for day in coverage.day_range(first, last):
        row = rows.get(day)
        minutes = int(row.minutes or 0) if row is not None else 0
        days.append({"date": day.isoformat(), "credited_minutes": minutes, "hours": rules.as_hours(minutes),
                     "shifts": row.shifts if row is not None else 0})
    return days


# --- the PDF ------------------------------------------------------------------------------

def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _md(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.month}月{day.day}日"


def _unit_line(row: dict) -> str:
    per_member = "—" if row["hours_per_member"] is None else f"{row['hours_per_member']:.2f}"
    return (f"第{row['rank']}名 {row['unit']['name']}：服务 {row['hours']:.2f} 小时，人均 {per_member} 小时，"
            f"上岗 {row['active_volunteers']} 人，排班覆盖率 {_percent(row['slot_coverage'])}")


def lines(data: dict) -> list[tuple[str, object]]:
    """What the PDF prints, in order: (kind, content)."""
    year, week, _ = date.fromisoformat(data["from"]).isocalendar()
    generated = data["generated_at"][:16].replace("T", " ")
    totals, cov = data["totals"], data["totals"]["coverage"]
    out: list[tuple[str, object]] = [
        ("title", f"文明创建志愿服务督查通报（{year}年第{week}周）"),
        ("subtitle", f"{_md(data['from'])}（星期一）至{_md(data['to'])}（星期日）　生成于 {generated}"),
        ("heading", "一、总体情况"),
        ("para", f"本周共有志愿者 {totals['volunteers']} 人上岗 {totals['shifts']} 人次，累计服务 "
                 f"{totals['hours']:.2f} 小时，劝导 {totals['persuasions']} 人次，发放问卷 {totals['questionnaires']} 份。"),
        ("para", f"排班 {cov['slots']} 个时段，其中按时到岗 {cov['covered']} 个、部分到岗 {cov['partial']} 个、"
                 f"空岗 {cov['missed']} 个；排班覆盖率 {_percent(cov['share'])}"
                 f"（计划 {cov['planned_person_minutes']} 人·分钟，实到 {cov['covered_person_minutes']} 人·分钟）。"),
        ("heading", "二、每日服务时长（小时）"),
        ("chart", [(f"{_md(day['date'])}", day["hours"]) for day in data["hours_per_day"]]),
        ("heading", "三、单位排名"),
    ]
    if data["best_units"]:
        out.append(("para", "表现较好的单位："))
        out += [("item", _unit_line(row)) for row in data["best_units"]]
    if data["worst_units"]:
        out.append(("para", "需要加强的单位："))
        out += [("item", _unit_line(row)) for row in data["worst_units"]]
    if not data["best_units"]:
        out.append(("para", "本周暂无单位排名数据。"))
    out.append(("heading", "四、空岗较多的岗位"))
    if data["posts_missed"]:
        for row in data["posts_missed"]:
            dates = "、".join(_md(d) for d in row["dates"])
            out.append(("item", f"{row['post']['code']} {row['post']['name']}：空岗 {row['missed']} 次（{dates}）"))
    else:
        out.append(("para", "本周没有空岗。"))
    out.append(("heading", "五、扫码记录可信度"))
    if data.get("trust_units"):
        out += [("item", trust_report.unit_line(row)) for row in data["trust_units"]]
    else:
        out.append(("para", "本周没有扫码上岗记录。"))
    return out + _problem_lines(data["problems"])


def _problem_lines(problems: dict) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = [("heading", "六、问题整改督办"), ("para", f"本周志愿者上报问题 {problems['reported']} 个。")]
    for row in problems["on_time_by_unit"]:
        out.append(("item", f"{row['unit']['name']}：本周到期 {row['problems_due']} 个，按期整改 "
                            f"{row['problems_on_time']} 个，按期整改率 {_percent(row['on_time_rate'])}"))
    if not problems["overdue_by_unit"]:
        out.append(("para", f"截至{_md(problems['as_of'])}，没有逾期未整改的问题。"))
        return out
    out.append(("para", f"截至{_md(problems['as_of'])}逾期未整改的问题："))
    for unit in problems["overdue_by_unit"]:
        out.append(("para", f"{unit['unit']['name']}（{len(unit['problems'])} 个）"))
        for item in unit["problems"]:
            where = f"{item['post']}，" if item["post"] else ""
            out.append(("item", f"【{item['category']}】{item['description']}（{where}期限 {_md(item['deadline'])}，"
                                f"逾期 {item['days_overdue']} 天）"))
    return out


def render(data: dict, font_file: str | None = None) -> bytes:
    content = lines(data)
    text = "".join(value if isinstance(value, str) else "".join(label + f"{hours:.1f}" for label, hours in value)
                   for _, value in content) + "0123456789.%—"
    from server.pdf_font import a4_with_cjk

    with a4_with_cjk(text, font_file) as pdf:
        pdf.set_title(f"督查通报 {data['week']}")
        pdf.set_margins(18, 16, 18)
        pdf.set_auto_page_break(True, margin=16)
        pdf.add_page()
        for kind, value in content:
            _DRAW[kind](pdf, value)
        return bytes(pdf.output())


def _title(pdf: FPDF, text: str) -> None:
    pdf.set_font("cjk", "B", 18)
    pdf.set_text_color(*RED)
    pdf.multi_cell(0, 10, text, align="C", new_x="LMARGIN", new_y="NEXT")


def _subtitle(pdf: FPDF, text: str) -> None:
    pdf.set_font("cjk", "", 10)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 6, text, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*RED)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.w - pdf.r_margin, pdf.get_y() + 2)
    pdf.ln(5)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(2)
    pdf.set_font("cjk", "B", 13)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")


def _para(pdf: FPDF, text: str) -> None:
    pdf.set_font("cjk", "", 11)
    pdf.set_text_color(*INK)
    pdf.multi_cell(0, 6.5, text, align="L", new_x="LMARGIN", new_y="NEXT")


def _item(pdf: FPDF, text: str) -> None:
    pdf.set_font("cjk", "", 10.5)
    pdf.set_text_color(*INK)
    pdf.set_x(pdf.l_margin + 4)
    pdf.multi_cell(0, 6, text, align="L", new_x="LMARGIN", new_y="NEXT")


def _chart(pdf: FPDF, bars: list[tuple[str, float]]) -> None:
    height, label_h = 42, 10
    if pdf.get_y() + height + label_h > pdf.h - pdf.b_margin:
        pdf.add_page()
    top, left = pdf.get_y() + 6, pdf.l_margin + 4
    width = pdf.w - pdf.l_margin - pdf.r_margin - 8
    slot = width / max(len(bars), 1)
    peak = max((value for _, value in bars), default=0) or 1
    pdf.set_draw_color(*GREY)
    pdf.set_line_width(0.2)
    pdf.line(left, top + height, left + width, top + height)
    for n, (label, value) in enumerate(bars):
        bar_h = height * value / peak
        x = left + n * slot + slot * 0.2
        pdf.set_fill_color(*BAR)
        if bar_h > 0:
            pdf.rect(x, top + height - bar_h, slot * 0.6, bar_h, style="F")
        pdf.set_font("cjk", "", 8.5)
        pdf.set_text_color(*INK)
        pdf.set_xy(left + n * slot, top + height - bar_h - 5)
        pdf.cell(slot, 4, f"{value:.1f}", align="C")
        pdf.set_xy(left + n * slot, top + height + 1.5)
        pdf.set_text_color(*GREY)
        pdf.cell(slot, 4, label, align="C")
    pdf.set_xy(pdf.l_margin, top + height + label_h)


_DRAW = {"title": _title, "subtitle": _subtitle, "heading": _heading, "para": _para, "item": _item,
         "chart": _chart}
