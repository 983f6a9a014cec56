"""Domain errors and the JSON error envelope.

Every API error leaves the server as
``{"error": {"code": "UPPER_SNAKE", "message": "中文说明", ...details}}``.
Services raise :class:`ApiError` (or a subclass); views never build error
bodies by hand.
"""
from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error a client can act on: a code, a Chinese message, an HTTP status."""

    status = 400
    code = "BAD_REQUEST"
    message = "请求有误"

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 status: int | None = None, **details: Any) -> None:
        super().__init__(message or self.message)
        if message is not None:
            self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        body.update(self.details)
        return {"error": body}


class BadRequest(ApiError):
    status, code, message = 400, "BAD_REQUEST", "请求格式有误"


class ValidationError(ApiError):
    """422 naming the offending field: ``ValidationError("手机号格式不正确", field="phone")``."""

    status, code, message = 422, "VALIDATION_ERROR", "提交的内容有误"


class Unauthorized(ApiError):
    status, code, message = 401, "UNAUTHORIZED", "请先登录"


class Forbidden(ApiError):
    status, code, message = 403, "FORBIDDEN", "没有权限进行此操作"


class NotFound(ApiError):
    status, code, message = 404, "NOT_FOUND", "找不到该记录"


class Conflict(ApiError):
    status, code, message = 409, "CONFLICT", "操作与当前状态冲突"


class ServiceUnavailable(ApiError):
    status, code, message = 503, "SERVICE_UNAVAILABLE", "服务暂时不可用，请稍后重试"
