"""Configuration: safe defaults, overridden by environment variables, then by a test mapping."""
from __future__ import annotations

import os

DEV_SECRET_KEY = "dev-insecure-secret-key"

# name -> (default, parser). Every setting the app reads lives here so the README's
# configuration table and the code cannot drift apart.
_SETTINGS: dict[str, tuple[object, type]] = {
    "SECRET_KEY": (DEV_SECRET_KEY, str),
    "DATABASE_URL": ("", str),
    "WECHAT_APPID": ("", str),
    "WECHAT_SECRET": ("", str),
    "WECHAT_API_BASE": ("https://api.weixin.qq.com", str),
    "WECHAT_TIMEOUT": (5.0, float),
    "PUBLIC_BASE_URL": ("http://127.0.0.1:5000", str),
    "TIMEZONE": ("Asia/Shanghai", str),
    "REDVEST_ENV": ("development", str),
    "REDIS_URL": ("", str),
    "TOKEN_TTL_SECONDS": (7 * 24 * 3600, int),
    "CONSOLE_TOKEN_TTL_SECONDS": (12 * 3600, int),
    # Shift rules (hours.py)
    "MAX_SHIFT_MINUTES": (240, int),
    "MIN_SHIFT_MINUTES": (15, int),
    # Geofence allowance for the phone's reported accuracy, in metres (geo.py)
    "GEOFENCE_ACCURACY_ALLOWANCE_M": (50.0, float),
    "GEOFENCE_DEFAULT_RADIUS_M": (100.0, float),
    "SQLITE_BUSY_TIMEOUT_MS": (30000, int),
}


def _parse_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(environ: dict | None = None) -> dict:
    """Read every known setting from the environment, falling back to its default."""
    environ = os.environ if environ is None else environ
    settings = {}
    for name, (default, kind) in _SETTINGS.items():
        raw = environ.get(name)
        if raw is None or raw == "":
            settings[name] = default
        elif kind is bool:
            settings[name] = _parse_bool(raw)
        else:
            settings[name] = kind(raw)
    return settings


def is_production(config: dict) -> bool:
    """Production mode: real WeChat credentials are configured, or it is declared."""
    return bool(config.get("WECHAT_APPID")) or config.get("REDVEST_ENV") == "production"


def dev_login_allowed(config: dict) -> bool:
    """`dev:<id>` login codes work only while no WeChat app is configured."""
    return not config.get("WECHAT_APPID")
