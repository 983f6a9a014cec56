"""JSON in and out through orjson.

Every API answer is JSON and the scan path's answer is the largest it sends
often; the standard library's encoder costs several times what orjson does
(bench/checkin.py). What reaches JSON is kept as Flask's own provider has it:
dates and datetimes, Decimal and anything else orjson does not know natively
go through Flask's ``default``; output is UTF-8 (no \\u escapes) with keys in
the order given.
"""
from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS


class OrjsonProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # asked for the standard library's formatting options (indent, separators...)
            return super().dumps(obj, **kwargs)
        return encode(obj, self.default).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return decode(s)

    def response(self, *args: Any, **kwargs: Any):
        obj = self._prepare_response_obj(args, kwargs)
        indent = (self.compact is None and self._app.debug) or self.compact is False
        body = encode(obj, self.default, orjson.OPT_INDENT_2 if indent else 0)
        return self._app.response_class(body + b"\n", mimetype=self.mimetype)


def encode(obj: Any, default=DefaultJSONProvider.default, extra_options: int = 0) -> bytes:
    return orjson.dumps(obj, default=default, option=_OPTIONS | extra_options)


def column_text(obj: Any) -> str:
    """The stored text of a JSON column (SQLAlchemy's ``json_serializer``): what the standard
    library's encoder would accept, in compact UTF-8; non-string keys become strings as there."""
    return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()


def decode(data: str | bytes) -> Any:
    """Parse JSON text; raises ValueError (orjson.JSONDecodeError) on anything malformed."""
    return orjson.loads(data)
