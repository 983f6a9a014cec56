"""Assemble the published OpenAPI 3.1 documents from their YAML sources.

Each API is a folder of YAML fragments (``mp/``, ``console/``) plus ``common.yaml``,
which both share. A fragment holds ``paths`` and ``components`` (and ``tags``);
fragments are merged key by key and a name defined twice is an error, so two
engineers documenting endpoints in two files cannot overwrite each other.

Errors are written per operation as ``x-errors: {"409": [SHIFT_NOT_OPEN, ...]}``
and expanded here into responses whose schema is the error envelope with
``error.code`` limited to exactly those codes. The codes every operation of a
kind can give come from the platform, not from the view, and are added here so
nobody has to repeat them (see README.md in this folder):

- every operation: 503 DATABASE_UNAVAILABLE, and 500 INTERNAL_ERROR (what the app answers for a
  failure nobody foresaw; the fuzzer in CI fails on any 5xx all the same);
- an operation with ``security``: 401 UNAUTHORIZED (and, in the console API, 403 FORBIDDEN:
  a volunteer's token is refused before any view runs);
- a request body: 400 BAD_REQUEST, 413 PAYLOAD_TOO_LARGE, 422 VALIDATION_ERROR;
- query parameters: 422 VALIDATION_ERROR;
- a path parameter: 404 NOT_FOUND;
- an operation marked ``x-rate-limit: <setting>`` (the endpoints of ``server/rate_limits.py``):
  429 RATE_LIMITED, the answer server/rate_limits.py gives once the setting's limit is spent;
- a mini-program operation with ``security``: 403 CONSOLE_ACCOUNT (a console account's token is
  refused at the mini-program's door before any view runs).
"""
from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path

import yaml

HERE = Path(__file__).parent
APIS = ("mp", "console")
METHODS = ("get", "put", "post", "delete", "patch")
ERROR_SCHEMA = "#/components/schemas/Error"


class DocumentError(ValueError):
    """A fragment is malformed or defines a name another fragment already defines."""


def _fragments(api: str) -> list[Path]:
    folder = HERE / api
    # _base.yaml first (info, servers, security), then the rest in name order.
    return [HERE / "common.yaml", folder / "_base.yaml"] + sorted(
        p for p in folder.glob("*.yaml") if p.name != "_base.yaml")


def _merge(into: dict, fragment: dict, where: str, path: str = "") -> None:
    for key, value in fragment.items():
        if key not in into:
            into[key] = value
        elif isinstance(into[key], dict) and isinstance(value, dict) and path in ("", "/components"):
            # Merge top-level sections (paths, components) and components' sections (schemas, ...);
            # below that a second definition is a clash.
            _merge(into[key], value, where, f"{path}/{key}")
        elif key == "tags" and not path:
            into[key] = into[key] + [t for t in value if t not in into[key]]
        else:
            raise DocumentError(f"{where}: {path}/{key} is already defined in another fragment")


def _error_response(status: str, codes: list[str]) -> dict:
    return {
        "description": "、".join(codes),
        "content": {"application/json": {"schema": {"allOf": [
            {"$ref": ERROR_SCHEMA},
            {"properties": {"error": {"properties": {"code": {"enum": list(codes)}}}}},
        ]}}},
    }


def _default_errors(api: str, operation: dict, path_item: dict, document: dict) -> dict[str, list[str]]:
    defaults: dict[str, list[str]] = {"500": ["INTERNAL_ERROR"], "503": ["DATABASE_UNAVAILABLE"]}
    security = operation.get("security", document.get("security"))
    if security:
        defaults["401"] = ["UNAUTHORIZED"]
        if api == "console":
            defaults["403"] = ["FORBIDDEN"]
        else:
            defaults["403"] = ["CONSOLE_ACCOUNT"]
    params = [p for p in path_item.get("parameters", []) + operation.get("parameters", [])]
    params = [_resolve(document, p) for p in params]
    if operation.get("requestBody"):
        defaults.update({"400": ["BAD_REQUEST"], "413": ["PAYLOAD_TOO_LARGE"], "422": ["VALIDATION_ERROR"]})
    if any(p["in"] == "query" for p in params):
        defaults.setdefault("422", ["VALIDATION_ERROR"])
    if any(p["in"] == "path" for p in params):
        defaults["404"] = ["NOT_FOUND"]
    if operation.get("x-rate-limit"):
        defaults["429"] = ["RATE_LIMITED"]
    return defaults


def _resolve(document: dict, node: dict) -> dict:
    ref = node.get("$ref")
    if not ref:
        return node
    target = document
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return target


def _expand_errors(api: str, document: dict) -> None:
    for path_item in document.get("paths", {}).values():
        for method in METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            errors = _default_errors(api, operation, path_item, document)
            for status, codes in (operation.pop("x-errors", None) or {}).items():
                merged = errors.setdefault(str(status), [])
                merged.extend(c for c in codes if c not in merged)
            responses = operation.setdefault("responses", {})
            for status in sorted(errors):
                if status in responses:
                    raise DocumentError(f"{method.upper()} {path_item}: write error {status} in x-errors")
                responses[status] = _error_response(status, errors[status])


@functools.lru_cache(maxsize=None)
def _assembled(api: str, stamp: tuple) -> dict:
    document: dict = {}
    for fragment in _fragments(api):
        with open(fragment, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
        if not isinstance(data, dict):
            raise DocumentError(f"{fragment.name}: not a mapping")
        _merge(document, data, f"{api}/{fragment.name}")
    _expand_errors(api, document)
    return document


def _stamp(api: str) -> tuple:
    if api not in APIS:
        raise KeyError(api)
    # Re-read when a fragment changed (editing a YAML file shows up without a restart in dev).
    return tuple(os.stat(p).st_mtime_ns for p in _fragments(api))


def document(api: str) -> dict:
    """The OpenAPI document of ``api`` ("mp" or "console") (a fresh copy the caller may change)."""
    return copy.deepcopy(_assembled(api, _stamp(api)))


@functools.lru_cache(maxsize=None)
def _encoded(api: str, stamp: tuple) -> bytes:
    return json.dumps(_assembled(api, stamp), ensure_ascii=False, indent=1).encode()


def document_json(api: str) -> bytes:
    """The document as served: UTF-8 JSON, encoded once per version of the sources."""
    return _encoded(api, _stamp(api))
