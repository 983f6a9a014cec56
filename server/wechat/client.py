"""A small client for WeChat's server API, over HTTP with `requests`.

Errors are matched on ``errcode`` only; ``errmsg`` is free text that WeChat
changes (it carries a request id) and is only logged. A success body may omit
``errcode``.
"""
from __future__ import annotations

import logging

from server.errors import ApiError

log = logging.getLogger(__name__)

# errcode -> (our code, HTTP status, Chinese message) for sns/jscode2session.
LOGIN_ERRORS = {
    40029: ("WECHAT_CODE_INVALID", 401, "微信登录凭证无效或已使用，请重新进入小程序"),
    40163: ("WECHAT_CODE_INVALID", 401, "微信登录凭证已被使用，请重新进入小程序"),
    40226: ("WECHAT_USER_BLOCKED", 403, "微信判定该账号存在风险，暂时无法登录"),
    45011: ("WECHAT_RATE_LIMITED", 429, "登录过于频繁，请一分钟后再试"),
    -1: ("WECHAT_UNAVAILABLE", 503, "微信服务繁忙，请稍后重试"),
}
UNAVAILABLE = ("WECHAT_UNAVAILABLE", 503, "暂时无法连接微信服务，请稍后重试")


class WechatError(ApiError):
    """WeChat answered with an errcode we map, or could not be reached."""

    def __init__(self, mapped: tuple[str, int, str], errcode: int | None = None) -> None:
        code, status, message = mapped
        super().__init__(message, code=code, status=status)
        self.errcode = errcode


class WechatClient:
    def __init__(self, base_url: str, appid: str, secret: str, timeout: float = 5.0,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self.secret = secret
        self.timeout = timeout
        if session is None:
            import requests  # imported on first use: a command that never calls WeChat starts faster

            session = requests.Session()
        self.http = session

    def _get_json(self, path: str, params: dict) -> dict:
        import requests

        try:
            response = self.http.get(f"{self.base_url}{path}", params=params, timeout=self.timeout)
            body = response.json()
        except (requests.RequestException, ValueError) as exc:
            log.warning("wechat %s unreachable or not JSON: %s", path, exc.__class__.__name__)
            raise WechatError(UNAVAILABLE) from exc
        if not isinstance(body, dict):
            raise WechatError(UNAVAILABLE)
        return body

    def code2session(self, code: str) -> str:
        """Exchange a wx.login code for the user's openid. The session key stays here."""
        body = self._get_json("/sns/jscode2session", {
            "appid": self.appid, "secret": self.secret, "js_code": code,
            "grant_type": "authorization_code"})
        errcode = body.get("errcode") or 0
        if errcode != 0:
            log.warning("jscode2session errcode=%s errmsg=%s", errcode, body.get("errmsg"))
            mapped = LOGIN_ERRORS.get(errcode, ("WECHAT_ERROR", 502, "微信登录失败，请稍后重试"))
            raise WechatError(mapped, errcode)
        openid = body.get("openid")
        if not isinstance(openid, str) or not openid:
            log.warning("jscode2session success without openid")
            raise WechatError(("WECHAT_ERROR", 502, "微信登录失败，请稍后重试"))
        return openid


def client_from_config(config) -> WechatClient:
    return WechatClient(config["WECHAT_API_BASE"], config["WECHAT_APPID"], config["WECHAT_SECRET"],
                        config["WECHAT_TIMEOUT"])
