"""The OpenAPI document is valid, and every path in it answers as it says: walked with the
documented authentication (a bearer token), each answer's status is documented and its
body matches the documented schema; without a token each answers 401 as documented."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from qms.extensions import db
from qms.workitems.services import open_item
from tests.api_helpers import bearer, token_for
from tests.web_helpers import build_world

METHODS = ("get", "post", "put", "patch", "delete")

# A request body for every operation that takes one (an operation added to the API without
# one here makes the walk fail, so the walk always covers the whole document).
BODIES = {
    ("post", "/api/v1/orders"): lambda w: {
        "title": "Из спецификации",
        "customer_id": w["customer"].id,
        "manager": "manager",
    },
    ("patch", "/api/v1/orders/{number}"): lambda w: {
        "title": "Новое название",
        "due_on": "2031-01-01",
        "reason": "письмо заказчика",
    },
    ("post", "/api/v1/orders/{number}/advance"): lambda w: {"trigger": "accept_enquiry"},
    ("post", "/api/v1/orders/{number}/records"): lambda w: {"kind": "contract", "title": "Договор"},
    ("patch", "/api/v1/records/{record_id}"): lambda w: {"body": "Исправлено"},
    ("post", "/api/v1/items"): lambda w: {
        "workflow": "corrective-action",
        "title": "Из спецификации",
        "source": "other",
    },
    ("post", "/api/v1/items/{number}/advance"): lambda w: {
        "trigger": "analyse",
        "values": {"root_cause": "Причина"},
    },
    ("post", "/api/v1/customers"): lambda w: {"name": "ООО «Из спецификации»", "size": "small"},
    ("patch", "/api/v1/customers/{customer_id}"): lambda w: {"phone": "+7 000 000-00-00"},
}


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json


@pytest.fixture
def world(app):
    world = build_world()
    world["item"] = open_item(
        "corrective-action", world["team"]["manager"], title="Для обхода", source="other"
    )
    db.session.commit()
    return world


def operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def fill(path: str, world) -> str:
    values = {
        "customer_id": world["customer"].id,
        "record_id": world["draft"].id,
    }
    if path.startswith("/api/v1/items/"):
        values["number"] = world["item"].number
    else:
        values["number"] = world["order"].number
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def check_against_spec(spec, operation, response) -> None:
    documented = operation["responses"]
    entry = documented.get(str(response.status_code)) or documented.get("default")
    assert entry is not None, f"{response.status_code} is not documented"
    if "$ref" in entry:
        entry = spec["components"]["responses"][entry["$ref"].rsplit("/", 1)[-1]]
    content = entry.get("content")
    if not content:
        return
    assert response.mimetype in content, (response.mimetype, list(content))
    schema = {**content[response.mimetype]["schema"], "components": spec["components"]}
    errors = sorted(Draft202012Validator(schema).iter_errors(response.json), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_the_openapi_document_is_valid(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["securitySchemes"]["token"]["scheme"] == "bearer"


def test_every_body_taking_operation_has_an_example_here(spec):
    taking = {(m, p) for m, p, op in operations(spec) if "requestBody" in op}
    assert taking == set(BODIES)


def test_every_path_answers_as_documented_with_a_token(client, spec, world):
    # The workflows' steps are the manager's; verifying the trail is the administrator's.
    manager, admin = token_for(world["team"]["manager"]), token_for(world["team"]["admin"])
    walked = 0
    # Reads first, then writes, so each write finds what the reads saw.
    for method, path, operation in sorted(operations(spec), key=lambda o: o[0] != "get"):
        assert operation.get("security", spec["security"]) == [{"token": []}]
        url = fill(path, world)
        body = BODIES.get((method, path))
        secret = admin if path == "/api/v1/verify" else manager
        response = client.open(
            url, method=method.upper(), json=body(world) if body else None, headers=bearer(secret)
        )
        assert 200 <= response.status_code < 300, (method, url, response.json)
        check_against_spec(spec, operation, response)
        walked += 1
    assert walked >= 20


def test_every_path_answers_401_as_documented_without_a_token(client, spec, world):
    for method, path, operation in operations(spec):
        body = BODIES.get((method, path))
        response = client.open(
            fill(path, world), method=method.upper(), json=body(world) if body else None
        )
        assert response.status_code == 401, (method, path)
        check_against_spec(spec, operation, response)


def test_the_documentation_page_shows_every_path_without_script(client, spec):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for method, path, _ in operations(spec):
        assert f"{method.upper()} {path}" in html
    assert "<script" not in html and "style=" not in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
