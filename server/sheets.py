"""Spreadsheets people upload (roster tables, volunteer lists): CSV or XLSX read into rows of cells."""
from __future__ import annotations

import csv
import io
import zipfile

from server.errors import ValidationError


# What an uploaded sheet may unpack to: a 320 KB XLSX whose shared strings unpack to 100 MB
# is a zip bomb, refused from the zip's directory before openpyxl inflates anything.
MAX_UNPACKED_BYTES = 20 * 1024 * 1024


def read(data: bytes, *, max_bytes: int, max_rows: int) -> list[list]:
    """The first sheet of an XLSX, or a CSV in UTF-8 or GB18030 (what Excel saves in China), as rows
    of cells; at most ``max_rows`` rows after the header, or a 422 naming the limit."""
    if not data:
        raise ValidationError("上传的文件是空的", field="file")
    if len(data) > max_bytes:
        raise ValidationError(f"文件不能超过 {max_bytes // (1024 * 1024)} MB", field="file")
    if data[:4] == b"PK\x03\x04":
        _check_unpacked_size(data)
        return _xlsx(data, max_rows)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationError("无法识别文件编码，请另存为 UTF-8 CSV 或 XLSX", field="file")
    rows = []
    for row in csv.reader(io.StringIO(text)):
        rows.append(row)
        if len(rows) > max_rows + 1:  # the header, then at most max_rows
            raise ValidationError(f"表格最多 {max_rows} 行", field="file")
    return rows


def _check_unpacked_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError):
        raise ValidationError("无法读取该 XLSX 文件", field="file")
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationError(f"文件解压后超过 {MAX_UNPACKED_BYTES // (1024 * 1024)} MB，请删去多余内容", field="file")


def _xlsx(data: bytes, max_rows: int) -> list[list]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - a damaged or foreign zip: the user's file, not our bug
        raise ValidationError("无法读取该 XLSX 文件", field="file")
    try:
        sheet = book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True, max_row=max_rows + 2)]
    finally:
        book.close()
