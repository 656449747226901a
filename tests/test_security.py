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


def test_pages_answer_503_while_the_database_is_down_and_recover(tmp_path):
    import shutil

    from flask_migrate import upgrade

    from qms.extensions import db

    folder = tmp_path / "data"
    folder.mkdir()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/qms.sqlite",
            "TESTING": True,
            "SECRET_KEY": "x",
            "WTF_CSRF_ENABLED": False,
            "QMS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        upgrade()
        from tests.factories import make_team

        make_team()
        db.session.commit()
        db.engine.dispose()
    client = app.test_client()
    assert login(client, "manager").status_code == 302
    assert client.get("/orders").status_code == 200

    with app.app_context():
        db.engine.dispose()
    shutil.move(folder, tmp_path / "away")  # the database disappears
    down = client.get("/orders")
    assert down.status_code == 503
    assert "cannot be reached right now" in down.get_data(as_text=True)
    assert client.get("/healthz").status_code == 503

    shutil.move(tmp_path / "away", folder)  # ... and comes back
    with app.app_context():
        db.engine.dispose()
    assert client.get("/orders").status_code == 200
