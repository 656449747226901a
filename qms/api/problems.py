"""Errors as problem details (RFC 9457, application/problem+json), in the requester's
language: a title per kind of problem, a detail a person can act on, and for refusals the
list of reasons, for invalid input each field by name."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, json
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "urn:qms:problem:"

TITLES = {
    400: _l("The request could not be understood."),
    401: _l("An API token is needed."),
    403: _l("Your role does not allow this."),
    404: _l("There is no such resource."),
    405: _l("This resource cannot be used that way."),
    409: _l("Someone else changed this meanwhile."),
    413: _l("The request is too large."),
    415: _l("Send JSON (Content-Type: application/json)."),
    422: _l("The request was refused."),
    429: _l("Too many requests."),
    500: _l("Something went wrong on our side; nothing was saved."),
    503: _l("The database cannot be reached right now. Try again in a minute."),
}


# marshmallow's own words for invalid input, named here so the catalogue keeps their
# translations (field_errors renders each through gettext).
VALIDATION_MESSAGES = (
    _l("Missing data for required field."),
    _l("Unknown field."),
    _l("Field may not be null."),
    _l("Not a valid integer."),
    _l("Not a valid string."),
    _l("Not a valid date."),
    _l("Not a valid datetime."),
    _l("Not a valid boolean."),
    _l("Not a valid mapping type."),
    _l("Not a valid list."),
    _l("Invalid input type."),
    _l("Invalid value."),
)


class FieldErrorSchema(ma.Schema):
    field = ma.fields.String(required=True, metadata={"description": "The field at fault"})
    detail = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, with qms's own members `reasons` and `errors`."""

    type = ma.fields.String(required=True, metadata={"description": "Identifies the problem"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    reasons = ma.fields.List(
        ma.fields.String(), metadata={"description": "Why a step was refused, each in words"}
    )
    errors = ma.fields.List(
        ma.fields.Nested(FieldErrorSchema), metadata={"description": "Invalid input, by field"}
    )


def problem(
    status: int,
    detail: Any = None,
    *,
    kind: str | None = None,
    title: Any = None,
    headers: dict | None = None,
    **members,
) -> Response:
    body = {
        "type": TYPE_BASE + kind if kind else "about:blank",
        "title": str(title or TITLES.get(status) or HTTP_STATUS_CODES.get(status, "Error")),
        "status": status,
    }
    if detail is not None:
        body["detail"] = str(detail)
    body |= {k: v for k, v in members.items() if v is not None}
    response = Response(
        json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_JSON
    )
    response.headers.update(headers or {})
    return response


def field_errors(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """marshmallow's nested {location: {field: [messages]}} as a flat list naming each field
    (the location, json or query, is left out: the field's name says enough)."""
    found = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ("json", "query", "form", "path") and not prefix:
                found += field_errors(value)
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
                found += field_errors(value, name)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        found += [{"field": prefix or "body", "detail": _(m)} for m in messages]
    elif isinstance(messages, list):
        for m in messages:
            found += field_errors(m, prefix)
    else:
        found.append({"field": prefix or "body", "detail": _(str(messages))})
    return found


def http_problem(error: HTTPException) -> Response:
    """Any HTTP error raised in the API (abort, validation, a route not found) as a problem."""
    data = getattr(error, "data", None) or {}
    if "messages" in data:  # webargs/marshmallow: the request's fields did not validate
        errors = field_errors(data["messages"])
        detail = "; ".join(f"{e['field']}: {e['detail']}" for e in errors)
        title = _l("Some fields are not valid.")
        return problem(422, detail, kind="invalid-input", title=title, errors=errors)
    detail = data.get("message")
    if detail is None and error.description and error.description != type(error).description:
        detail = error.description
    headers = dict(data.get("headers") or {})
    if error.code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem(error.code or 500, detail, headers=headers)
