"""Subscription messages (subscribeMessage.send): one message per acceptance the user gave
in the mini-program (wx.requestSubscribeMessage)."""
from __future__ import annotations

from server.wechat.access_token import AccessTokens, errcode_of
from server.wechat.client import WechatError

SEND_PATH = "/cgi-bin/message/subscribe/send"
REFUSED = 43101  # the user has no accepted subscription left for this template
THING_MAX = 20  # characters a template "thing" value may hold


def send(tokens: AccessTokens, message: dict) -> tuple[str, int | None]:
    """(result, errcode): ``sent``, ``refused`` (43101), ``failed`` (another errcode) or
    ``unreachable`` (WeChat did not answer)."""
    try:
        response = tokens.post(SEND_PATH, message)
    except WechatError:
        return "unreachable", None
    errcode = errcode_of(response)
    if errcode in (0, None):
        return "sent", None
    return ("refused" if errcode == REFUSED else "failed"), errcode
