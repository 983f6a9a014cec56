"""A fake of WeChat's server API on 127.0.0.1, spoken to over real HTTP.

Tests program it (which codes are valid, which errcodes to answer) and read
back what it was asked. It mimics the documented shapes: success bodies with
or without ``errcode``, errors as JSON with ``errcode``/``errmsg`` (the errmsg
carries a request id, as WeChat's does, so nobody matches on it).
"""
from __future__ import annotations

import io
import itertools
import threading
import time
import uuid

import qrcode
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

APPID = "wx-test-appid"
SECRET = "wx-test-secret"

ERRMSGS = {
    40029: "invalid code",
    40226: "code blocked",
    45011: "api minute-quota reach limit mustslower retry next minute",
    -1: "system error",
    40013: "invalid appid",
    40097: "invalid env_version",
    40129: "invalid scene",
    40169: "invalid length for scene, or the data is not json string",
    41030: "invalid page",
    45009: "reach max api daily quota limit",
}
# What getwxacodeunlimit accepts in a scene: letters, digits and these.
SCENE_CHARS = set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#$&'()*+,/:;=?@-._~")


def _err(errcode: int, errmsg: str | None = None):
    msg = errmsg or ERRMSGS.get(errcode, "error")
    return jsonify({"errcode": errcode, "errmsg": f"{msg}, rid: {uuid.uuid4().hex[:8]}"})


class FakeWechat:
    def __init__(self) -> None:
        self.app = Flask("fake_wechat")
        self.calls: list[tuple[str, dict]] = []
        self.codes: dict[str, str] = {}  # code -> openid, single use
        self.code_errors: dict[str, int] = {}  # code -> errcode to answer
        self.slow_codes: set[str] = set()
        self.omit_errcode_on_success = False
        self.access_tokens: dict[str, float] = {}  # token -> expiry (epoch seconds)
        self.token_lifetime = 7200
        self.wxacode_errors: list[int] = []  # errcodes getwxacodeunlimit answers next, in order
        self.published_pages = {"pages/scan/index"}  # what check_path=true accepts
        self.media_checks: dict[str, dict] = {}  # trace_id -> the media_check_async request body
        self.media_check_errors: list[int] = []  # errcodes media_check_async answers next, in order
        # subscribeMessage.send: template id -> {data key: key type}; openids with no accepted
        # subscription left (answered 43101); every message delivered, in order.
        self.subscribe_templates: dict[str, dict[str, str]] = {
            "tmpl-duty-reminder": {"thing1": "thing", "time2": "time", "thing3": "thing"}}
        self.refusing_openids: set[str] = set()
        self.subscribe_messages: list[dict] = []
        self.lock = threading.Lock()
        self._counter = itertools.count(1)
        self._routes()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- programming the fake -------------------------------------------------
    def issue_code(self, openid: str) -> str:
        """What wx.login would hand the phone for this user."""
        code = f"code-{next(self._counter)}-{uuid.uuid4().hex[:6]}"
        self.codes[code] = openid
        return code

    def calls_to(self, path: str) -> list[dict]:
        return [params for p, params in self.calls if p == path]

    def expire_access_tokens(self) -> None:
        """WeChat-side expiry: every token handed out so far now answers 42001."""
        self.access_tokens.clear()

    def token_error(self):
        """The error response for a bad ?access_token=, or None when it is valid."""
        token = request.args.get("access_token")
        if not token:
            return _err(41001, "access_token missing")
        expiry = self.access_tokens.get(token)
        if expiry is None:
            return _err(40001, "invalid credential, access_token is invalid or not latest")
        if expiry < time.time():
            return _err(42001, "access_token expired")
        return None

    # -- the API ---------------------------------------------------------------
    def _routes(self) -> None:
        app = self.app

        @app.get("/sns/jscode2session")
        def jscode2session():
            args = request.args.to_dict()
            self.calls.append(("/sns/jscode2session", args))
            if args.get("appid") != APPID or args.get("secret") != SECRET:
                return _err(40013)
            if args.get("grant_type") != "authorization_code":
                return _err(40002, "invalid grant_type")
            code = args.get("js_code", "")
            if code in self.slow_codes:
                time.sleep(3)
            if code in self.code_errors:
                return _err(self.code_errors[code])
            with self.lock:
                openid = self.codes.pop(code, None)  # a code works once
            if openid is None:
                return _err(40029)
            body = {"openid": openid, "session_key": "c2Vzc2lvbi1rZXktc2VjcmV0"}
            if not self.omit_errcode_on_success:
                body.update(errcode=0, errmsg="ok")
            return jsonify(body)

        @app.post("/cgi-bin/stable_token")
        def stable_token():
            body = request.get_json(silent=True)
            self.calls.append(("/cgi-bin/stable_token", body or {}))
            if not isinstance(body, dict):
                return _err(47001, "data format error")
            if body.get("appid") != APPID or body.get("secret") != SECRET:
                return _err(40013)
            with self.lock:
                now = time.time()
                live = [t for t, exp in self.access_tokens.items() if exp - now >= 300]
                if live and not body.get("force_refresh"):
                    token = live[0]  # normal mode: the same token while it is valid
                else:
                    token = f"ACCESS_{uuid.uuid4().hex}"
                    self.access_tokens[token] = now + self.token_lifetime
                return jsonify({"access_token": token, "expires_in": int(self.access_tokens[token] - now)})

        @app.post("/wxa/getwxacodeunlimit")
        def getwxacodeunlimit():
            body = request.get_json(silent=True)
            self.calls.append(("/wxa/getwxacodeunlimit", body if isinstance(body, dict) else {}))
            denied = self.token_error()
            if denied:
                return denied
            if not isinstance(body, dict):
                return _err(47001, "data format error")
            with self.lock:
                if self.wxacode_errors:
                    return _err(self.wxacode_errors.pop(0))
            scene, page = body.get("scene"), body.get("page", "")
            if not isinstance(scene, str) or not 1 <= len(scene) <= 32:
                return _err(40169)
            if not set(scene) <= SCENE_CHARS:
                return _err(40129)
            if not isinstance(page, str) or page.startswith("/") or "?" in page:
                return _err(41030)
            if body.get("check_path", True) and page and page not in self.published_pages:
                return _err(41030)
            if body.get("env_version", "release") not in ("release", "trial", "develop"):
                return _err(40097)
            width = min(max(int(body.get("width") or 430), 280), 1280)
            # A real round code cannot be decoded off the shelf; a QR code of what the phone
            # would be handed (the page and its scene) can, so tests can follow it.
            return Response(_code_jpeg(f"{page}?scene={scene}", width), mimetype="image/jpeg")

        @app.post("/wxa/media_check_async")
        def media_check_async():
            body = request.get_json(silent=True)
            self.calls.append(("/wxa/media_check_async", body if isinstance(body, dict) else {}))
            denied = self.token_error()
            if denied:
                return denied
            if not isinstance(body, dict):
                return _err(47001, "data format error")
            with self.lock:
                if self.media_check_errors:
                    return _err(self.media_check_errors.pop(0))
            url = body.get("media_url")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                return _err(47001, "data format error")
            if body.get("media_type") not in (1, 2) or body.get("version") != 2:
                return _err(47001, "data format error")
            if body.get("scene") not in (1, 2, 3, 4):
                return _err(40129, "invalid scene")
            if not isinstance(body.get("openid"), str) or not body["openid"]:
                return _err(40003, "invalid openid")
            trace_id = f"{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:8]}"
            self.media_checks[trace_id] = body
            return jsonify({"errcode": 0, "errmsg": "ok", "trace_id": trace_id})

        @app.post("/cgi-bin/message/subscribe/send")
        def subscribe_send():
            body = request.get_json(silent=True)
            self.calls.append(("/cgi-bin/message/subscribe/send", body if isinstance(body, dict) else {}))
            denied = self.token_error()
            if denied:
                return denied
            if not isinstance(body, dict):
                return _err(47001, "data format error")
            if not isinstance(body.get("touser"), str) or not body["touser"]:
                return _err(40003, "invalid openid")
            template = self.subscribe_templates.get(body.get("template_id"))
            if template is None:
                return _err(40037, "invalid template_id")
            page = body.get("page", "")
            if not isinstance(page, str) or page.startswith("/"):
                return _err(41030)
            data = body.get("data") if isinstance(body.get("data"), dict) else {}
            for key, kind in template.items():
                value = (data.get(key) or {}).get("value") if isinstance(data.get(key), dict) else None
                if not value:
                    return _err(47003, f"argument invalid! data.{key}.value is empty")
                if not _subscribe_value_ok(kind, value):
                    return _err(47003, f"argument invalid! data.{key}.value invalid")
            if body["touser"] in self.refusing_openids:
                return _err(43101, "user refuse to accept the msg")
            with self.lock:
                self.subscribe_messages.append(body)
                msgid = next(self._counter)
            return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})

        @app.post("/test/echo")
        def echo():
            """Not a WeChat API: any access-token-protected call, for testing token renewal."""
            return self.token_error() or jsonify({"errcode": 0, "echo": request.get_json()})

    def fetch_media(self, trace_id: str, fetch_base: str | None = None) -> "requests.Response":
        """Download a submitted media_url, as WeChat does before checking it.
        ``fetch_base`` replaces the URL's origin (tests serve the app on 127.0.0.1,
        not on its PUBLIC_BASE_URL)."""
        import requests
        from urllib.parse import urlsplit

        url = self.media_checks[trace_id]["media_url"]
        if fetch_base:
            parts = urlsplit(url)
            url = fetch_base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
        return requests.get(url, timeout=5)

    def push_media_check(self, trace_id: str, push_url: str, token: str, suggest: str = "pass",
                         label: int = 100) -> "requests.Response":
        """Deliver the wxa_media_check event to the app's message push URL, signed
        with the push Token as WeChat does in plaintext mode."""
        import hashlib
        import requests

        timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
        signature = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()
        event = {
            "ToUserName": "gh_0123456789ab", "FromUserName": self.media_checks[trace_id]["openid"],
            "CreateTime": int(time.time()), "MsgType": "event", "Event": "wxa_media_check",
            "appid": APPID, "trace_id": trace_id, "version": 2,
            "result": {"suggest": suggest, "label": str(label)},
            "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest,
                        "label": str(label), "prob": 90}],
        }
        return requests.post(push_url, params={"signature": signature, "timestamp": timestamp,
                                               "nonce": nonce}, json=event, timeout=5)

    def refuse_subscriptions(self, openid: str) -> None:
        """From now on this user answers 43101: no accepted subscription left."""
        self.refusing_openids.add(openid)

    def subscribe_messages_to(self, openid: str) -> list[dict]:
        return [message for message in self.subscribe_messages if message["touser"] == openid]

    def start(self) -> "FakeWechat":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()


def _code_jpeg(text: str, width: int) -> bytes:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    image = code.make_image().get_image().convert("RGB").resize((width, width))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def _subscribe_value_ok(kind: str, value: str) -> bool:
    """The documented limits of subscription message values (订阅消息参数值内容限制)."""
    import re

    if kind == "thing":
        return len(value) <= 20
    if kind == "time":
        one = r"(\d{4}年\d{1,2}月\d{1,2}日 )?\d{1,2}:\d{2}"
        return re.fullmatch(rf"{one}(\s*~\s*{one})?", value) is not None
    if kind == "phrase":
        return len(value) <= 5 and all("\u4e00" <= ch <= "\u9fff" for ch in value)
    return len(value) <= 32
