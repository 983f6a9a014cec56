"""Configuration: safe defaults, overridden by environment variables, then by a test mapping."""
from __future__ import annotations

import json
import os

DEV_SECRET_KEY = "dev-insecure-secret-key"
SECRET_KEY_MIN_LENGTH = 32


class ConfigError(SystemExit):
    """A setting the app refuses to run with. A SystemExit carrying a message: whichever process
    raises it (gunicorn's master, a ``flask`` command, a cron job) prints that one line on stderr
    and exits with status 1, without a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(f"redvest: refusing to start: {message}")

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
    # How many proxies (nginx) stand in front of the app: their X-Forwarded-For/-Proto/-Host are
    # trusted that many hops deep, so the client's address (sign-in lockouts) is the real one.
    # Prometheus metrics at /metrics: off while empty, else callers must send "Bearer <token>".
    "METRICS_TOKEN": ("", str),
    # One JSON line per request on the "redvest.access" logger (off: Werkzeug/gunicorn's own log only).
    "ACCESS_LOG": (True, bool),
    "TOKEN_TTL_SECONDS": (7 * 24 * 3600, int),
    # Console bearer tokens and console sessions: absolute lifetime, and the idle timeout of a session.
    "CONSOLE_TOKEN_TTL_SECONDS": (12 * 3600, int),
    "CONSOLE_IDLE_TIMEOUT_SECONDS": (30 * 60, int),
    # Retired SECRET_KEYs still accepted for tokens and sessions, comma-separated (Flask 3.1's setting).
    "SECRET_KEY_FALLBACKS": ((), list),
    # QR posters' signing key; empty = derived from SECRET_KEY as before, so existing posters keep
    # working. Set it to the old SECRET_KEY before rotating SECRET_KEY.
    "QR_SECRET_KEY": ("", str),
    # Behind a reverse proxy: how many proxies set X-Forwarded-For/-Proto/-Host (0 = none trusted).
    "TRUSTED_PROXIES": (0, int),
    # The privacy notice volunteers agree to (PIPL); a new version asks everyone again.
    "PRIVACY_VERSION": ("2026-12-02", str),  # 2026-12-02: problem reports (location, photos)
    "PRIVACY_URL": ("", str),  # empty = the notice this backend serves at /privacy
    # Rate limits (rate_limits.py), in the limits library's notation; RATE_LIMITS_ENABLED=0 turns them off.
    "RATE_LIMITS_ENABLED": (True, bool),
    "RATE_LIMIT_KEY_PREFIX": ("redvest", str),  # Redis keys: LIMITER/<prefix>/...
    "RATE_LIMIT_MP_LOGIN": ("30 per minute", str),  # per address
    "RATE_LIMIT_REGISTRATION": ("10 per minute", str),  # per user, and so on below
    "RATE_LIMIT_SCANS": ("30 per minute", str),
    "RATE_LIMIT_UPLOADS": ("30 per hour", str),
    "RATE_LIMIT_CONSOLE_LOGIN": ("10 per minute", str),  # per address
    "RATE_LIMIT_CERTIFICATES": ("20 per minute", str),
    "RATE_LIMIT_EXPORTS": ("20 per minute", str),
    "RATE_LIMIT_SEARCH": ("30 per minute", str),  # volunteer searches with q=
    "RATE_LIMIT_ROSTER_IMPORT": ("10 per minute", str),
    "PHOTO_RETENTION_DAYS": (365, int),
    "LOCATION_RETENTION_DAYS": (90, int),
    # Shift rules (hours.py)
    "MAX_SHIFT_MINUTES": (240, int),
    "MIN_SHIFT_MINUTES": (15, int),
    # Geofence allowance for the phone's reported accuracy, in metres (geo.py)
    "GEOFENCE_ACCURACY_ALLOWANCE_M": (50.0, float),
    "GEOFENCE_DEFAULT_RADIUS_M": (100.0, float),
    "SQLITE_BUSY_TIMEOUT_MS": (30000, int),
    # How often the console's on-duty board reloads itself, in seconds.
    "DUTY_REFRESH_SECONDS": (30, int),
    # Reviews and certificates (manual_shifts.py, certificates.py)
    "MANUAL_SHIFT_WORKING_DAYS": (10, int),
    "ISSUING_ORGANISATION": ("XX县创建全国文明城市指挥部", str),
    # Posters (posters.py, wxacode.py). POSTER_FONT: a CJK font file; empty = the pinned package's.
    "POSTER_FONT": ("", str),
    "POSTER_WORKERS": (2, int),
    "POSTER_CACHE_DIR": ("", str),  # console downloads kept for the day; empty = <instance>/poster-cache
    "CERTIFICATE_CACHE_DIR": ("", str),  # rendered certificate PDFs; empty = <instance>/certificate-cache
    # The mini-program page an official code opens, and which build of the app it opens.
    "WECHAT_SCAN_PAGE": ("pages/scan/index", str),
    "WECHAT_ENV_VERSION": ("release", str),
    # Photo evidence (photos.py). Request bodies above MAX_CONTENT_LENGTH are refused with 413.
    "MAX_CONTENT_LENGTH": (10 * 1024 * 1024, int),
    "STORAGE_URL": ("", str),  # file:///abs/dir or s3://bucket/prefix?endpoint_url=...; empty = <instance>/photos
    # Refused from the header, before decoding: 25 MP covers a phone's full-size photo (WeChat sends
    # compressed ones); a 49 MP PNG costs about 0.5 GB to decode.
    "PHOTO_MAX_PIXELS": (25_000_000, int),
    "PHOTO_MAX_PER_SHIFT": (9, int),
    "PHOTO_UPLOAD_WINDOW_MINUTES": (30, int),  # after a shift closed
    "PHOTO_URL_TTL_SECONDS": (600, int),
    "PHOTO_TIME_TOLERANCE_MINUTES": (60, int),  # EXIF time this far outside the shift flags it
    "PHOTO_REUSE_WINDOW_DAYS": (90, int),  # how far back near-duplicates are looked for
    # Optional WeChat content check (security.mediaCheckAsync); the verdict arrives by message push.
    "PHOTO_CONTENT_CHECK": (False, bool),
    "PHOTO_CHECK_URL_TTL_SECONDS": (6 * 3600, int),
    "WECHAT_PUSH_TOKEN": ("", str),  # the Token of 消息推送配置 (plaintext or compatible mode)
    # Rosters (rosters.py, coverage.py, late_missed.py, spot_checks.py, reminders.py)
    "LATE_AFTER_MINUTES": (15, int),  # an assigned volunteer not scanned in by then is late
    "COVERAGE_GRACE_MINUTES": (5, int),  # per needed volunteer: this much missing still counts as covered
    "SPOT_CHECK_MINUTES": (10, int),  # default time to answer a spot check
    "REMINDER_LEAD_MINUTES": (60, int),
    # Trust of the record (location_signals.py, post_rules.py, presence_checks.py)
    "PRESENCE_CHECK_RATE": (0.2, float),  # share of shifts the server asks for proof of presence
    "SPOT_CHECK_ANSWER_MINUTES": (10, int),  # time to answer a presence check
    "SCAN_EARLY_MINUTES": (15, int),  # a scan-in this long before an assigned slot counts as in it
    "PERSUASIONS_PER_HOUR_MAX": (120, int),
    "WECHAT_SPOT_CHECK_TEMPLATE_ID": ("", str),  # subscription message for presence checks; empty = none
    "WECHAT_SPOT_CHECK_PAGE": ("pages/spot-check/index", str),  # more persuasions an hour of the shift is implausible  # how long before a slot starts its reminder goes out
    "WECHAT_REMINDER_TEMPLATE_ID": ("", str),  # subscription message template; empty = reminders off
    # template keys for: post name (thing), time range (time), tip (thing)
    "WECHAT_REMINDER_FIELDS": ("thing1,time2,thing3", str),
    "WECHAT_REMINDER_PAGE": ("pages/roster/index", str),
    # Problems (server/problems): the reporter's message when the problem is fixed; empty = off.
    "WECHAT_PROBLEM_TEMPLATE_ID": ("", str),
    # template keys for: the problem (thing), its state (phrase), the unit's note (thing)
    "WECHAT_PROBLEM_FIELDS": ("thing1,phrase2,thing3", str),
    "WECHAT_PROBLEM_PAGE": ("pages/problems/detail", str),
    # Group check-in by a post leader with volunteers' cards (group_checkin.py).
    "GROUP_CHECKIN_MAX_CARDS": (20, int),  # cards in one request
    "GROUP_CHECKIN_DAILY_MAX": (30, int),  # shifts one leader may start for others in a county day
    "GROUP_PHOTO_MAX_AGE_MINUTES": (10, int),  # the group photo was uploaded this recently
    # Scans kept on the phone while offline (shifts.py): how old their scanned_at may be.
    "OFFLINE_SCAN_MAX_MINUTES": (30, int),
    # The link-QR rule's verification file (扫普通链接二维码打开小程序), served at /q/<name>.
    "WECHAT_QR_VERIFY_NAME": ("", str),
    "WECHAT_QR_VERIFY_CONTENT": ("", str),
    # Tests only: seconds added to the server's clock; ignored in production (clock.py).
    "CLOCK_OFFSET_SECONDS": (0, int),
}


def _parse_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(environ: dict | None = None) -> dict:
    """Read every known setting from the environment, falling back to its default.

    ``REDVEST_ENV_FILE`` names an env file (KEY=value lines, python-dotenv syntax) read first;
    variables set in the environment itself win over the file. Every process (gunicorn, the
    ``flask`` commands, systemd timers or cron jobs) builds its app here, so all of them see the
    same settings without each unit or crontab repeating them."""
    if environ is None:
        # The process's own environment: the file's variables join it (without overriding), so
        # libraries that read os.environ themselves (boto3's AWS_* keys) see them too.
        for key, value in read_env_file(os.environ.get("REDVEST_ENV_FILE", "")).items():
            os.environ.setdefault(key, value)
        environ = os.environ
    else:
        environ = {**read_env_file(environ.get("REDVEST_ENV_FILE", "")), **environ}
    settings = {}
    for name, (default, kind) in _SETTINGS.items():
        raw = environ.get(name)
        if raw is None or raw == "":
            settings[name] = default
        elif kind is bool:
            settings[name] = _parse_bool(raw)
        elif kind is list:
            settings[name] = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            settings[name] = kind(raw)
    return settings


def read_env_file(path: str) -> dict[str, str]:
    if not path:
        return {}
    if not os.path.isfile(path):
        raise ConfigError(f"REDVEST_ENV_FILE={path} does not exist")
    from dotenv import dotenv_values

    # Variables without a value ("KEY" alone) come back as None: treated as unset.
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def check_production(config: dict) -> None:
    """Refuse to run production with settings that would quietly do harm: posters and photo
    links pointing at http://127.0.0.1, or tokens anyone could forge with a known key."""
    if not is_production(config):
        return
    key = config.get("SECRET_KEY") or ""
    if key == DEV_SECRET_KEY or len(key) < SECRET_KEY_MIN_LENGTH:
        raise ConfigError(
            f"production needs a strong SECRET_KEY (a random string of at least {SECRET_KEY_MIN_LENGTH} "
            "characters, e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))')")
    base = config.get("PUBLIC_BASE_URL") or ""
    if not base.startswith("https://") or len(base) <= len("https://"):
        raise ConfigError(
            f"production needs PUBLIC_BASE_URL on https (the address printed on QR posters and "
            f"certificates), got {base or 'nothing'!r}")


def is_production(config: dict) -> bool:
    """Production mode: real WeChat credentials are configured, or it is declared."""
    return bool(config.get("WECHAT_APPID")) or config.get("REDVEST_ENV") == "production"


def dev_login_allowed(config: dict) -> bool:
    """`dev:<id>` login codes work only in development: never once production is declared or
    WeChat is configured, whatever else is set."""
    return not is_production(config)


def qr_secret(config) -> str:
    """The key QR payloads are signed with (qr.payload derives its HMAC key from it)."""
    return config.get("QR_SECRET_KEY") or config["SECRET_KEY"]


DEMO_FILE = "demo.json"


def remember_demo(instance_path: str, base_url: str) -> None:
    """Note where the demo serves, so other commands on this instance folder print links that work."""
    with open(os.path.join(instance_path, DEMO_FILE), "w", encoding="utf-8") as fp:
        json.dump({"public_base_url": base_url}, fp)


def demo_base_url(instance_path: str) -> str | None:
    """The demo's address, if a demo ran on this instance folder."""
    try:
        with open(os.path.join(instance_path, DEMO_FILE), encoding="utf-8") as fp:
            url = json.load(fp).get("public_base_url")
    except (OSError, ValueError, AttributeError):
        return None
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None
