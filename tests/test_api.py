"""The REST API: tokens and their scopes, the permission table, the same refusals as the
web, problem details naming fields, attribution in the audit trail, no cookie sessions."""

from __future__ import annotations

import html as html_lib
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from qms.audit.models import AuditEvent
from qms.extensions import db
from qms.orders.models import Order
from qms.timeutil import utcnow
from qms.tokens.models import ApiToken
from tests.api_helpers import bearer, token_for
from tests.factories import approved_record
from tests.web_helpers import build_world, login


@pytest.fixture
def world(app):
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    # Complaints about an order belong to its signed contract.
    approved_record(world["order"], "contract", world["team"])
    db.session.commit()
    return world


def order_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


def new_order_body(world) -> dict:
    return {"title": "Через API", "customer_id": world["customer"].id, "value": "1200,50"}


def test_a_read_token_reads_but_cannot_write(client, world):
    secret = token_for(world["team"]["manager"], scope="read")
    assert client.get("/api/v1/orders", headers=bearer(secret)).status_code == 200
    before = order_count()

    refused = client.post("/api/v1/orders", json=new_order_body(world), headers=bearer(secret))

    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert "may only read" in refused.json["detail"]
    assert order_count() == before


def test_a_write_token_writes_as_its_user_marked_as_the_api(client, world):
    manager = world["team"]["manager"]
    secret = token_for(manager, name="ERP")

    created = client.post("/api/v1/orders", json=new_order_body(world), headers=bearer(secret))

    assert created.status_code == 201, created.json
    assert created.json["value"] == "1200.50"
    assert created.headers["Location"] == f"/api/v1/orders/{created.json['number']}"
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert (event.action, event.actor_id, event.origin) == ("order.created", manager.id, "api")
    token = db.session.scalars(select(ApiToken)).one()
    assert event.origin_detail == f"token #{token.id} ERP"


@pytest.mark.parametrize("case", ["revoked", "expired", "unknown", "deactivated user", "none"])
def test_a_token_that_is_not_valid_gets_401(client, world, case):
    from qms.auth.users import deactivate
    from qms.tokens.services import revoke_token

    secret = token_for(world["team"]["engineer"])
    token = db.session.scalars(select(ApiToken)).one()
    if case == "revoked":
        revoke_token(None, token)
    elif case == "expired":
        db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    elif case == "unknown":
        secret = secret[:-4] + "AAAA"
    elif case == "deactivated user":
        deactivate(None, world["team"]["engineer"], "left")
    db.session.commit()
    headers = {} if case == "none" else bearer(secret)

    response = client.get("/api/v1/orders", headers=headers)

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json["status"] == 401 and response.json["detail"]


def test_the_last_use_of_a_token_is_recorded(client, world):
    secret = token_for(world["team"]["auditor"], scope="read")
    client.get("/api/v1/me", headers=bearer(secret))
    db.session.expire_all()
    token = db.session.scalars(select(ApiToken)).one()
    assert token.last_used_at is not None and token.last_used_from == "127.0.0.1"


def test_the_permission_table_applies_to_tokens(client, world):
    auditor = token_for(world["team"]["auditor"])  # write scope, but an auditor's role
    response = client.post("/api/v1/orders", json=new_order_body(world), headers=bearer(auditor))
    assert response.status_code == 403
    assert response.json["title"] == "Your role does not allow this."
    engineer = token_for(world["team"]["engineer"])
    assert client.get("/api/v1/verify", headers=bearer(engineer)).status_code == 403


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_refused_advance_gives_the_same_reasons_as_the_web(app, client, world, language):
    manager = world["team"]["manager"]
    manager.language = language
    db.session.commit()
    order = world["order"]
    login(client, "manager")
    page = client.post(
        f"/orders/{order.number}/advance",
        data={"trigger": "decline", "version": order.version},
        follow_redirects=True,
    )
    web_message = html_lib.unescape(page.get_data(as_text=True))
    client.post("/logout")
    secret = token_for(manager)

    refused = client.post(
        f"/api/v1/orders/{order.number}/advance",
        json={"trigger": "decline", "version": order.version},
        headers=bearer(secret),
    )

    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    problem = refused.json
    assert problem["type"] == "urn:qms:problem:transition-refused"
    assert problem["detail"] in web_message  # word for word what the web page said
    assert problem["reasons"] and all(reason in problem["detail"] for reason in problem["reasons"])
    if language == "ru":
        assert "Отказать" in problem["detail"] or "отказать" in problem["detail"]


def test_the_requesters_language_wins_over_the_token_users(client, world):
    secret = token_for(world["team"]["manager"])  # an English-speaking user
    refused = client.post(
        f"/api/v1/orders/{world['order'].number}/advance",
        json={"trigger": "decline"},
        headers=bearer(secret, language="ru"),
    )
    assert refused.status_code == 422
    assert "отказать" in refused.json["detail"].lower()


def test_an_advance_through_the_api_moves_the_order(client, world):
    from tests.factories import approved_record

    order = world["order"]  # its enquiry record is approved already
    secret = token_for(world["team"]["manager"])
    moved = client.post(
        f"/api/v1/orders/{order.number}/advance",
        json={"trigger": "accept_enquiry", "version": order.version},
        headers=bearer(secret),
    )
    assert moved.status_code == 200, moved.json
    assert (moved.json["from_state"], moved.json["to_state"]) == ("enquiry", "pre_contract")
    stale = client.post(
        f"/api/v1/orders/{order.number}/advance",
        json={"trigger": "decline", "version": 1},
        headers=bearer(secret),
    )
    assert stale.status_code == 409
    assert approved_record  # the factory the world used


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"title", "customer_id"}),
        ({"title": "", "customer_id": "x"}, {"title", "customer_id"}),
        ({"title": "T", "customer_id": 1, "due_on": "tomorrow"}, {"due_on"}),
        ({"title": "T", "customer_id": 1, "colour": "red"}, {"colour"}),
        ({"title": "T", "customer_id": 1, "value": "-5"}, {"value"}),
        ({"title": "T", "customer_id": 999}, {"customer_id"}),
    ],
)
def test_invalid_input_names_each_field(client, world, body, fields):
    secret = token_for(world["team"]["manager"])
    response = client.post("/api/v1/orders", json=body, headers=bearer(secret))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert {e["field"] for e in response.json["errors"]} == fields


def test_invalid_input_is_explained_in_the_requesters_language(client, world):
    secret = token_for(world["team"]["manager"])
    response = client.post("/api/v1/orders", json={}, headers=bearer(secret, language="ru"))
    assert response.status_code == 422
    assert {e["detail"] for e in response.json["errors"]} == {"Обязательное поле."}


def test_the_api_neither_reads_nor_makes_cookie_sessions(client, world):
    secret = token_for(world["team"]["manager"])
    response = client.get("/api/v1/orders", headers=bearer(secret))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    login(client, "manager")  # a signed-in browser still needs a token
    assert client.get("/api/v1/orders").status_code == 401
    assert client.post("/api/v1/orders", json=new_order_body(world)).status_code == 401


def test_a_path_outside_the_api_is_a_problem_not_a_page(client, world):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    wrong = client.delete("/api/v1/orders")
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]
    secret = token_for(world["team"]["manager"])
    gone = client.get("/api/v1/orders/1999-9999", headers=bearer(secret))
    assert gone.status_code == 404 and gone.mimetype == "application/problem+json"


def test_the_orders_list_has_the_webs_filters_and_pages(client, world):
    from tests.factories import make_order

    for n in range(30):
        make_order(world["team"], title=f"Партия {n}")
    db.session.commit()
    secret = token_for(world["team"]["engineer"], scope="read")
    first = client.get("/api/v1/orders", headers=bearer(secret)).json
    assert (first["page"], first["per_page"], first["total"]) == (1, 25, 31)
    assert len(first["items"]) == 25 and first["pages"] == 2
    found = client.get("/api/v1/orders?q=Партия 2&per_page=5", headers=bearer(secret)).json
    assert {o["title"] for o in found["items"]} == {"Партия 2"} | {
        f"Партия {n}" for n in range(20, 30)
    } - {f"Партия {n}" for n in range(25, 30)} or found["total"] == 11
    assert found["total"] == 11 and len(found["items"]) == 5
    by_state = client.get("/api/v1/orders?state=pre_contract", headers=bearer(secret)).json
    assert by_state["total"] == 0
    by_manager = client.get("/api/v1/orders?manager=manager2", headers=bearer(secret)).json
    assert by_manager["total"] == 0


def test_records_through_the_api_with_hash_and_signatures(client, world):
    engineer = token_for(world["team"]["engineer"])
    order = world["order"]
    written = client.post(
        f"/api/v1/orders/{order.number}/records",
        json={"kind": "contract", "title": "Договор", "body": "Текст"},
        headers=bearer(engineer),
    )
    assert written.status_code == 201, written.json
    record = written.json
    assert record["status"] == "draft" and record["contributors"] == ["engineer"]
    edited = client.patch(
        f"/api/v1/records/{record['id']}",
        json={"body": "Новый текст", "version": record["version"]},
        headers=bearer(engineer),
    )
    assert edited.status_code == 200 and edited.json["content_sha256"] != record["content_sha256"]
    approved = client.get(f"/api/v1/records/{world['approved'].id}", headers=bearer(engineer))
    signature = approved.json["signatures"][0]
    assert approved.json["status"] == "approved"
    assert signature["content_sha256"] == approved.json["content_sha256"]
    assert signature["signer"]["username"] == "admin"
    refused = client.patch(
        f"/api/v1/records/{world['approved'].id}", json={"body": "x"}, headers=bearer(engineer)
    )
    assert refused.status_code == 422 and "approved" in refused.json["detail"]
    listed = client.get(f"/api/v1/orders/{order.number}/records", headers=bearer(engineer))
    assert {r["id"] for r in listed.json} >= {record["id"], world["approved"].id}


def test_there_is_no_way_to_sign_through_the_api(app):
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")]
    assert not [r for r in rules if "sign" in r.rule or "approve" in r.rule]


def test_work_items_through_the_api(client, world):
    secret = token_for(world["team"]["engineer"])
    opened = client.post(
        "/api/v1/items",
        json={
            "workflow": "complaint",
            "title": "Не работает",
            "order": world["order"].number,
            "channel": "email",
        },
        headers=bearer(secret),
    )
    assert opened.status_code == 201, opened.json
    number = opened.json["number"]
    item = client.get(f"/api/v1/items/{number}", headers=bearer(secret)).json
    step = item["next_steps"][0]["trigger"]
    moved = client.post(
        f"/api/v1/items/{number}/advance", json={"trigger": step}, headers=bearer(secret)
    )
    assert moved.status_code in (200, 422)
    if moved.status_code == 422:
        assert moved.json["reasons"]
    listed = client.get("/api/v1/items?workflow=complaint", headers=bearer(secret)).json
    assert number in {i["number"] for i in listed["items"]}


def test_the_trail_can_be_followed_by_sequence_number(client, world):
    secret = token_for(world["team"]["auditor"], scope="read")
    first = client.get("/api/v1/audit/events?limit=3", headers=bearer(secret)).json
    assert [e["seq"] for e in first["items"]] == [1, 2, 3]
    rest = client.get(
        f"/api/v1/audit/events?after={first['next_after']}&limit=1000", headers=bearer(secret)
    ).json
    assert rest["items"][0]["seq"] == 4
    assert rest["next_after"] == rest["head_seq"] == rest["items"][-1]["seq"]
    assert all(e["hash"] and e["prev_hash"] for e in rest["items"])


def test_verify_through_the_api(client, world):
    secret = token_for(world["team"]["auditor"], scope="read")
    report = client.get("/api/v1/verify", headers=bearer(secret))
    assert report.status_code == 200
    assert report.json["intact"] is True and report.json["findings"] == []


def test_a_support_request_is_opened_through_the_api_with_its_priority(client, world):
    secret = token_for(world["team"]["manager"])
    body = {
        "workflow": "support-request",
        "title": "Каталог не отвечает",
        "customer_id": world["order"].customer_id,
        "channel": "phone",
    }
    refused = client.post("/api/v1/items", json=body, headers=bearer(secret))
    assert refused.status_code == 422
    assert "priority" in json.dumps(refused.json, ensure_ascii=False)
    unknown = client.post(
        "/api/v1/items", json=body | {"priority": "urgent"}, headers=bearer(secret)
    )
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json["errors"]] == ["priority"]
    opened = client.post("/api/v1/items", json=body | {"priority": "high"}, headers=bearer(secret))
    assert opened.status_code == 201, opened.json
    assert opened.json["workflow"] == "support-request"
    assert opened.json["priority"] == "high"
    shown = client.get(f"/api/v1/items/{opened.json['number']}", headers=bearer(secret))
    assert shown.json["priority"] == "high"
