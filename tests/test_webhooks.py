"""Webhooks: a receiver started in the test gets each event once, signed the Standard
Webhooks way, and gets it later when it was down; a rolled-back change sends nothing; by
default no URL may lead into loopback, link-local or private networks."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks import Webhook

from qms.extensions import db
from qms.records.signing import sign_record
from qms.timeutil import utcnow
from qms.webhooks.addresses import AddressRefused, resolve
from qms.webhooks.delivery import send_due_webhooks
from qms.webhooks.models import WebhookDelivery, WebhookSubscription
from qms.webhooks.services import WebhookError, subscribe
from tests.api_helpers import bearer, token_for
from tests.factories import approved_record
from tests.web_helpers import build_world, login
from tests.webhook_receiver import Receiver

KINDS = ["order.advanced", "record.approved", "complaint.opened"]


@pytest.fixture
def world(app):
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    # Complaints about an order belong to its signed contract.
    approved_record(world["order"], "contract", world["team"])
    db.session.commit()
    return world


@pytest.fixture
def receiver(app):
    app.config["QMS_WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"  # this test's own receiver
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def subscribe_through_the_web(client, url: str, kinds=KINDS) -> WebhookSubscription:
    login(client, "admin")
    page = client.post("/admin/webhooks", data={"url": url, "kinds": kinds})
    assert page.status_code == 200, page.get_data(as_text=True)
    client.post("/logout")
    subscription = db.session.scalars(select(WebhookSubscription)).one()
    assert subscription.secret in page.get_data(as_text=True)  # shown once, to copy
    return subscription


def verified(subscription, received) -> list[dict]:
    """Each body, after checking its signature as a receiver would (raises if forged)."""
    hook = Webhook(subscription.secret)
    return [hook.verify(body, headers) for headers, body in received]


def test_the_receiver_gets_each_event_once_with_a_valid_signature(
    app, client, world, receiver, runner
):
    subscription = subscribe_through_the_web(client, receiver.url)
    secret = token_for(world["team"]["manager"])
    order = world["order"]
    moved = client.post(
        f"/api/v1/orders/{order.number}/advance",
        json={"trigger": "accept_enquiry"},
        headers=bearer(secret),
    )
    assert moved.status_code == 200
    client.post(
        "/api/v1/items",
        json={"workflow": "complaint", "title": "Шум", "order": order.number, "channel": "phone"},
        headers=bearer(secret),
    )
    draft = world["draft"]
    sign_record(
        draft,
        signer=world["team"]["admin"],
        password="admin-pw",
        meaning="approved",
        seen_sha256=draft.content_hash(),
    )
    db.session.commit()

    first = runner.invoke(args=["notify", "send"])
    again = runner.invoke(args=["notify", "send"])

    assert "webhooks: 3 sent, 0 failed" in first.output, first.output
    assert "webhooks: 0 sent, 0 failed" in again.output
    bodies = verified(subscription, receiver.received)
    assert [b["type"] for b in bodies] == ["order.advanced", "complaint.opened", "record.approved"]
    advanced = bodies[0]["data"]
    assert advanced["entity"]["order"] == order.number
    assert (advanced["from_state"], advanced["to_state"]) == ("enquiry", "pre_contract")
    assert advanced["event"]["origin"] == "api" and advanced["event"]["actor"] == "manager"
    assert (
        bodies[1]["data"]["entity"]["number"].startswith("CMP")
        or bodies[1]["data"]["entity"]["number"]
    )
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert len(set(ids)) == 3


def test_a_receiver_that_was_down_gets_the_event_later(app, client, world, receiver):
    subscription = subscribe_through_the_web(client, receiver.url, ["order.advanced"])
    receiver.stop()
    secret = token_for(world["team"]["manager"])
    client.post(
        f"/api/v1/orders/{world['order'].number}/advance",
        json={"trigger": "accept_enquiry"},
        headers=bearer(secret),
    )

    down = send_due_webhooks()
    assert (down.sent, down.failed) == (0, 1)
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.attempt_log[0].error  # the delivery log says what went wrong
    assert send_due_webhooks().failed == 0  # not due again yet: backing off

    receiver.start()
    later = send_due_webhooks(now=utcnow() + timedelta(minutes=2))

    assert (later.sent, later.failed) == (1, 0)
    [body] = verified(subscription, receiver.received)
    assert body["type"] == "order.advanced"
    db.session.expire_all()
    assert delivery.status == "sent" and delivery.attempts == 2
    assert [a.status_code for a in delivery.attempt_log] == [None, 204]
    login(client, "admin")
    log = client.get(f"/admin/webhooks/{subscription.id}").get_data(as_text=True)
    assert delivery.message_id in log and "204" in log


def test_a_resent_delivery_arrives_again_with_the_same_id(app, client, world, receiver):
    subscription = subscribe_through_the_web(client, receiver.url, ["order.advanced"])
    secret = token_for(world["team"]["manager"])
    client.post(
        f"/api/v1/orders/{world['order'].number}/advance",
        json={"trigger": "accept_enquiry"},
        headers=bearer(secret),
    )
    send_due_webhooks()
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    login(client, "admin")
    assert client.post(f"/admin/webhooks/deliveries/{delivery.id}/resend").status_code == 302
    assert send_due_webhooks().sent == 1
    verified(subscription, receiver.received)
    assert [h["webhook-id"] for h, _ in receiver.received] == [delivery.message_id] * 2


def test_a_refused_change_sends_nothing(app, client, world, receiver):
    subscribe_through_the_web(client, receiver.url, ["order.advanced"])
    secret = token_for(world["team"]["manager"])
    refused = client.post(
        f"/api/v1/orders/{world['order'].number}/advance",
        json={"trigger": "decline"},
        headers=bearer(secret),
    )
    assert refused.status_code == 422
    assert db.session.scalars(select(WebhookDelivery)).all() == []


REFUSED = [
    "http://127.0.0.1/hook",
    "http://localhost:8080/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://172.31.255.1/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://[::ffff:10.0.0.1]/hook",
    "http://intranet.example.test/hook",  # resolves to 10.20.30.40 below
]


@pytest.fixture
def fake_dns(monkeypatch):
    """Names resolve without the network: one to a private address, one to a public one."""
    real = socket.getaddrinfo
    names = {"intranet.example.test": "10.20.30.40", "erp.example.com": "93.184.216.34"}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("url", REFUSED)
def test_by_default_no_webhook_leads_into_a_private_network(app, fake_dns, url):
    with pytest.raises(AddressRefused):
        resolve(url)
    with pytest.raises(WebhookError):
        subscribe(None, url, ["order.advanced"])


def test_a_public_address_is_accepted_and_an_allowed_network_opens(app, fake_dns):
    assert resolve("https://erp.example.com/hooks").addresses == ("93.184.216.34",)
    app.config["QMS_WEBHOOK_ALLOWED_NETWORKS"] = "10.20.30.0/24"
    assert resolve("http://intranet.example.test/x").addresses == ("10.20.30.40",)
    with pytest.raises(AddressRefused):
        resolve("http://10.0.0.5/hook")  # only that network


def test_the_address_is_checked_again_at_delivery(app, client, world, receiver, fake_dns):
    subscription = subscribe_through_the_web(client, receiver.url, ["order.advanced"])
    app.config["QMS_WEBHOOK_ALLOWED_NETWORKS"] = ""  # the administrator closes loopback again
    secret = token_for(world["team"]["manager"])
    client.post(
        f"/api/v1/orders/{world['order'].number}/advance",
        json={"trigger": "accept_enquiry"},
        headers=bearer(secret),
    )
    assert send_due_webhooks().failed == 1
    assert receiver.received == []
    delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert "private address" in delivery.last_error
    assert subscription.is_active


def test_only_administrators_manage_webhooks(client, world):
    login(client, "manager")
    assert client.get("/admin/webhooks").status_code == 403
    assert client.post("/admin/webhooks", data={"url": "https://example.com"}).status_code == 403


def test_the_payload_is_the_exact_body_signed(app, client, world, receiver):
    subscription = subscribe_through_the_web(client, receiver.url, ["order.advanced"])
    secret = token_for(world["team"]["manager"])
    client.post(
        f"/api/v1/orders/{world['order'].number}/advance",
        json={"trigger": "accept_enquiry"},
        headers=bearer(secret),
    )
    send_due_webhooks()
    headers, body = receiver.received[0]
    tampered = body.replace(b"pre_contract", b"closed")
    from standardwebhooks.webhooks import WebhookVerificationError

    with pytest.raises(WebhookVerificationError):
        Webhook(subscription.secret).verify(tampered, headers)
    assert json.loads(body)["data"]["to_state"] == "pre_contract"
