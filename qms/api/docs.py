"""The API's documentation for people, rendered on the server from the OpenAPI document
(no script, so the strict CSP stays), and problem details for paths the API does not
have."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from qms.api.problems import problem

blueprint = Blueprint("api_docs", __name__, url_prefix="/api/v1")
METHODS = ("get", "post", "put", "patch", "delete")


def type_of(schema: dict | None) -> str:
    """A schema in a few words: "Order", "array of Record", "string (date)"."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if "array" in kind and "items" in schema:
        return kind.replace("array", f"array of {type_of(schema['items'])}")
    if schema.get("format"):
        kind += f" ({schema['format']})"
    if schema.get("enum"):
        kind += ": " + ", ".join(str(e) for e in schema["enum"] if e is not None)
    return kind


def _operations(spec: dict) -> dict[str, list[dict]]:
    by_tag: dict[str, list[dict]] = {}
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            parameters = [*item.get("parameters", []), *operation.get("parameters", [])]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            responses = [
                (status, response.get("description", ""), _response_type(spec, response))
                for status, response in operation.get("responses", {}).items()
            ]
            by_tag.setdefault((operation.get("tags") or ["other"])[0], []).append(
                {
                    "id": f"{method}-{path}".replace("/", "-").replace("{", "").replace("}", ""),
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": parameters,
                    "body": type_of(body.get("schema")) if body else None,
                    "responses": responses,
                }
            )
    return by_tag


def _response_type(spec: dict, response: dict) -> str:
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[-1]
        response = spec["components"]["responses"].get(name, {})
    content = response.get("content") or {}
    return ", ".join(f"{type_of(c.get('schema'))} ({kind})" for kind, c in content.items())


@blueprint.get("/docs")
def docs():
    """Every path and schema of /api/v1/openapi.json, as a page."""
    spec = current_app.extensions["qms_api"].spec.to_dict()
    return render_template(
        "api/docs.html",
        spec=spec,
        operations=_operations(spec),
        schemas=spec.get("components", {}).get("schemas", {}),
        type_of=type_of,
    )


@blueprint.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def not_in_api(rest: str):
    """A path the API does not have (404), or a method it does not take there (405)."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except (NotFound, MethodNotAllowed):
            continue
        if endpoint != "api_docs.not_in_api":
            allowed.append(method)
    if allowed:
        return problem(405, headers={"Allow": ", ".join(allowed)})
    return problem(404, f"{request.path} is not a part of the API; see /api/v1/docs")
