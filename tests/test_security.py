"""Security headers, and a health check that load balancers can trust."""

from __future__ import annotations

from flask_migrate import downgrade

from qms import create_app
from tests.web_helpers import build_world, login


def test_every_page_carries_the_security_headers(client, app):
    app.config["WTF_CSRF_ENABLED"] = False
    build_world()
    login(client, "manager")
    for url in ("/", "/orders", "/login", "/healthz", "/nope"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in headers  # plain http here
    secure = client.get("/login", base_url="https://qms.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_use_no_inline_style_or_script(client, app):
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    login(client, "manager")
    for url in (
        "/",
        "/orders",
        f"/orders/{world['order'].number}",
        "/audit/trace",
        "/customers",
        "/settings/language",
    ):
        html = client.get(url).get_data(as_text=True)
        assert "<script" not in html and " style=" not in html and "<style" not in html, url


def test_healthz_reports_a_database_behind_its_migrations(client, app):
    assert client.get("/healthz").get_json()["migrations"] == "current"
    downgrade(revision="-1")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["migrations"] == "behind"


def test_healthz_reports_an_unreachable_database(tmp_path):
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/no/such/dir/x.sqlite",
            "TESTING": True,
            "SECRET_KEY": "x",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


def test_session_cookie_is_http_only_and_same_site(client, app):
    app.config["WTF_CSRF_ENABLED"] = False
    build_world()
    cookie = login(client, "manager").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
