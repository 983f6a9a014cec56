"""The monthly export in the column layout of the national volunteer system's import.

全国志愿服务信息系统 takes service records by bulk import (批量导入服务时长).
The columns here follow the service-record fields of 志愿服务记录与证明出具办法
(2021) Art 7 in the order of the system's record form; docs/national-export.md
explains each mapping, what Red Vest cannot fill (ID numbers are never
collected) and how to adapt the layout if the county's template differs:
only NATIONAL_COLUMNS and ``_row`` need to change.

Only shifts whose hours count are exported: pending, rejected and voided
shifts are not service records yet, or no longer.
"""
from __future__ import annotations

from typing import Iterable, Iterator

from server.checkin import hours as rules
from server.records.exports import Column, Table
from server.records.shift_records import local_naive, source_label

SERVICE_CATEGORY = "文明实践"
RECORD_METHOD = {"scan": "扫码签到签退", "manual": "补录", "leader": "岗长扫卡代签"}

NATIONAL_COLUMNS = [
    Column("seq", "序号", 7, "int"),
    Column("name", "志愿者姓名", 11),
    Column("id_type", "证件类型", 10),
    Column("id_number", "证件号码", 20),
    Column("phone", "手机号码", 14),
    Column("activity", "志愿服务项目名称", 18),
    Column("category", "服务类别", 10),
    Column("date", "服务日期", 12, "date"),
    Column("started_at", "开始时间", 17, "datetime"),
    Column("ended_at", "结束时间", 17, "datetime"),
    Column("hours", "服务时长（小时）", 14, "hours"),
    Column("place", "服务地点", 30),
    Column("content", "服务内容", 36),
    Column("organiser", "组织单位", 24),
    Column("person_in_charge", "活动负责人", 12),
    Column("method", "记录方式", 12),
    Column("record_id", "原始记录编号", 12, "int"),
]


def _row(seq: int, record: dict, tz) -> dict:
    return {
        "seq": seq,
        "name": record["volunteer_name"],
        "id_type": "居民身份证",
        "id_number": None,
        "phone": record["phone"],
        "activity": record["activity"],
        "category": SERVICE_CATEGORY,
        "date": record["local_date"],
        "started_at": local_naive(record["started_at"], tz),
        "ended_at": local_naive(record["ended_at"], tz),
        "hours": rules.as_hours(record["credited_minutes"]),
        "place": f"{record['district_name']}·{record['post_name']}",
        "content": record["content"],
        "organiser": record["unit_name"],
        "person_in_charge": record["person_in_charge"],
        "method": source_label(record, RECORD_METHOD),
        "record_id": record["id"],
    }


def rows(records: Iterable[dict], tz) -> Iterator[dict]:
    for seq, record in enumerate(records, start=1):
        yield _row(seq, record, tz)


def table(records: Iterable[dict], tz, title: str) -> Table:
    return Table(title, NATIONAL_COLUMNS, rows(records, tz))
