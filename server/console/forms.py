"""Reading HTML form fields into values; junk becomes a ValidationError naming the field."""
from __future__ import annotations

import math
from datetime import date

from flask import request

from server import textsafety
from server.errors import ValidationError


def text(name: str, *, max_length: int = 500, multiline: bool = False) -> str:
    value = (request.form.get(name) or "").strip()[:max_length]
    return textsafety.refuse_controls(value, name, multiline=multiline)


def optional_float(name: str, label: str) -> float | None:
    raw = (request.values.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValidationError(f"{label}必须是数字", field=name)
    if not math.isfinite(value):
        raise ValidationError(f"{label}必须是数字", field=name)
    return value


def optional_int(name: str, label: str) -> int | None:
    raw = (request.values.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(f"{label}必须是整数", field=name)


def optional_date(name: str, label: str) -> date | None:
    raw = (request.values.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValidationError(f"{label}应为日期，如 2026-11-26", field=name)


def checkbox(name: str) -> bool:
    return request.form.get(name) in ("on", "1", "true")
