"""URL converters shared by every blueprint.

Ids in paths are the tables' integer keys (32-bit on PostgreSQL). A number the
database cannot hold is not a row anyone can have, so it must not match the route
at all: it is then a plain 404 instead of an overflow inside SQLite's driver or an
out-of-range error from PostgreSQL (both were 500s).
"""
from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

ID_MAX = 2**31 - 1  # PostgreSQL's `integer`, the type of every primary key


class IdConverter(IntegerConverter):
    """``<int:...>`` limited to what an id column can hold (0 … 2**31 - 1)."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002  (werkzeug's name)
        kwargs.setdefault("max", ID_MAX)
        super().__init__(map, *args, **kwargs)


def register(app: Flask) -> None:
    """Replace ``int`` before any blueprint is registered: rules bind their converter when added."""
    app.url_map.converters["int"] = IdConverter
