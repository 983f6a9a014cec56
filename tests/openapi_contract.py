"""Every API response the test suite produces is checked against the published OpenAPI documents.

``IsolatedClient`` (tests/conftest.py) calls :func:`check` after each request; a response that
the documents do not describe (an undocumented status, an error code not listed for the
operation, a missing or renamed field, a field the schema does not know) fails the test
that made the request, with the reason.
"""
from __future__ import annotations

import functools

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound, ServerNotFound

from server.api_docs import UNDOCUMENTED_ROUTES
from server.api_docs.documents import document

PREFIXES = {"/api/mp/v1/": "mp", "/api/console/v1/": "console"}


class ContractViolation(AssertionError):
    """A response that does not match the published document."""


@functools.lru_cache(maxsize=None)
def _openapi(api: str) -> OpenAPI:
    return OpenAPI.from_dict(document(api))


class _Request(WerkzeugOpenAPIRequest):
    """The request as the server saw it; its body was consumed by the app and is not needed here."""

    @property
    def body(self) -> bytes | None:
        return None


def resolve(spec: dict, node: dict) -> dict:
    """``node`` itself, or what its local ``$ref`` points to."""
    while "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def api_of(path: str) -> str | None:
    return next((api for prefix, api in PREFIXES.items() if path.startswith(prefix)), None)


def check(response) -> None:
    request = response.request
    if request.method in ("HEAD", "OPTIONS") or request.path in UNDOCUMENTED_ROUTES:
        return
    api = api_of(request.path)
    if api is None:
        return
    openapi = _openapi(api)
    try:
        openapi.validate_response(_Request(request), WerkzeugOpenAPIResponse(response))
    except (PathNotFound, OperationNotFound, ServerNotFound) as exc:
        # Not an operation: only an error envelope may answer (404 unknown path, 405 wrong method).
        if response.status_code not in (404, 405):
            raise ContractViolation(
                f"{request.method} {request.path} is not a documented operation but answered "
                f"{response.status_code}: {exc}") from None
        _check_error_envelope(request, response)
    except Exception as exc:  # noqa: BLE001  (openapi-core's validation errors have no common base)
        raise ContractViolation(_describe(request, response, exc)) from None


def _check_error_envelope(request, response) -> None:
    body = response.get_json(silent=True)
    error = body.get("error") if isinstance(body, dict) else None
    if not (isinstance(error, dict) and isinstance(error.get("code"), str) and error.get("message")):
        raise ContractViolation(f"{request.method} {request.path}: {response.status_code} without the "
                                f"error envelope: {response.get_data(as_text=True)[:200]}")


def _describe(request, response, exc: Exception) -> str:
    reasons = [str(exc)]
    cause = exc.__cause__ or exc.__context__
    for inner in getattr(cause, "schema_errors", None) or getattr(exc, "schema_errors", None) or []:
        reasons.append(f"  at {'/'.join(map(str, inner.absolute_path)) or '(body)'}: {inner.message[:300]}")
    body = response.get_data(as_text=True)[:300] if response.is_json else f"<{response.mimetype}>"
    return (f"response does not match the OpenAPI document (server/api_docs/): "
            f"{request.method} {request.path} → {response.status_code}\n" + "\n".join(reasons)
            + f"\n  body: {body}")
