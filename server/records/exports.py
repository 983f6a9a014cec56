"""CSV and XLSX files of report tables, written in constant memory.

Coordinators open these in Excel, so: CSV is UTF-8 with a BOM (without it
Excel reads Chinese as mojibake) and CRLF line ends; XLSX cells hold values,
never formulas, with Chinese headers, set column widths, a frozen header row
and a bold totals row. XlsxWriter's constant_memory mode streams rows to a
temporary file as they are written, strings inline, so 100,000 rows cost about
what 1,000 do.
"""
from __future__ import annotations

import csv
import io
import numbers
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Callable, Iterable, Iterator
from urllib.parse import quote

from server import textsafety
from server.records.reports import HoursReport

CSV_MIMETYPE = "text/csv; charset=utf-8"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("json", "csv", "xlsx")


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    width: float
    kind: str = "text"  # text | int | hours | date | datetime


@dataclass
class Table:
    """``totals`` may be a function: it is called after the last row, when streamed rows
    have been added up."""

    title: str
    columns: list[Column]
    rows: Iterable[dict]
    totals: dict | Callable[[], dict] | None = None

    def final_row(self) -> dict | None:
        return self.totals() if callable(self.totals) else self.totals


# --- writers -----------------------------------------------------------------------------


def _csv_value(value, kind: str):
    if value is None:
        return ""
    if isinstance(value, str):
        return textsafety.csv_cell(value)
    if kind == "hours" and isinstance(value, (int, float)):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_chunks(table: Table, rows_per_chunk: int = 500) -> Iterator[str]:
    """The CSV text in pieces, BOM first: hand it to a streaming response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow([c.header for c in table.columns])
    pending = 0
    for row in _with_totals(table):
        writer.writerow([_csv_value(row.get(c.field), c.kind) for c in table.columns])
        pending += 1
        if pending >= rows_per_chunk:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def write_csv(table: Table, fp: IO[bytes]) -> None:
    for chunk in csv_chunks(table):
        fp.write(chunk.encode("utf-8"))


_FORMATS = {"hours": "0.00", "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}


def write_xlsx(table: Table, fp: IO[bytes] | str) -> None:
    """One sheet: header, rows, totals; widths set; values only.

    XlsxWriter in constant_memory mode: each row goes to a temporary file as the next one
    starts, strings inline, so 100,000 rows cost what 1,000 do; it writes the same cells in
    about two thirds of the time openpyxl's write-only mode takes, and bench/reports.py holds
    this export beside it writing the same rows alone. Every text goes through
    ``write_string``, never ``write``: no text becomes a formula or a link."""
    # XlsxWriter loads here, not with the app: most commands and requests never write a workbook.
    import xlsxwriter

    # Its temporary files go in a folder of this call's own, removed even when a row fails.
    with tempfile.TemporaryDirectory(prefix="redvest-xlsx-") as scratch:
        workbook = xlsxwriter.Workbook(fp, {"constant_memory": True, "tmpdir": scratch, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})
        _fill(workbook, table)
        workbook.close()


def _fill(workbook, table: Table) -> None:
    sheet = workbook.add_worksheet(_sheet_title(table.title))
    header = workbook.add_format({"bold": True, "bg_color": "#F2DCDB", "pattern": 1, "align": "center",
                                  "valign": "vcenter", "text_wrap": True})
    formats = {kind: workbook.add_format({"num_format": number_format}) for kind, number_format in _FORMATS.items()}
    bold = {kind: workbook.add_format({"bold": True, "num_format": number_format})
            for kind, number_format in _FORMATS.items()}
    bold_text = workbook.add_format({"bold": True})
    for index, column in enumerate(table.columns):
        sheet.set_column(index, index, column.width)
        sheet.write_string(0, index, column.header, header)
    sheet.freeze_panes(1, 0)
    cells = _CellWriter(sheet)
    # A date or time in a column of another kind still needs a date format, or Excel shows a number.
    columns = [(index, column.field, formats.get(column.kind), formats.get(column.kind, formats["datetime"]))
               for index, column in enumerate(table.columns)]
    row_number = 0
    for row_number, row in enumerate(table.rows, start=1):
        cells.row(row_number, row, columns)
    totals = table.final_row()
    if totals is not None:
        in_bold = [(index, column.field, bold.get(column.kind, bold_text), bold.get(column.kind, bold["datetime"]))
                   for index, column in enumerate(table.columns)]
        cells.row(row_number + 1, totals, in_bold, blank=bold_text)


class _CellWriter:
    """Values into cells with the writer's typed calls: the hot loop of an export."""

    def __init__(self, sheet) -> None:
        self.string, self.number, self.boolean = sheet.write_string, sheet.write_number, sheet.write_boolean
        self.datetime, self.rich, self.blank = sheet.write_datetime, sheet.write_rich_string, sheet.write_blank

    def row(self, row: int, values: dict, columns: list[tuple], blank=None) -> None:
        """One row's cells; ``columns``: (index, field, number format, date format). An empty value
        is skipped, or written blank in the ``blank`` style. The common types are dispatched here,
        inline: a call per cell cost a third of what XlsxWriter takes to write it."""
        string, number, moment = self.string, self.number, self.datetime
        for column, name, number_format, date_format in columns:
            value = values.get(name)
            kind = type(value)
            if value is None:
                if blank is not None:
                    self.blank(row, column, None, blank)
            elif kind is str:
                if not value.isprintable() or value.startswith("<r>"):  # rare: text() cleans them
                    self.text(row, column, value, number_format)
                elif value:
                    string(row, column, value, number_format)
            elif kind is int or kind is float:
                number(row, column, value, number_format)
            elif kind is datetime or kind is date:
                moment(row, column, value, date_format)
            elif kind is bool:
                self.boolean(row, column, value, number_format)
            elif isinstance(value, numbers.Real):  # Decimal from a database's sum()
                number(row, column, float(value), number_format)
            else:
                self.text(row, column, str(value), number_format)

    def text(self, row: int, column: int, value: str, style) -> None:
        # isprintable() (in C) is false for every control character; most text never needs the regex.
        if not value.isprintable() and textsafety.has_controls(value, multiline=True):
            value = textsafety.strip_controls(value, multiline=True)
        if value.startswith("<r>") and value.endswith("</r>"):
            # constant_memory writes a string shaped like this as raw rich-text XML; three plain
            # fragments make XlsxWriter build (and escape) that XML itself.
            self.rich(row, column, value[:1], value[1:2], value[2:], *((style,) if style is not None else ()))
        elif value:
            self.string(row, column, value, style)


def _with_totals(table: Table) -> Iterator[dict]:
    yield from table.rows
    totals = table.final_row()
    if totals is not None:
        yield totals


def _sheet_title(title: str) -> str:
    for bad in '[]:*?/\\':
        title = title.replace(bad, " ")
    return title[:31] or "Sheet1"


def content_disposition(filename: str) -> str:
    """attachment with an ASCII fallback and the Chinese name per RFC 6266/5987."""
    filename = textsafety.strip_controls(filename)
    fallback = "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


# --- the hour report as a table -------------------------------------------------------------

_METRIC_COLUMNS = [
    Column("scanned_minutes", "扫码时长（分钟）", 14, "int"),
    Column("manual_minutes", "补录时长（分钟）", 14, "int"),
    Column("credited_minutes", "计入时长（分钟）", 14, "int"),
    Column("hours", "计入时长（小时）", 14, "hours"),
    Column("shift_count", "上岗次数", 10, "int"),
    Column("persuasions", "劝导人次", 10, "int"),
    Column("questionnaires", "问卷份数", 10, "int"),
    Column("volunteers", "参与人数", 10, "int"),
    Column("pending_shift_count", "待审核次数", 11, "int"),
    Column("pending_minutes", "待审核时长（分钟）", 16, "int"),
]

_LEAD_COLUMNS = {
    "volunteer": [Column("volunteer_id", "志愿者编号", 11, "int"), Column("name", "姓名", 10),
                  Column("unit", "单位", 24), Column("phone", "手机号", 14), Column("star_level", "星级", 6, "int")],
    "unit": [Column("key", "单位编号", 10, "int"), Column("name", "单位", 26)],
    "post": [Column("code", "岗位编号", 10), Column("name", "岗位", 30), Column("district", "片区", 16)],
    "district": [Column("key", "片区编号", 10, "int"), Column("name", "片区", 20)],
    "day": [Column("name", "日期", 18)],
    "week": [Column("key", "周次", 10), Column("name", "日期", 22)],
    "month": [Column("key", "月份", 10), Column("name", "月份（中文）", 14)],
}

GROUP_LABELS = {"volunteer": "按志愿者", "unit": "按单位", "post": "按岗位", "district": "按片区",
                "day": "按日", "week": "按周", "month": "按月"}


def hours_table(report: HoursReport) -> Table:
    lead = _LEAD_COLUMNS[report.group_by]
    metrics = [c for c in _METRIC_COLUMNS if not (report.group_by == "volunteer" and c.field == "volunteers")]

    def totals() -> dict:
        row = {**report.totals, lead[0].field: "合计"}
        row.update({column.field: None for column in lead[1:]})
        return row

    title = f"{GROUP_LABELS[report.group_by]} {report.first.isoformat()}至{report.last.isoformat()}"
    return Table(title, lead + metrics, report.rows, totals)


def hours_filename(report: HoursReport, fmt: str) -> str:
    return (f"志愿服务时长_{GROUP_LABELS[report.group_by]}_"
            f"{report.first.isoformat()}_{report.last.isoformat()}.{fmt}")


# --- shift records, standard layout -------------------------------------------------------

RECORD_COLUMNS = [
    Column("id", "记录编号", 10, "int"),
    Column("local_date", "日期", 12, "date"),
    Column("volunteer_name", "姓名", 10),
    Column("phone", "手机号", 14),
    Column("unit_name", "单位", 24),
    Column("district_name", "片区", 14),
    Column("post_code", "岗位编号", 10),
    Column("post_name", "岗位", 28),
    Column("activity", "服务项目", 14),
    Column("person_in_charge", "负责人", 10),
    Column("started_at", "上岗时间", 17, "datetime"),
    Column("ended_at", "下岗时间", 17, "datetime"),
    Column("duration_minutes", "在岗时长（分钟）", 14, "int"),
    Column("credited_minutes", "计入时长（分钟）", 14, "int"),
    Column("hours", "计入时长（小时）", 14, "hours"),
    Column("source", "来源", 8),
    Column("persuasions", "劝导人次", 10, "int"),
    Column("questionnaires", "问卷份数", 10, "int"),
    Column("status", "状态", 14),
    Column("review", "审核", 10),
    Column("original_minutes", "调整前时长（分钟）", 16, "int"),
    Column("flags", "提示", 24),
    Column("note", "备注", 30),
]


def records_table(rows: Iterable[dict], first: date, last: date) -> Table:
    return Table(f"上岗记录 {first.isoformat()}至{last.isoformat()}", RECORD_COLUMNS, rows)


def records_filename(first: date, last: date, fmt: str, national: bool = False) -> str:
    stem = "全国志愿服务信息系统导入" if national else "上岗记录"
    return f"{stem}_{first.isoformat()}_{last.isoformat()}.{fmt}"
