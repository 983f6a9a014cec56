"""One JSON error envelope for every API path; blueprints cannot catch 404/405 themselves."""
from __future__ import annotations

import sqlite3

from flask import Flask, jsonify, render_template, request
from sqlalchemy import exc as sa_exc
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

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


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        if not _wants_json():
            return render_template("console/error.html", message=err.message, back=request.referrer), err.status
        return jsonify(err.to_dict()), err.status

    @app.errorhandler(CSRFError)
    def _csrf_error(err: CSRFError):
        message = "页面已过期或来源不明，请刷新页面后重试"
        if _wants_json():
            return error_response("CSRF_FAILED", message, 400)
        app.logger.warning("csrf failed: %s", err.description)
        return render_template("console/error.html", message=message, back=request.referrer), 400

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        if not _wants_json():
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
        app.logger.exception("database unavailable on %s %s", request.method, request.path)
        from server.db import db
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001  (the session's connection may be the broken one)
            app.logger.warning("rollback failed after a database error")
        if _wants_json():
            return error_response("DATABASE_UNAVAILABLE", "系统繁忙，请稍后重试", 503)
        return "系统繁忙，请稍后重试", 503

    for kind in _operational_errors(app.config.get("SQLALCHEMY_DATABASE_URI") or ""):
        app.register_error_handler(kind, _database_unavailable)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        from server.db import db
        db.session.rollback()
        if _wants_json():
            return error_response("INTERNAL_ERROR", "服务器内部错误，请稍后重试", 500)
        return "服务器内部错误", 500


def _operational_errors(database_url: str) -> list[type[Exception]]:
    """The scan path's raw DB-API errors too; only a PostgreSQL deployment loads its driver."""
    kinds: list[type[Exception]] = [sa_exc.OperationalError, sqlite3.OperationalError]
    if database_url.startswith("postgresql"):
        import psycopg

        kinds.append(psycopg.OperationalError)
    return kinds
