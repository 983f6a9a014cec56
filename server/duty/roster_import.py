"""Importing a roster sheet (CSV or XLSX): every bad row reported, nothing half-imported.

One slot per row. Columns are found by their header (Chinese or English):

    岗位编号 | 日期 | 开始 | 结束 | 人数 | 志愿者 | 单位 | 备注
    post_code| date | start| end  |needed|volunteers| unit | note

志愿者 holds phone numbers or names separated by 、，, ; or spaces; a name
must be unique among the volunteers the coordinator may assign. 人数 defaults
to the number of volunteers listed (at least 1). Rows are numbered as the
spreadsheet shows them: the header is row 1.

A CSV saved by Excel in China is usually GB18030, not UTF-8; both are read.
The file's kind is decided by its first bytes, never by its name.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from server import permissions
from server.duty import rosters
from server.callers import Caller
from server.db import db
from server.errors import ApiError, Forbidden, ValidationError
from server.sheets import read as _read_sheet
from server.models import Post, Unit, User

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
COLUMNS = {
    "post_code": ("岗位编号", "岗位代码", "岗位码", "post_code", "code"),
    "date": ("日期", "date"),
    "start": ("开始", "开始时间", "start"),
    "end": ("结束", "结束时间", "end"),
    "needed": ("人数", "需要人数", "needed"),
    "volunteers": ("志愿者", "人员", "手机号或姓名", "volunteers"),
    "unit": ("单位", "包保单位", "unit"),
    "note": ("备注", "note"),
}
REQUIRED = ("post_code", "date", "start", "end")
_SEPARATORS = re.compile(r"[,，、;；/／\s]+")
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$", re.ASCII)
_PHONE = re.compile(r"^1[0-9]{10}$")


class SheetRefused(ApiError):
    status, code = 422, "SHEET_INVALID"

    def __init__(self, rows: list[dict]) -> None:
        numbers = sorted({row["row"] for row in rows})
        listed = "、".join(str(n) for n in numbers[:20]) + ("等" if len(numbers) > 20 else "")
        super().__init__(f"表格第 {listed} 行有误，未导入任何排班", rows=rows)


def import_sheet(caller: Caller, data: bytes, now: datetime, tz, *, dry_run: bool = False) -> dict:
    if not permissions.may_plan_rosters(caller):
        raise Forbidden("领导账号只能查看排班", code="FORBIDDEN")
    rows = read(data)
    header, body = rows[0] if rows else [], rows[1:]
    columns = _columns(header)
    if len(body) > MAX_ROWS:
        raise ValidationError(f"一次最多导入 {MAX_ROWS} 行", field="file")
    specs, row_numbers, problems = [], [], []
    people = _People(caller)
    units = {name: uid for uid, name in db.session.execute(sa.select(Unit.id, Unit.name))}
    posts = {code.upper(): pid for pid, code in db.session.execute(sa.select(Post.id, Post.code))}
    for number, cells in enumerate(body, start=2):
        if not any(str(cell).strip() for cell in cells if cell is not None):
            continue
        spec, row_problems = _spec(cells, columns, posts, units, people)
        problems += [{"row": number, "field": f, "reason": reason} for f, reason in row_problems]
        if spec is not None:
            specs.append(spec)
            row_numbers.append(number)
    if not specs and not problems:
        raise ValidationError("表格里没有排班", field="file")
    try:
        slot_ids = rosters.plan(caller, specs, now, tz, dry_run=dry_run or bool(problems))
    except rosters.PlanRefused as refused:
        problems += [{"row": row_numbers[p.index], "field": p.field, "reason": p.message}
                     for p in refused.problems]
    if problems:
        raise SheetRefused(sorted(problems, key=lambda p: p["row"]))
    return {"rows": len(specs), "created": len(slot_ids), "slot_ids": slot_ids, "dry_run": dry_run}


def read(data: bytes) -> list[list]:
    return _read_sheet(data, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)


def _columns(header: list) -> dict[str, int]:
    names = [str(cell or "").strip().lower() for cell in header]
    found = {}
    for key, aliases in COLUMNS.items():
        for position, name in enumerate(names):
            if name in {alias.lower() for alias in aliases}:
                found[key] = position
                break
    missing = [COLUMNS[key][0] for key in REQUIRED if key not in found]
    if missing:
        raise ValidationError(f"第 1 行应为表头，缺少列：{'、'.join(missing)}", field="file", missing=missing)
    return found


def _cell(cells: list, columns: dict, key: str):
    position = columns.get(key)
    if position is None or position >= len(cells):
        return None
    value = cells[position]
    return value.strip() if isinstance(value, str) else value


def _spec(cells, columns, posts, units, people):
    problems = []
    code = _cell(cells, columns, "post_code")
    post_id = posts.get(str(code).strip().upper()) if code not in (None, "") else None
    if post_id is None:
        problems.append(("post_code", f"找不到岗位编号「{code or ''}」"))
    day = _date(_cell(cells, columns, "date"))
    if day is None:
        problems.append(("date", f"日期「{_cell(cells, columns, 'date') or ''}」无法识别，应如 2026-11-26"))
    start, end = _clock(_cell(cells, columns, "start")), _clock(_cell(cells, columns, "end"))
    if start is None:
        problems.append(("start", "开始时间无法识别，应如 07:30"))
    if end is None:
        problems.append(("end", "结束时间无法识别，应如 09:00"))
    volunteer_ids = []
    for token in _SEPARATORS.split(str(_cell(cells, columns, "volunteers") or "")):
        if token:
            found = people.find(token)
            if isinstance(found, str):
                problems.append(("volunteers", found))
            else:
                volunteer_ids.append(found)
    needed = _cell(cells, columns, "needed")
    if needed in (None, ""):
        needed = max(1, len(volunteer_ids))
    else:
        try:
            needed = int(float(needed))
        except (TypeError, ValueError):
            problems.append(("needed", f"人数「{needed}」应为整数"))
    unit_name = _cell(cells, columns, "unit")
    unit_id = None
    if unit_name not in (None, ""):
        unit_id = units.get(str(unit_name))
        if unit_id is None:
            problems.append(("unit", f"找不到单位「{unit_name}」"))
    if problems:
        return None, problems
    note = _cell(cells, columns, "note")
    return rosters.SlotSpec(post_id=post_id, local_date=day, start=start, end=end, needed=needed,
                            unit_id=unit_id, volunteer_ids=tuple(volunteer_ids),
                            note=str(note)[:200] if note not in (None, "") else None), []


def _date(value) -> date | None:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value if 2000 <= value.year <= 2100 else None
    match = _DATE.match(str(value or ""))
    if not match:
        return None
    try:
        day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None


def _clock(value) -> time | None:
    if isinstance(value, datetime):
        return value.time().replace(second=0, microsecond=0)
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, timedelta):  # openpyxl reads [h]:mm cells as durations; 24:00 is one day
        minutes = int(value.total_seconds() // 60)
        return time(0) if minutes == 24 * 60 else (time(minutes // 60, minutes % 60) if minutes < 24 * 60 else None)
    if isinstance(value, float) and 0 <= value <= 1:  # an Excel time stored as a fraction of a day
        minutes = round(value * 24 * 60)
        return time(0) if minutes == 24 * 60 else time(minutes // 60, minutes % 60)
    try:
        return rosters.parse_clock(str(value or ""))
    except ValueError:
        return None


class _People:
    """Finds volunteers by phone or name among those the coordinator may assign."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.cache: dict[str, int | str] = {}

    def find(self, token: str) -> int | str:
        if token not in self.cache:
            self.cache[token] = self._lookup(token)
        return self.cache[token]

    def _lookup(self, token: str) -> int | str:
        # Only people the coordinator may see: a number or name outside that scope is "not found",
        # exactly like one that belongs to nobody, so a dry run reveals nothing about them.
        query = sa.select(User.id).where(User.registered_at.is_not(None), User.status == "active",
                                         permissions.volunteer_filter(self.caller))
        if _PHONE.match(token):
            found = db.session.execute(query.where(User.phone == token)).scalars().all()
            return found[0] if found else f"找不到手机号为 {token} 的志愿者{self._scope_hint()}"
        found = db.session.execute(query.where(User.name == token).limit(3)).scalars().all()
        if not found:
            return f"找不到志愿者「{token}」{self._scope_hint()}"
        if len(found) > 1:
            return f"有多名志愿者叫「{token}」，请改填手机号"
        return found[0]

    def _scope_hint(self) -> str:
        return "（只能安排本单位的志愿者）" if self.caller.scope_unit_id is not None else ""
