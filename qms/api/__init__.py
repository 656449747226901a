"""The REST API under /api/v1: another thin edge over the same services as the web pages,
under the same permission table, one transaction per request, answering JSON and problem
details. Its OpenAPI document is generated from the code (flask-smorest) and served at
/api/v1/openapi.json, and rendered for people at /api/v1/docs without any script."""

from __future__ import annotations

from http import HTTPStatus

from flask import Flask, request
from flask_smorest import Api
from flask_smorest.utils import prepare_response

from qms.api.problems import PROBLEM_JSON, ProblemSchema, problem
from qms.web.csrf import csrf

API_PREFIX = "/api/v1"


class QmsApi(Api):
    """flask-smorest's Api, answering errors as problem details inside the API only (the
    web pages keep their own error pages)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass  # the API blueprint registers its own (qms.api.blueprint)

    def _register_responses(self):
        for status in (400, 401, 403, 404, 405, 409, 415, 422, 429, 500, 503):
            phrase = HTTPStatus(status)
            response = {"description": phrase.phrase, "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(phrase.name, response, lazy=True)
        response = {"description": "An error, as problem details", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


SPEC = {
    "info": {
        "description": (
            "Orders, records, work items, customers, the standards, traceability and the "
            "audit trail of qms. Authenticate with a personal API token: "
            "`Authorization: Bearer qms_...` (make one on your account page or with "
            "`qms tokens create`). Errors are problem details (RFC 9457)."
        )
    },
    "components": {
        "securitySchemes": {
            "token": {
                "type": "http",
                "scheme": "bearer",
                "description": "A qms API token (scope read, or read and write)",
            }
        }
    },
    "security": [{"token": []}],
    "servers": [{"url": "/"}],
}


def init_api(app: Flask) -> None:
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    from qms.api import (  # noqa: F401  (each module routes its resources on the blueprint)
        audit,
        customers,
        items,
        orders,
        records,
        standards,
    )
    from qms.api.blueprint import blp
    from qms.api.docs import blueprint as docs

    api = QmsApi(
        app, spec_kwargs={"title": "qms", "version": "1", "openapi_version": "3.1.0", **SPEC}
    )
    api.register_blueprint(blp)
    app.extensions["qms_api"] = api
    csrf.exempt(blp)
    app.register_blueprint(docs)
    app.after_request(_api_headers)


def _api_headers(response):
    """The API's answers are data for programs: no page may frame or run them."""
    if request.path.startswith(API_PREFIX + "/") and response.mimetype != "text/html":
        response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"
    return response


__all__ = ["API_PREFIX", "init_api", "problem"]
