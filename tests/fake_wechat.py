"""A fake of WeChat's server API on 127.0.0.1, spoken to over real HTTP.

Tests program it (which codes are valid, which errcodes to answer) and read
back what it was asked. It mimics the documented shapes: success bodies with
or without ``errcode``, errors as JSON with ``errcode``/``errmsg`` (the errmsg
carries a request id, as WeChat's does, so nobody matches on it).
"""
from __future__ import annotations

import itertools
import threading
import time
import uuid

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

APPID = "wx-test-appid"
SECRET = "wx-test-secret"

ERRMSGS = {
    40029: "invalid code",
    40226: "code blocked",
    45011: "api minute-quota reach limit mustslower retry next minute",
    -1: "system error",
    40013: "invalid appid",
}


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

        @app.post("/test/echo")
        def echo():
            """Not a WeChat API: any access-token-protected call, for testing token renewal."""
            return self.token_error() or jsonify({"errcode": 0, "echo": request.get_json()})

    def start(self) -> "FakeWechat":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
