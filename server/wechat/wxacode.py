"""Official WeChat mini-program codes (the round "sun" codes) for posters.

With WeChat credentials configured, a poster carries the code WeChat draws
for ``wxa/getwxacodeunlimit`` with the post's compact scene
(``<post id>.<qr version>.<signature>``, what ``checkin.posts.qr_scene`` gives)
instead of the plain QR code. Each code is fetched once per post and QR
version and kept in the database (``WxaCode``); a rotation gives the post a new
scene, so the next poster fetches a new code.

WeChat answers an image on success and JSON with an errcode on failure, both
with HTTP 200, so the reply is read by its Content-Type. Whatever goes wrong
(no access token, an errcode, a timeout, a body that is not an image) the
poster gets the plain QR code instead, which opens the same post, and a
warning is logged: a coordinator is never left without posters because WeChat
is having a bad day.
"""
from __future__ import annotations

import hashlib
import io
import logging
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Sequence

import sqlalchemy as sa
from flask import current_app
from PIL import Image
from sqlalchemy.exc import IntegrityError

from server.wechat import access_token
from server.wechat.client import WechatError
from server.db import db
from server.models import Post, WxaCode

log = logging.getLogger(__name__)

PATH = "/wxa/getwxacodeunlimit"
# The largest code WeChat draws: a poster prints it 9.5 cm (A5) to 13.5 cm (A4) wide.
WIDTH = 1280
# Codes fetched at once for a batch: the cost is WeChat's latency, not our CPU,
# and 200 posts one after another at ~0.2 s each would outlast a web request.
FETCH_THREADS = 4
_codes = WxaCode.__table__


class Unavailable(Exception):
    """WeChat gave no usable code; the text says why, for the log."""


def configured(config) -> bool:
    return bool(config.get("WECHAT_APPID") and config.get("WECHAT_SECRET"))


@dataclass(frozen=True)
class CodeRequest:
    """What a code is asked for with; a kept code is reused only for the same request."""

    appid: str
    scene: str
    page: str
    env_version: str

    def body(self) -> dict:
        # check_path false: posters are printed before the scan page is published,
        # and WeChat would otherwise refuse the code (41030).
        return {"scene": self.scene, "page": self.page, "check_path": False, "env_version": self.env_version,
                "width": WIDTH, "auto_color": False, "line_color": {"r": 0, "g": 0, "b": 0}, "is_hyaline": False}


class OfficialCodes:
    """Official codes for one batch of posters (an export, a download).

    After the first failure the rest of the batch prints plain QR codes, so an
    unreachable WeChat costs one round of timeouts (FETCH_THREADS side by
    side), not one per post.
    """

    def __init__(self, config, now: datetime, scene_of: Callable[[Post], str]) -> None:
        # The scene (what the code opens) is the post's signed token: check-in makes it,
        # so it is handed in rather than imported from there.
        self.config = config
        self.now = now
        self.scene_of = scene_of
        self.enabled = configured(config)
        self.failure: str | None = None
        self._tokens = None

    def request_for(self, post: Post) -> CodeRequest:
        return CodeRequest(self.config["WECHAT_APPID"], self.scene_of(post),
                           self.config["WECHAT_SCAN_PAGE"].lstrip("/"), self.config["WECHAT_ENV_VERSION"])

    def ensure(self, post: Post) -> str | None:
        """The SHA-256 of the post's official code, fetched unless already kept;
        None means: print the plain QR code."""
        if not self.enabled:
            return None
        wanted = self.request_for(post)
        kept = _kept(post, wanted)
        if kept is not None or self.failure is not None:
            return kept
        try:
            content_type, image = self._fetch(wanted)
        except Unavailable as exc:
            self._give_up(post, exc)
            return None
        return _keep(post, wanted, content_type, image, self.now)

    def prefetch(self, posts: Sequence[Post], progress: Callable[[int], None] | None = None) -> None:
        """Fetch the codes not kept yet, FETCH_THREADS at a time; ``progress`` gets the count of posts done."""
        if not self.enabled or self.failure is not None:
            return
        todo = [(post, wanted) for post in posts
                if _kept(post, wanted := self.request_for(post)) is None]
        already = len(posts) - len(todo)
        if not todo:
            return
        self._tokens = self._tokens or access_token.from_config(self.config)
        try:
            self._tokens.get()  # once here, rather than by every thread at once
        except WechatError as exc:
            self._give_up(todo[0][0], Unavailable(f"WeChat unreachable or no access token: {exc.code}"))
            return
        app = current_app._get_current_object()
        stop = threading.Event()

        def fetch(wanted: CodeRequest) -> tuple[str, bytes] | Unavailable | None:
            if stop.is_set():  # another fetch failed: the batch prints plain QR codes
                return None
            with app.app_context():  # its own database session for the token cache
                try:
                    return self._fetch(wanted)
                except Exception as exc:  # noqa: BLE001  any failure means: print the plain QR code
                    stop.set()
                    return exc if isinstance(exc, Unavailable) else Unavailable(repr(exc))

        with ThreadPoolExecutor(FETCH_THREADS) as pool:
            futures = {pool.submit(fetch, wanted): (post, wanted) for post, wanted in todo}
            for done, future in enumerate(as_completed(futures), 1):
                post, wanted = futures[future]
                result = future.result()
                if isinstance(result, Unavailable):
                    if self.failure is None:
                        self._give_up(post, result)
                elif result is not None:
                    _keep(post, wanted, *result, self.now)
                if progress:
                    progress(already + done)

    def _give_up(self, post: Post, exc: Unavailable) -> None:
        self.failure = str(exc)
        log.warning("post %s: no official mini-program code (%s); printing the plain QR code instead, "
                    "and for the rest of this batch", post.id, exc)

    def _fetch(self, wanted: CodeRequest) -> tuple[str, bytes]:
        if self._tokens is None:
            self._tokens = access_token.from_config(self.config)
        try:
            # Renews the shared token once if WeChat answers 40001/40014/42001.
            response = self._tokens.post(PATH, wanted.body())
        except WechatError as exc:
            raise Unavailable(f"WeChat unreachable or no access token: {exc.code}") from None
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if response.status_code == 200 and content_type.startswith("image/"):
            try:
                Image.open(io.BytesIO(response.content)).verify()
            except Exception:
                raise Unavailable(f"WeChat sent {len(response.content)} bytes of {content_type} "
                                  "that are not an image") from None
            return content_type, response.content
        errcode, errmsg = _error_of(response)
        if errcode is not None:
            raise Unavailable(f"errcode={errcode} errmsg={errmsg}")
        raise Unavailable(f"HTTP {response.status_code} with {content_type or 'no content type'}")


def _kept(post: Post, wanted: CodeRequest) -> str | None:
    """The SHA-256 of the code kept for this post, version and request, if any."""
    kept = db.session.execute(
        sa.select(_codes.c.sha256, _codes.c.appid, _codes.c.scene, _codes.c.page, _codes.c.env_version)
        .where(_codes.c.post_id == post.id, _codes.c.qr_version == post.qr_version)).first()
    if kept is not None and CodeRequest(kept.appid, kept.scene, kept.page, kept.env_version) == wanted:
        return kept.sha256
    return None


def image(post_id: int, qr_version: int) -> bytes | None:
    """The kept code's image bytes (JPEG as WeChat sent it)."""
    return db.session.execute(sa.select(_codes.c.image).where(
        _codes.c.post_id == post_id, _codes.c.qr_version == qr_version)).scalar_one_or_none()


def _keep(post: Post, wanted: CodeRequest, content_type: str, data: bytes, now: datetime) -> str:
    digest = hashlib.sha256(data).hexdigest()
    # Older versions' codes are dead (their posters are refused at scan time);
    # a code of this version made for another page or build is stale.
    db.session.execute(sa.delete(_codes).where(_codes.c.post_id == post.id,
                                               _codes.c.qr_version <= post.qr_version))
    try:
        db.session.execute(sa.insert(_codes).values(
            post_id=post.id, qr_version=post.qr_version, appid=wanted.appid, scene=wanted.scene,
            page=wanted.page, env_version=wanted.env_version, content_type=content_type, image=data,
            sha256=digest, fetched_at=now))
        db.session.commit()
    except IntegrityError:
        # Another process kept one at the same moment: use theirs, so every copy matches.
        db.session.rollback()
        theirs = db.session.execute(sa.select(_codes.c.sha256).where(
            _codes.c.post_id == post.id, _codes.c.qr_version == post.qr_version)).scalar_one_or_none()
        return theirs or digest
    return digest


def _error_of(response) -> tuple[int | None, str | None]:
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    return body.get("errcode"), body.get("errmsg")
