"""Pages read through the console API's own views, so a page shows exactly the API's figures.

The views read `callers.current()` (the signed-in user, set by the console's
before_request) and the query string, which pages use with the same names.
"""
from __future__ import annotations

from typing import Any, Callable


def read(view: Callable, *args: Any) -> dict:
    result = view(*args)
    return result[0] if isinstance(result, tuple) else result
