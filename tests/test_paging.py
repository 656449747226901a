"""Lists whose cost stays bounded (issue 18): counts stop at a cap, the orders list's pages
stop where the cap does, and the audit trail page is followed by sequence number."""

from __future__ import annotations

import re

import pytest

from qms.audit.models import AuditEvent
from qms.database import paging
from qms.extensions import db
from tests.factories import make_order, make_team
from tests.web_helpers import login


@pytest.fixture
def small_cap(monkeypatch):
    monkeypatch.setattr(paging, "COUNT_CAP", 5)


@pytest.fixture(autouse=True)
def _no_csrf(app):
    app.config["WTF_CSRF_ENABLED"] = False


def test_the_orders_list_counts_no_further_than_the_cap(app, client, small_cap):
    app.config["QMS_PAGE_SIZE"] = 2
    team = make_team()
    for n in range(8):
        make_order(team, title=f"Заказ {n}")
    db.session.commit()
    login(client, "manager")
    first = client.get("/orders").get_data(as_text=True)
    assert "more than 5 orders: narrow the search to see the rest" in first
    assert "Page 1 of 3" in first  # five rows shown at most, two to a page
    assert client.get("/orders?page=3").status_code == 200
    assert client.get("/orders?page=4").status_code == 404  # past the cap: narrow the search
    narrowed = client.get("/orders?q=Заказ 7").get_data(as_text=True)
    assert "Page 1 of 1 · 1 orders" in narrowed


def test_the_dashboard_counts_each_stage_up_to_the_cap(client, small_cap):
    team = make_team()
    for n in range(7):
        make_order(team, title=f"Заказ {n}")
    make_order(team, title="Один")
    db.session.commit()
    login(client, "manager")
    page = client.get("/").get_data(as_text=True)
    assert "more than 5" in page


def _seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r"<tr><td>(\d+)</td>", html)]


def test_the_audit_trail_is_followed_by_sequence_number(client):
    team = make_team()
    for n in range(60):
        make_order(team, title=f"Заказ {n}")
    db.session.commit()
    head = db.session.scalar(db.select(db.func.max(AuditEvent.seq)))
    login(client, "auditor")
    newest = client.get("/audit/events").get_data(as_text=True)
    assert _seqs(newest) == list(range(head, head - 50, -1))
    older_link = re.search(r'href="(/audit/events\?before=\d+[^"]*)"', newest).group(1)
    assert "Newer" not in newest
    older = client.get(older_link.replace("&amp;", "&")).get_data(as_text=True)
    assert _seqs(older) == list(range(head - 50, max(head - 100, 0), -1))
    newer_link = re.search(r'href="(/audit/events\?after=\d+[^"]*)"', older).group(1)
    back = client.get(newer_link.replace("&amp;", "&")).get_data(as_text=True)
    assert _seqs(back) == _seqs(newest)
    filtered = client.get("/audit/events?user=manager2").get_data(as_text=True)
    assert _seqs(filtered) == [] and "0 events" in filtered
