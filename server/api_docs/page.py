"""The HTML reading of a document: operations grouped by tag, schemas at the end."""
from __future__ import annotations

from server.api_docs.documents import METHODS


def _ref_name(schema: dict | None) -> str | None:
    ref = (schema or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None


def _error_codes(response: dict) -> list[str]:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    for part in schema.get("allOf", []):
        codes = part.get("properties", {}).get("error", {}).get("properties", {}).get("code", {}).get("enum")
        if codes:
            return codes
    return []


def _resolve(doc: dict, node: dict) -> dict:
    if "$ref" in node and not node["$ref"].startswith("#/components/schemas/"):
        target = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return target
    return node


def describe(api: str, doc: dict) -> dict:
    """A plain structure the template walks: no logic left for Jinja but loops."""
    tags = {t["name"]: {"name": t["name"], "description": t.get("description", ""), "operations": []}
            for t in doc.get("tags", [])}
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            responses = []
            for status, response in sorted(op.get("responses", {}).items()):
                response = _resolve(doc, response)
                content = response.get("content", {})
                media = next(iter(content), None)
                schema = content.get(media, {}).get("schema") if media else None
                responses.append({"status": status, "description": response.get("description", ""),
                                  "media": media, "codes": _error_codes(response),
                                  "schema": None if _error_codes(response) else schema,
                                  "schema_name": _ref_name(schema)})
            body = op.get("requestBody")
            body_content = (body or {}).get("content", {})
            tag = (op.get("tags") or ["其他"])[0]
            tags.setdefault(tag, {"name": tag, "description": "", "operations": []})["operations"].append({
                "id": op.get("operationId", f"{method}-{path}"), "method": method.upper(), "path": path,
                "summary": op.get("summary", ""), "description": op.get("description", ""),
                "public": op.get("security", doc.get("security")) == [],
                "parameters": [_resolve(doc, p) for p in item.get("parameters", []) + op.get("parameters", [])],
                "body": [{"media": m, "schema": c.get("schema"), "example": c.get("example")}
                         for m, c in body_content.items()],
                "responses": responses,
            })
    server = (doc.get("servers") or [{"url": ""}])[0]["url"]
    return {"api": api, "title": doc["info"]["title"], "version": doc["info"]["version"],
            "description": doc["info"].get("description", ""), "server": server,
            "json_url": f"{server}/openapi.json",
            "tags": [t for t in tags.values() if t["operations"]],
            "schemas": doc.get("components", {}).get("schemas", {})}
