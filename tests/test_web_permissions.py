"""Every route x role: 200, a redirect to the login page, or 403, as it should be."""

from __future__ import annotations

import pytest

from tests.web_helpers import build_world, login

ROLES = ["anonymous", "admin", "manager", "engineer", "auditor"]
EVERYONE = {"admin", "manager", "engineer", "auditor"}
WRITERS = {"admin", "manager", "engineer"}
OFFICE = {"admin", "manager"}
AUDIT = {"admin", "auditor"}
ADMIN = {"admin"}

# (method, url template, roles allowed). Placeholders are filled from the test world.
ROUTES = [
    ("GET", "/", EVERYONE),
    ("GET", "/orders", EVERYONE),
    ("GET", "/orders?q=Заказ&state=enquiry&overdue=y", EVERYONE),
    ("GET", "/orders/board", EVERYONE),
    ("GET", "/orders/{number}", EVERYONE),
    ("GET", "/orders/new", OFFICE),
    ("POST", "/orders/new", OFFICE),
    ("POST", "/orders/{number}/advance", WRITERS),
    ("POST", "/orders/{number}/sales-stages", OFFICE),
    ("POST", "/orders/{number}/pack", EVERYONE),  # auditors print what they audit
    ("GET", "/orders/{number}/edit", OFFICE),
    ("POST", "/orders/{number}/edit", OFFICE),
    ("GET", "/orders/{number}/records/new?kind=contract", WRITERS),
    ("POST", "/orders/{number}/records/new?kind=contract", WRITERS),
    ("GET", "/records/{approved}", EVERYONE),
    ("GET", "/records/{draft}/edit", WRITERS),
    ("POST", "/records/{draft}/edit", WRITERS),
    ("POST", "/records/{draft}/sign", WRITERS),
    ("POST", "/records/{approved}/revise", WRITERS),
    ("POST", "/records/{draft}/attachments", WRITERS),
    ("GET", "/customers", EVERYONE),
    ("GET", "/customers/{customer}", EVERYONE),
    ("GET", "/customers/new", OFFICE),
    ("POST", "/customers/new", OFFICE),
    ("GET", "/customers/{customer}/edit", OFFICE),
    ("POST", "/customers/{customer}/edit", OFFICE),
    ("POST", "/customers/{customer}/contacts", OFFICE),
    ("GET", "/settings/language", EVERYONE),
    ("GET", "/standards", EVERYONE),
    ("GET", "/audit/trace", EVERYONE),
    ("GET", "/audit/trace.csv", EVERYONE),
    ("GET", "/audit/trace.xlsx", EVERYONE),
    ("GET", "/orders/{number}/compliance", EVERYONE),
    ("POST", "/orders/{number}/notes", AUDIT),
    ("GET", "/audit/events", EVERYONE),
    ("GET", "/audit/events.csv", EVERYONE),
    ("POST", "/audit/verify", AUDIT),
    ("GET", "/audit/report.pdf", AUDIT),
    ("GET", "/items", EVERYONE),
    ("GET", "/items?workflow=complaint&overdue=y", EVERYONE),
    ("GET", "/items/new?workflow=complaint", WRITERS),
    ("POST", "/items/new?workflow=complaint", WRITERS),
    ("GET", "/items/{item}", EVERYONE),
    ("POST", "/items/{item}/advance", WRITERS),
    ("GET", "/account", EVERYONE),
    ("GET", "/inbox", EVERYONE),
    ("GET", "/inbox/settings", EVERYONE),
    ("GET", "/account/password", EVERYONE),
    ("POST", "/account/password", EVERYONE),
    ("GET", "/admin/users", ADMIN),
    ("GET", "/admin/users/new", ADMIN),
    ("POST", "/admin/users/new", ADMIN),
    ("GET", "/admin/users/{user}", ADMIN),
    ("POST", "/admin/users/{user}/role", ADMIN),
    ("POST", "/admin/users/{user}/deactivate", ADMIN),
    ("POST", "/admin/users/{user}/reactivate", ADMIN),
    ("POST", "/admin/users/{user}/password", ADMIN),
]


@pytest.fixture
def world(app):
    app.config["WTF_CSRF_ENABLED"] = False  # CSRF has its own test; here only roles matter
    return build_world()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "allowed"), ROUTES, ids=lambda v: str(v))
def test_route_permissions(client, world, method, url, allowed, role):
    url = url.format(
        number=world["order"].number,
        approved=world["approved"].id,
        draft=world["draft"].id,
        customer=world["customer"].id,
        item=world["item"].number,
        user=world["team"]["manager2"].id,
    )
    if role != "anonymous":
        assert login(client, role).status_code == 302

    response = client.open(url, method=method, data={})

    if role == "anonymous":
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    elif role in allowed:
        assert response.status_code != 403
        assert "/login" not in response.headers.get("Location", "")
        if method == "GET":
            assert response.status_code == 200
        else:  # empty forms: refused as bad input, never as forbidden, never a 500
            assert response.status_code in (200, 302, 400, 422)
    else:
        assert response.status_code == 403
        assert "Your role does not allow this." in response.get_data(as_text=True)


def test_public_pages(client, app):
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    css = client.get("/static/qms.css")
    assert css.status_code == 200
    css.close()
