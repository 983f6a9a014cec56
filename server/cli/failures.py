"""How a Red Vest command fails: one Chinese line on stderr, never a traceback.

Exit code 2 for a command used wrongly (missing or bad option, unknown option or
command), 1 for everything else. With ``--json`` the API's error envelope
``{"error": {"code": ..., "message": ...}}`` is printed on stdout as well, so a
script reads the same shape it gets from the HTTP API.

Every command group and command of ours is built from :class:`Group` and
:class:`Command` below (``tests/test_cli_failures.py`` checks that none is left out).
"""
from __future__ import annotations

import json
import traceback

import click
from click import exceptions as cx

from server.errors import ApiError, Conflict

USAGE_EXIT, FAILURE_EXIT = 2, 1


class UsageFailure(ApiError):
    status, code, message = 400, "USAGE_ERROR", "命令用法有误"


def fail(err: ApiError, *, as_json: bool, exit_code: int = FAILURE_EXIT):
    """Print the failure and end the command."""
    line = " ".join(str(err.message).split())  # one line, whatever the message held
    field = err.details.get("field")
    if field and field not in line:
        line += f"（{field}）"
    click.echo(f"错误：{line}", err=True)
    if as_json:
        click.echo(json.dumps(err.to_dict(), ensure_ascii=False, default=str))
    raise SystemExit(exit_code)


class Command(click.Command):
    """A command whose every failure goes through :func:`fail`."""

    def make_context(self, info_name, args, parent=None, **extra):
        wants_json = "--json" in args
        try:
            ctx = super().make_context(info_name, args, parent, **extra)
        except cx.NoArgsIsHelpError:
            raise  # a bare group shows its help: not a failure
        except click.UsageError as err:
            _rollback()
            fail(usage(err), as_json=wants_json, exit_code=USAGE_EXIT)
        ctx.redvest_json = wants_json  # a group's own arguments are consumed before it fails
        return ctx

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (SystemExit, cx.Exit, cx.NoArgsIsHelpError):
            raise
        except cx.Abort:  # a prompt got no answer (Ctrl+C, or no terminal and nothing piped in)
            _rollback()
            fail(ApiError("已取消：没有得到需要的输入", code="ABORTED"), as_json=self._json(ctx))
        except Exception as exc:  # noqa: BLE001  (the point: no traceback ever reaches the user)
            _rollback()
            err, code = _as_api_error(exc)
            fail(err, as_json=self._json(ctx), exit_code=code)

    @staticmethod
    def _json(ctx: click.Context) -> bool:
        return bool(ctx.params.get("as_json")) or getattr(ctx, "redvest_json", False)


class Group(Command, click.Group):
    """A command group whose own failures (an unknown command) go through :func:`fail` too."""

    command_class = Command
    group_class = type  # subgroups are made with this same class


def _as_api_error(exc: Exception) -> tuple[ApiError, int]:
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, click.UsageError):
        return usage(exc), USAGE_EXIT
    if isinstance(exc, ApiError):
        return exc, FAILURE_EXIT
    if isinstance(exc, click.ClickException):
        return ApiError(exc.message, code="COMMAND_FAILED"), FAILURE_EXIT
    if isinstance(exc, sa_exc.IntegrityError):
        return Conflict("与已有记录重复或冲突"), FAILURE_EXIT
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.ProgrammingError)) and _no_schema(exc):
        return ApiError("数据库还没有建表：先运行 .venv/bin/flask --app server db upgrade",
                        code="SCHEMA_MISSING", status=503), FAILURE_EXIT
    if isinstance(exc, sa_exc.OperationalError):
        return ApiError("数据库无法访问：" + _first_line(exc.orig or exc), code="DATABASE_UNAVAILABLE",
                        status=503), FAILURE_EXIT
    if isinstance(exc, OSError):
        where = f"{exc.filename}：" if exc.filename else ""
        return ApiError(f"文件操作失败：{where}{exc.strerror or exc}", code="FILE_ERROR"), FAILURE_EXIT
    return ApiError(f"内部错误（{type(exc).__name__}），{_log_traceback()}", code="INTERNAL_ERROR",
                    status=500), FAILURE_EXIT


def _no_schema(exc: Exception) -> bool:
    """SQLite's "no such table" or PostgreSQL's undefined_table (SQLSTATE 42P01)."""
    orig = getattr(exc, "orig", None)
    return "no such table" in str(orig) or getattr(orig, "sqlstate", None) == "42P01"


def usage(err: click.UsageError) -> UsageFailure:
    """A click usage error, said in Chinese, naming the option it is about."""
    if isinstance(err, cx.MissingParameter) and err.param is not None:
        return UsageFailure(f"缺少{_kind(err.param)} {_name(err.param)}", field=_name(err.param))
    if isinstance(err, cx.BadParameter) and err.param is not None:
        return UsageFailure(f"{_kind(err.param)} {_name(err.param)} 的值无效：{_expected(err.param.type)}",
                            field=_name(err.param))
    if isinstance(err, cx.NoSuchOption):
        hint = f"（是否想用 {'、'.join(err.possibilities)}？）" if err.possibilities else ""
        return UsageFailure(f"没有选项 {err.option_name}{hint}", field=err.option_name)
    if isinstance(err, cx.NoSuchCommand):
        hint = f"（是否想用 {'、'.join(err.possibilities)}？）" if err.possibilities else ""
        return UsageFailure(f"没有命令 {err.command_name}{hint}")
    if isinstance(err, cx.BadOptionUsage):
        return UsageFailure(f"选项 {err.option_name} 用法有误", field=err.option_name)
    if isinstance(err, cx.BadArgumentUsage) or not _has_chinese(err.message):
        return UsageFailure(f"参数有误，请看 --help（{_first_line(err.message)}）")
    return UsageFailure(err.message)


def _name(param: click.Parameter) -> str:
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    return param.human_readable_name


def _kind(param: click.Parameter) -> str:
    return "选项" if isinstance(param, click.Option) else "参数"


def _expected(kind: click.ParamType) -> str:
    if isinstance(kind, click.Choice):
        return "只能是 " + "、".join(str(c) for c in kind.choices)
    if isinstance(kind, click.IntRange):
        return f"应为 {kind.min}～{kind.max} 之间的整数"
    if isinstance(kind, click.DateTime):
        return "应为日期，格式如 2026-11-01"
    if isinstance(kind, click.types.IntParamType):
        return "应为整数"
    if isinstance(kind, click.types.FloatParamType):
        return "应为数字"
    if isinstance(kind, click.Path):
        return "路径不可用"
    return "格式不对"


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _first_line(value) -> str:
    lines = str(value).strip().splitlines()
    return lines[0] if lines else ""


def _rollback() -> None:
    """A failed command leaves no half-written row behind."""
    from flask import current_app

    if not current_app:
        return
    from server.db import db
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the connection itself may be what failed)
        pass


def _log_traceback() -> str:
    """Unexpected errors keep their traceback in the instance folder, for whoever fixes them."""
    import os
    from datetime import datetime, timezone

    from flask import current_app

    if not current_app:
        return "详情见日志"
    path = os.path.join(current_app.instance_path, "cli-errors.log")
    try:
        with open(path, "a", encoding="utf-8") as fp:
            fp.write(f"--- {datetime.now(timezone.utc).isoformat()}\n{traceback.format_exc()}\n")
    except OSError:
        return "详情未能写入日志"
    return f"详情已记入 {path}"
