"""The published API contract: OpenAPI 3.1 documents for /api/mp/v1 and /api/console/v1.

Served without authentication at ``/api/mp/v1/openapi.json`` and ``/api/console/v1/openapi.json``
and as one plain HTML page at ``/api/docs`` (rendered here from the same documents; no script,
nothing from another origin). The documents are the YAML files in this folder; tests check that
they match the routes and every response the test suite produces (README.md here says how to
document an endpoint). Imports only the platform: the views document themselves in YAML.
"""
from __future__ import annotations

import json

from flask import Blueprint, render_template

from server.api_docs.documents import APIS, document

bp = Blueprint("api_docs", __name__)

# Routes under /api/ that are not operations of either document (the tests know this list).
UNDOCUMENTED_ROUTES = {"/api/docs"}


@bp.get("/api/mp/v1/openapi.json")
def mp_document():
    return _json(document("mp"))


@bp.get("/api/console/v1/openapi.json")
def console_document():
    return _json(document("console"))


def _json(body: dict):
    # Public and the same for everyone: a proxy may keep it for a few minutes.
    return body, 200, {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}


@bp.get("/api/docs")
def docs_page():
    from server.api_docs import page

    apis = [page.describe(api, document(api)) for api in APIS]
    return render_template("api_docs.html", apis=apis, pretty=lambda v: json.dumps(
        v, ensure_ascii=False, indent=2))
