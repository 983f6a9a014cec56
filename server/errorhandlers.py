"""One JSON error envelope for every API path; blueprints cannot catch 404/405 themselves."""
from __future__ import annotations

import sqlite3

from flask import Flask, current_app, g, jsonify, render_template, request, session
from sqlalchemy import exc as sa_exc
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from server import request_log
from server.errors import ApiError

API_PREFIXES = ("/api/",)

# Chinese messages for the HTTP errors Werkzeug raises before our code runs.
_HTTP_CODES = {
    400: ("BAD_REQUEST", "请求格式有误"),
    401: ("UNAUTHORIZED", "请先登录"),
    403: ("FORBIDDEN", "没有权限进行此操作"),
    404: ("NOT_FOUND", "找不到该地址或记录"),
    405: ("METHOD_NOT_ALLOWED", "不支持该请求方法"),
    413: ("PAYLOAD_TOO_LARGE", "上传内容过大"),
    415: ("UNSUPPORTED_MEDIA_TYPE", "不支持的内容类型"),
    429: ("RATE_LIMITED", "请求过于频繁，请稍后再试"),
}


def _wants_json() -> bool:
    return request.path.startswith(API_PREFIXES)


def error_response(code: str, message: str, status: int, **details):
    body = {"code": code, "message": message}
    body.update(details)
    return jsonify({"error": body}), status


_PAGE_TITLES = {
    400: "请求有误", 403: "没有权限", 404: "找不到该页面", 405: "不支持该操作", 413: "上传内容过大",
    422: "未能保存", 429: "操作过于频繁", 500: "系统出错了", 503: "系统繁忙",
}
_PAGE_MESSAGES = {
    403: "您的账号没有权限查看或进行此操作。如需开通，请联系管理员。",
    404: "您要找的页面或记录不存在，或不在您的管理范围内。",
    500: "服务器内部错误，已记录下来。请稍后重试；如果一直出现，请联系管理员。",
    503: "系统繁忙，请稍后重试。",
}


def _page_caller():
    """Error pages keep the console's frame (menu included) for a signed-in user."""
    if getattr(g, "caller", None) is None and session.get("uid"):
        from server import callers
        try:
            caller = callers.load(session["uid"])
        except Exception:  # noqa: BLE001  (the database may be what failed)
            caller = None
        if caller is not None and caller.is_console and caller.status == "active":
            g.caller = caller


def error_page(status: int, message: str | None = None):
    _page_caller()
    fallback = _HTTP_CODES.get(status, ("", "请求无法处理"))[1]
    return render_template("console/error.html", status=status, title=_PAGE_TITLES.get(status, "无法完成操作"),
                           message=message or _PAGE_MESSAGES.get(status) or fallback,
                           back=request.referrer), status


def _route() -> str:
    """The route's template for the log: a concrete path may carry a QR token or a code."""
    return request.url_rule.rule if request.url_rule is not None else "<unmatched>"


def _path_exists(err: MethodNotAllowed) -> bool:
    """Whether one of the methods Werkzeug offers really matches this path: an integer the
    converter refuses (beyond the database's range) makes it offer another rule's methods."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    for method in err.valid_methods or ():
        try:
            adapter.match(request.path, method=method)
            return True
        except HTTPException:
            continue
    return False


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        headers = {}
        if err.details.get("retry_after"):
            headers["Retry-After"] = str(int(err.details["retry_after"]))
        if not _wants_json():
            page, status = error_page(err.status, err.message)
            return page, status, headers
        return jsonify(err.to_dict()), err.status, headers

    @app.errorhandler(CSRFError)
    def _csrf_error(err: CSRFError):
        message = "页面已过期或来源不明，请刷新页面后重试"
        if _wants_json():
            return error_response("CSRF_FAILED", message, 400)
        app.logger.warning("csrf failed: %s", err.description)
        return error_page(400, message)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        if isinstance(err, MethodNotAllowed) and not _path_exists(err):
            err = NotFound()  # e.g. an id beyond the database's range: no method would find it
        if not _wants_json():
            if err.code and err.code >= 400 and request.path.startswith("/console"):
                return error_page(err.code, _PAGE_MESSAGES.get(err.code))
            return err
        code, message = _HTTP_CODES.get(err.code or 500, ("HTTP_ERROR", "请求无法处理"))
        if isinstance(err, RequestEntityTooLarge):
            limit = app.config.get("MAX_CONTENT_LENGTH")
            return error_response(code, message, 413, max_bytes=limit)
        body, status = error_response(code, message, err.code or 500)
        # A 405 names the methods the path does take (RFC 9110), as Werkzeug's own page does.
        allowed = {k: v for k, v in err.get_headers() if k == "Allow"}
        return body, status, allowed

    def _database_unavailable(err: Exception):
        # The database is down, restarting or (SQLite) locked past the busy timeout: say "try
        # again" rather than "internal error"; the retry a volunteer makes is safe.
        app.logger.exception("database unavailable on %s %s", request.method, _route())
        request_log.count(app, "database")
        from server.db import db
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001  (the session's connection may be the broken one)
            app.logger.warning("rollback failed after a database error")
        if _wants_json():
            return error_response("DATABASE_UNAVAILABLE", "系统繁忙，请稍后重试", 503)
        return error_page(503)

    for kind in _operational_errors(app.config.get("SQLALCHEMY_DATABASE_URI") or ""):
        app.register_error_handler(kind, _database_unavailable)

    def _redis_unavailable(err: Exception):
        # Redis holds only what can be rebuilt; a request that needs it now waits for it to return.
        app.logger.warning("redis unavailable on %s %s: %s", request.method, _route(), err.__class__.__name__)
        request_log.count(app, "redis")
        if _wants_json():
            return error_response("REDIS_UNAVAILABLE", "系统繁忙，请稍后重试", 503)
        return "系统繁忙，请稍后重试", 503

    if app.config.get("REDIS_URL"):  # only a deployment with Redis loads its client
        import redis

        for kind in (redis.ConnectionError, redis.TimeoutError):
            app.register_error_handler(kind, _redis_unavailable)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, _route())
        from server.db import db
        db.session.rollback()
        if _wants_json():
            return error_response("INTERNAL_ERROR", "服务器内部错误，请稍后重试", 500)
        return error_page(500)


def _operational_errors(database_url: str) -> list[type[Exception]]:
    """The scan path's raw DB-API errors too; only a PostgreSQL deployment loads its driver."""
    kinds: list[type[Exception]] = [sa_exc.OperationalError, sqlite3.OperationalError]
    if database_url.startswith("postgresql"):
        import psycopg

        kinds.append(psycopg.OperationalError)
    return kinds
