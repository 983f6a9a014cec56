"""The published API contract: OpenAPI 3.1 documents for /api/mp/v1 and /api/console/v1.

Served without authentication at ``/api/mp/v1/openapi.json`` and ``/api/console/v1/openapi.json``
and as one plain HTML page at ``/api/docs`` (rendered here from the same documents; no script,
nothing from another origin). The documents are the YAML files in this folder; tests check that
they match the routes and every response the test suite produces (README.md here says how to
document an endpoint). Imports only the platform: the views document themselves in YAML.
"""
from __future__ import annotations

import json

from flask import Blueprint, Response, render_template

from server.api_docs.documents import APIS, document, document_json

bp = Blueprint("api_docs", __name__)

# Routes under /api/ that are not operations of either document (the tests know this list).
UNDOCUMENTED_ROUTES = {"/api/docs"}


@bp.get("/api/mp/v1/openapi.json")
def mp_document():
    return _json("mp")


@bp.get("/api/console/v1/openapi.json")
def console_document():
    return _json("console")


def _json(api: str) -> Response:
    # Public and the same for everyone: a proxy may keep it for a few minutes; another origin's
    # tooling (a code generator in a browser, Swagger UI elsewhere) may read it.
    return Response(document_json(api), mimetype="application/json", headers={
        "Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


_page_cache: dict[tuple, str] = {}


@bp.get("/api/docs")
def docs_page():
    from server.api_docs import page

    stamp = tuple(document_json(api) for api in APIS)  # cached bytes: cheap to compare
    if stamp not in _page_cache:
        apis = [page.describe(api, document(api)) for api in APIS]
        _page_cache.clear()
        _page_cache[stamp] = render_template("api_docs.html", apis=apis, pretty=lambda v: json.dumps(
            v, ensure_ascii=False, indent=2))
    return _page_cache[stamp]
