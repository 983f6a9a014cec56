"""A unit's volunteer list (name, mobile, unit) from CSV or XLSX, all or nothing.

Every bad row is reported by its number in the sheet and nothing is saved until
the whole sheet is good. A listed mobile that a registered volunteer already
uses is accepted when that volunteer is in the same unit (nothing to do) and
refused otherwise; a mobile listed before is updated (re-importing the same
list is harmless). A volunteer who registers later with a listed mobile joins
the listed unit (server.accounts.register).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from server import audit, permissions
from server.accounts import PHONE_RE as _PHONE
from server.callers import Caller
from server.db import db
from server.errors import ApiError, Forbidden, ValidationError
from server.sheets import read
from server.models import ListedVolunteer, Unit, User

MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
COLUMNS = {"name": ("姓名", "name"), "phone": ("手机号", "手机", "手机号码", "mobile", "phone"),
           "unit": ("单位", "所在单位", "unit")}


class ListRefused(ApiError):
    status, code = 422, "SHEET_INVALID"

    def __init__(self, problems: list[dict]) -> None:
        numbers = sorted({p["row"] for p in problems})
        listed = "、".join(str(n) for n in numbers[:20]) + ("等" if len(numbers) > 20 else "")
        super().__init__(f"名单第 {listed} 行有误，未导入任何人", rows=problems)


def _columns(header: list) -> dict[str, int]:
    names = [str(cell or "").strip().lower() for cell in header]
    found = {key: names.index(alias.lower()) for key, aliases in COLUMNS.items()
             for alias in reversed(aliases) if alias.lower() in names}
    missing = [COLUMNS[key][0] for key in ("name", "phone") if key not in found]
    if missing:
        raise ValidationError(f"第 1 行应为表头，缺少列：{'、'.join(missing)}", field="file", missing=missing)
    return found


def _text(cells: list, position: int | None) -> str:
    if position is None or position >= len(cells) or cells[position] is None:
        return ""
    value = cells[position]
    if isinstance(value, float) and value.is_integer():  # Excel keeps a mobile typed as a number as 1.38e10
        value = int(value)
    return str(value).strip()


def import_list(caller: Caller, data: bytes, now: datetime) -> dict:
    if not permissions.may_import_volunteers(caller):
        raise Forbidden("只有单位协调员和管理员可以导入志愿者名单", code="FORBIDDEN")
    rows = read(data, max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    header, body = (rows[0] if rows else []), rows[1:]
    columns = _columns(header)
    if len(body) > MAX_ROWS:
        raise ValidationError(f"一次最多导入 {MAX_ROWS} 行", field="file")
    units = {name: uid for uid, name in db.session.execute(sa.select(Unit.id, Unit.name))}
    entries, problems, first_row_of = [], [], {}
    for number, cells in enumerate(body, start=2):
        if not any(str(cell).strip() for cell in cells if cell is not None):
            continue
        name, phone, unit_name = (_text(cells, columns.get(k)) for k in ("name", "phone", "unit"))
        row_problems = []
        if not 1 <= len(name) <= 50:
            row_problems.append(("name", "缺少姓名" if not name else "姓名超过 50 个字"))
        if not _PHONE.match(phone):
            row_problems.append(("phone", f"手机号「{phone}」不是 11 位中国大陆手机号" if phone else "缺少手机号"))
        elif phone in first_row_of:
            row_problems.append(("phone", f"手机号与第 {first_row_of[phone]} 行重复"))
        else:
            first_row_of[phone] = number
        unit_id = _unit(caller, unit_name, units, row_problems)
        problems += [{"row": number, "field": f, "reason": r} for f, r in row_problems]
        if not row_problems:
            entries.append((number, name, phone, unit_id))
    if not entries and not problems:
        raise ValidationError("名单里没有人", field="file")
    result = _check_and_save(caller, entries, problems, now)
    return result


def _unit(caller: Caller, unit_name: str, units: dict, row_problems: list) -> int | None:
    if caller.scope_unit_id is not None:  # a unit's coordinator lists their own unit's people
        if unit_name and units.get(unit_name) != caller.scope_unit_id:
            row_problems.append(("unit", f"只能导入本单位的志愿者（该行单位为「{unit_name}」）"))
        return caller.scope_unit_id
    if not unit_name:
        row_problems.append(("unit", "缺少单位"))
        return None
    if unit_name not in units:
        row_problems.append(("unit", f"没有名为「{unit_name}」的单位"))
        return None
    return units[unit_name]


def _check_and_save(caller: Caller, entries: list, problems: list, now: datetime) -> dict:
    phones = [e[2] for e in entries]
    registered = {u.phone: u for u in db.session.execute(
        sa.select(User).where(User.phone.in_(phones))).scalars()} if phones else {}
    listed = {row.phone: row for row in db.session.execute(
        sa.select(ListedVolunteer).where(ListedVolunteer.phone.in_(phones))).scalars()} if phones else {}
    counts = {"created": 0, "updated": 0, "already_registered": 0}
    for number, name, phone, unit_id in entries:
        person = registered.get(phone)
        if person is not None and person.unit_id != unit_id:
            problems.append({"row": number, "field": "phone", "reason": "该手机号已由其他单位的志愿者注册"})
        earlier = listed.get(phone)
        if earlier is not None and earlier.unit_id != unit_id and not permissions.may_manage_volunteer(
                caller, earlier.unit_id):
            problems.append({"row": number, "field": "phone", "reason": "该手机号已在其他单位的名单中"})
    if problems:
        db.session.rollback()
        raise ListRefused(sorted(problems, key=lambda p: (p["row"], p["field"])))
    for number, name, phone, unit_id in entries:
        if phone in registered:
            counts["already_registered"] += 1
            continue
        row = listed.get(phone)
        if row is None:
            db.session.add(ListedVolunteer(unit_id=unit_id, name=name, phone=phone, imported_at=now,
                                           imported_by_id=caller.id))
            counts["created"] += 1
        else:
            row.name, row.unit_id, row.imported_at, row.imported_by_id = name, unit_id, now, caller.id
            counts["updated"] += 1
    db.session.flush()
    audit.record(actor_id=caller.id, action="volunteer_list_import", entity_type="unit",
                 entity_id=caller.scope_unit_id or 0, before=None, after={**counts, "rows": len(entries)},
                 reason=None, now=now)
    db.session.commit()
    return {"rows": len(entries), **counts}


def waiting(caller: Caller, limit: int = 200) -> tuple[int, list[dict]]:
    """Listed people who have not registered yet, in the caller's units: (how many, the first ``limit``)."""
    condition = [ListedVolunteer.user_id.is_(None)]
    if caller.scope_unit_id is not None:
        condition.append(ListedVolunteer.unit_id == caller.scope_unit_id)
    elif not caller.sees_everything:
        return 0, []
    count = db.session.execute(sa.select(sa.func.count()).select_from(ListedVolunteer).where(*condition)).scalar_one()
    rows = db.session.execute(
        sa.select(ListedVolunteer.name, ListedVolunteer.phone, Unit.name.label("unit"))
        .join(Unit, Unit.id == ListedVolunteer.unit_id).where(*condition)
        .order_by(ListedVolunteer.id).limit(limit)).mappings().all()
    return count, [dict(r) for r in rows]
