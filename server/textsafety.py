"""Control characters and spreadsheet formulas in user-entered text.

Text typed by a volunteer ends up in Excel files a coordinator opens, in PDFs
and in HTML. Two dangers: control characters (openpyxl refuses them, fpdf
breaks on CR/LF, terminals obey them) and text Excel reads as a formula
(``=HYPERLINK(...)`` sends a neighbouring cell to a stranger's server).
Input refuses the first; output strips what older rows still hold, and
neutralises the second in every CSV and XLSX cell.
"""
from __future__ import annotations

import re

from server.errors import ValidationError

# C0 (but tab, LF, CR), DEL and C1: nothing a person types on purpose.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The same plus tab, LF and CR: a one-line field (a name, a code) holds none of them.
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Excel, LibreOffice and Sheets start a formula (or a DDE call) with these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def has_controls(value: str, *, multiline: bool = False) -> bool:
    return (_CONTROL if multiline else _CONTROL_ONE_LINE).search(value) is not None


def refuse_controls(value: str, field: str, label: str | None = None, *, multiline: bool = False) -> str:
    """422 naming the field when the text holds control characters (line breaks only where allowed)."""
    if has_controls(value, multiline=multiline):
        raise ValidationError(f"{label or field}含有不可见的控制字符，请删除后重试", field=field)
    return value


def strip_controls(value: str, *, multiline: bool = False) -> str:
    """What older rows still hold, made safe to print: control characters become nothing,
    line breaks a space (unless the output keeps lines)."""
    if multiline:
        return _CONTROL.sub("", value)
    return _CONTROL.sub("", value).replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")


def csv_cell(value: str) -> str:
    """A CSV text cell Excel shows as text: a leading apostrophe before a formula start (OWASP)."""
    value = _CONTROL.sub("", value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def walk_json(value, path: str = "") -> None:
    """Refuse control characters (but tab and line breaks) anywhere in a decoded JSON body;
    one-line fields refuse line breaks where they are read (inputs.string)."""
    if isinstance(value, str):
        if _CONTROL.search(value):
            refuse_controls(value, path or "body", multiline=True)
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _CONTROL.search(key):
                raise ValidationError("字段名含有控制字符", field=path or "body")
            walk_json(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            walk_json(item, f"{path}[{index}]")
