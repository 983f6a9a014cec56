"""WeChat's server access token, fetched from ``cgi-bin/stable_token`` and shared by every process.

The stable token is idempotent in normal mode (repeated calls within its life
return the same token), so two workers refreshing at once do not knock each
other out; the shared cache (Redis when REDIS_URL is set, else the database)
just saves quota. We refresh five minutes before expiry and once more when an
API answers 40001/40014/42001. ``force_refresh`` is never used automatically:
WeChat allows it 20 times a day.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from server.wechat.client import UNAVAILABLE, WechatClient, WechatError
from server.db import db
from server.models import WechatToken

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})


class TokenCache:
    """Where the token lives between requests: the database, or Redis if configured."""

    def __init__(self, appid: str, redis_url: str = "") -> None:
        self.appid = appid
        self.redis = None
        if redis_url:
            import redis
            self.redis = redis.Redis.from_url(redis_url, socket_timeout=2)

    def _key(self) -> str:
        return f"redvest:wechat:access_token:{self.appid}"

    def load(self, now: datetime) -> str | None:
        if self.redis is not None:
            try:
                value = self.redis.get(self._key())
                return value.decode() if value else None
            except Exception as exc:  # Redis down: fall through to WeChat rather than fail
                log.warning("redis unavailable for token cache: %s", exc)
                return None
        row = db.session.get(WechatToken, self.appid)
        if row is None or row.expires_at - now < REFRESH_MARGIN:
            return None
        return row.access_token

    def store(self, token: str, expires_at: datetime, now: datetime) -> None:
        if self.redis is not None:
            ttl = int((expires_at - now - REFRESH_MARGIN).total_seconds())
            if ttl > 0:
                try:
                    self.redis.set(self._key(), token, ex=ttl)
                except Exception as exc:
                    log.warning("redis unavailable for token cache: %s", exc)
            return
        table = WechatToken.__table__
        # One upsert: two processes storing at once must not collide on the primary key.
        dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
        db.session.execute(dialect.insert(table).values(appid=self.appid, access_token=token, expires_at=expires_at)
                           .on_conflict_do_update(index_elements=[table.c.appid],
                                                  set_={"access_token": token, "expires_at": expires_at}))
        db.session.commit()

    def forget(self, token: str) -> None:
        """Drop the cached token if it is still the one that failed (another process may have renewed it)."""
        if self.redis is not None:
            try:
                if (self.redis.get(self._key()) or b"").decode() == token:
                    self.redis.delete(self._key())
            except Exception as exc:
                log.warning("redis unavailable for token cache: %s", exc)
            return
        table = WechatToken.__table__
        db.session.execute(sa.delete(table).where(table.c.appid == self.appid, table.c.access_token == token))
        db.session.commit()


class AccessTokens:
    def __init__(self, client: WechatClient, cache: TokenCache) -> None:
        self.client = client
        self.cache = cache

    def get(self, now: datetime | None = None) -> str:
        now = now or datetime.now(timezone.utc)
        token = self.cache.load(now)
        if token:
            return token
        return self._fetch(now)

    def _fetch(self, now: datetime) -> str:
        import requests

        try:
            response = self.client.http.post(
                f"{self.client.base_url}/cgi-bin/stable_token", timeout=self.client.timeout,
                json={"grant_type": "client_credential", "appid": self.client.appid,
                      "secret": self.client.secret, "force_refresh": False})
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("stable_token unreachable: %s", exc.__class__.__name__)
            raise WechatError(UNAVAILABLE) from exc
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            log.warning("stable_token errcode=%s errmsg=%s", body.get("errcode") if isinstance(body, dict) else None,
                        body.get("errmsg") if isinstance(body, dict) else None)
            raise WechatError(UNAVAILABLE, body.get("errcode") if isinstance(body, dict) else None)
        expires_at = now + timedelta(seconds=int(body.get("expires_in", 7200)))
        self.cache.store(token, expires_at, now)
        return token

    def post(self, path: str, payload: dict) -> requests.Response:
        """POST JSON to an access-token API, renewing the token once if WeChat says it is stale.

        Returns the raw response: some APIs answer with an image on success and
        JSON on failure, so the caller decides how to read it.
        """
        import requests

        for attempt in (1, 2):
            token = self.get()
            try:
                response = self.client.http.post(f"{self.client.base_url}{path}",
                                                 params={"access_token": token}, json=payload,
                                                 timeout=self.client.timeout)
            except requests.RequestException as exc:
                log.warning("wechat %s unreachable: %s", path, exc.__class__.__name__)
                raise WechatError(UNAVAILABLE) from exc
            if attempt == 1 and errcode_of(response) in TOKEN_ERRCODES:
                log.info("wechat %s: access token rejected, renewing", path)
                self.cache.forget(token)
                continue
            return response
        return response


def errcode_of(response: requests.Response) -> int | None:
    """The errcode of a JSON reply, or None for a non-JSON (e.g. image) reply."""
    if "json" not in response.headers.get("Content-Type", "") and not response.content.startswith(b"{"):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("errcode") if isinstance(body, dict) else None


def from_config(config) -> AccessTokens:
    from server.wechat.client import client_from_config
    return AccessTokens(client_from_config(config), TokenCache(config["WECHAT_APPID"], config.get("REDIS_URL", "")))
