"""Sessions end when they should: at logout (every saved copy of the cookie too), when the
password or role changes or the user is deactivated, when idle, and after a lifetime; and
no authenticated answer may be kept by a browser or proxy."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from qms.auth import sessions
from qms.auth.users import change_role, deactivate, set_password
from qms.customers.models import Customer
from qms.extensions import db
from qms.records.models import Attachment
from tests.web_helpers import build_world, login

OTHER_BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux) OtherBrowser/1.0"}


@pytest.fixture
def world(app):
    return build_world()


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def login_with_csrf(client, username: str, password: str | None = None):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    return client.post(
        "/login",
        data={"username": username, "password": password or f"{username}-pw", "csrf_token": token},
    )


def copy_of_cookie(client, app):
    """A new browser holding a copy of `client`'s session cookie (saved, or stolen)."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def signed_out(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_cookie_saved_before_logout_no_longer_works(client, app, world):
    assert login_with_csrf(client, "manager").status_code == 302
    saved = copy_of_cookie(client, app)
    assert saved.get("/orders").status_code == 200  # the copy works while signed in

    token = csrf_token(client.get("/orders").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})

    assert signed_out(saved.get("/orders"))
    page = saved.get("/customers/new")
    assert signed_out(page)
    # Nor can it post a form, even with a token that the saved session itself hands out.
    token = csrf_token(page.get_data(as_text=True)) if page.status_code == 200 else ""
    saved.post("/customers/new", data={"name": "Поддельный заказчик", "csrf_token": token})
    assert db.session.scalar(select(Customer).where(Customer.name == "Поддельный заказчик")) is None


def test_a_copied_cookie_does_not_work_from_another_browser(client, app, world):
    assert login_with_csrf(client, "manager").status_code == 302
    stolen = copy_of_cookie(client, app)
    assert signed_out(stolen.get("/orders", headers=OTHER_BROWSER))
    assert client.get("/orders").status_code == 200  # the real browser is not affected


def test_the_session_cookie_lasts_only_while_the_browser_is_open(client, app, world):
    app.config["WTF_CSRF_ENABLED"] = False
    cookies = login(client, "manager").headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "Expires" not in session_cookie and "Max-Age" not in session_cookie


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda team: change_role(team["admin"], team["engineer"], "auditor", "moved"),
            id="role changed",
        ),
        pytest.param(
            lambda team: deactivate(team["admin"], team["engineer"], "left"), id="deactivated"
        ),
        pytest.param(
            lambda team: set_password(team["admin"], team["engineer"], "ein-neues-Passwort-42"),
            id="password reset",
        ),
    ],
)
def test_changes_to_a_user_end_their_sessions_at_the_next_request(client, app, world, change):
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, "engineer")
    assert client.get("/orders").status_code == 200
    change(world["team"])
    db.session.commit()
    assert signed_out(client.get("/orders"))


def test_changing_my_password_ends_my_other_sessions_but_not_this_one(client, app, world):
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, "engineer")
    other = app.test_client()
    login(other, "engineer")
    response = client.post(
        "/account/password",
        data={
            "current": "engineer-pw",
            "new": "Lampe Regen Fluss 42",
            "confirm": "Lampe Regen Fluss 42",
        },
    )
    assert response.status_code == 302
    assert client.get("/orders").status_code == 200
    assert signed_out(other.get("/orders"))


@pytest.fixture
def clock(monkeypatch):
    """The sessions' clock, moved forward by hand."""
    now = [sessions.time.time()]
    monkeypatch.setattr(sessions.time, "time", lambda: now[0])

    def forward(minutes: float) -> None:
        now[0] += minutes * 60

    return forward


def test_an_idle_session_ends(client, app, world, clock):
    app.config["WTF_CSRF_ENABLED"] = False
    assert app.config["QMS_IDLE_MINUTES"] == 30
    login(client, "manager")
    clock(20)
    assert client.get("/orders").status_code == 200
    clock(20)  # 40 minutes since login, but only 20 since the last request
    assert client.get("/orders").status_code == 200
    clock(31)
    response = client.get("/orders")
    assert signed_out(response)
    assert "next=/orders" in response.headers["Location"]


def test_a_busy_session_ends_after_its_lifetime(client, app, world, clock):
    from datetime import timedelta

    app.config["WTF_CSRF_ENABLED"] = False
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=1)
    login(client, "manager")
    for _ in range(2):
        clock(25)
        assert client.get("/orders").status_code == 200
    clock(25)
    assert signed_out(client.get("/orders"))


def test_authenticated_answers_and_downloads_are_not_stored(client, app, world):
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, "engineer")
    client.post(
        f"/records/{world['draft'].id}/attachments",
        data={"file": (io.BytesIO(b"%PDF-1.4 test"), "spec.pdf")},
        content_type="multipart/form-data",
    )
    attachment = db.session.scalars(select(Attachment)).one()
    for url in (
        "/",
        f"/orders/{world['order'].number}",
        f"/attachments/{attachment.id}/{attachment.filename}",
        "/audit/trace.csv",
        "/audit/events.csv",
        "/account",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    with client.get("/static/qms.css") as asset:
        assert "no-store" not in asset.headers.get("Cache-Control", "")
