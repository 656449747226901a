"""Single sign-on against an OpenID provider started inside the test, over loopback: the
first sign-in creates the user with the role the claim names, later ones find them; local
passwords stay for administrators only."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import select

from qms.audit.models import AuditEvent
from qms.auth.models import User
from qms.extensions import db
from tests.factories import make_team
from tests.oidc_provider import Provider
from tests.web_helpers import login


@pytest.fixture
def provider(app):
    provider = Provider().start()
    app.config.update(
        WTF_CSRF_ENABLED=False,  # the password logins below; CSRF has its own test
        QMS_OIDC_ISSUER=provider.issuer,
        QMS_OIDC_CLIENT_ID=provider.client_id,
        QMS_OIDC_CLIENT_SECRET=provider.client_secret,
        QMS_OIDC_ROLE_CLAIM="groups",
        QMS_OIDC_ROLE_MAP="qms-engineers=engineer,qms-managers=manager",
        QMS_OIDC_DEFAULT_ROLE="",
        QMS_OIDC_CREATE_USERS=True,
    )
    make_team()
    db.session.commit()
    yield provider
    provider.stop()


def sign_in(client, provider, **claims):
    """The whole round: qms -> provider (a real HTTP request) -> back to qms's callback."""
    provider.next_user = claims
    start = client.get("/login/sso")
    assert start.status_code == 302
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302
    back = urlsplit(at_provider.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def test_a_first_sign_in_creates_the_user_with_the_role_from_the_claim(client, provider):
    done = sign_in(
        client,
        provider,
        sub="a1b2",
        email="petrov@example.org",
        email_verified=True,
        name="Пётр Петров",
        preferred_username="petrov",
        groups=["staff", "qms-engineers"],
        locale="ru-RU",
    )

    assert done.status_code == 302 and urlsplit(done.headers["Location"]).path == "/"
    user = db.session.scalars(select(User).where(User.username == "petrov")).one()
    assert (user.role, user.email, user.full_name, user.language) == (
        "engineer",
        "petrov@example.org",
        "Пётр Петров",
        "ru",
    )
    assert user.sso_subject == f"{provider.issuer}|a1b2"
    created = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.created")
    ).all()
    assert created[-1].changes["role"] == "engineer"
    page = client.get("/")
    assert page.status_code == 200 and "Пётр Петров" in page.get_data(as_text=True)


def test_a_later_sign_in_finds_the_same_user(client, provider):
    claims = {
        "sub": "s-7",
        "email": "ivanova@example.org",
        "email_verified": True,
        "preferred_username": "ivanova",
        "groups": "qms-managers",
    }
    sign_in(client, provider, **claims)
    client.post("/logout")
    sign_in(client, provider, **claims | {"groups": "qms-engineers"})
    users = db.session.scalars(select(User).where(User.email == "ivanova@example.org")).all()
    assert len(users) == 1 and users[0].role == "manager"  # set once, then by administrators


def test_an_existing_user_is_matched_by_verified_email(client, provider):
    engineer = db.session.scalars(select(User).where(User.username == "engineer")).one()
    engineer.email = "engineer@example.org"
    db.session.commit()
    done = sign_in(client, provider, sub="x9", email="Engineer@example.org", email_verified=True)
    assert done.status_code == 302
    db.session.expire_all()
    assert engineer.sso_subject == f"{provider.issuer}|x9"
    assert db.session.scalars(select(User).where(User.sso_subject.is_not(None))).all() == [engineer]


def test_an_unverified_email_matches_no_one(client, provider):
    engineer = db.session.scalars(select(User).where(User.username == "engineer")).one()
    engineer.email = "engineer@example.org"
    db.session.commit()
    sign_in(
        client,
        provider,
        sub="evil",
        email="engineer@example.org",
        email_verified=False,
        groups=["qms-engineers"],
        preferred_username="mallory",
    )
    db.session.expire_all()
    assert engineer.sso_subject is None


def test_a_sign_in_without_a_role_is_refused(client, provider):
    done = sign_in(client, provider, sub="nobody", email="n@example.org", email_verified=True)
    assert done.status_code == 302 and urlsplit(done.headers["Location"]).path == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert "names no qms role" in page
    assert db.session.scalars(select(User).where(User.email == "n@example.org")).first() is None


def test_a_default_role_applies_when_the_claim_names_none(app, client, provider):
    app.config["QMS_OIDC_DEFAULT_ROLE"] = "auditor"
    sign_in(client, provider, sub="aud", email="aud@example.org", email_verified=True)
    user = db.session.scalars(select(User).where(User.email == "aud@example.org")).one()
    assert user.role == "auditor"


def test_a_forged_state_is_refused(client, provider):
    provider.next_user = {"sub": "z", "groups": ["qms-engineers"]}
    client.get("/login/sso")
    done = client.get("/login/sso/callback?code=whatever&state=forged")
    assert urlsplit(done.headers["Location"]).path == "/login"
    assert client.get("/").status_code == 302  # not signed in


def test_with_sso_on_only_administrators_use_local_passwords(client, provider):
    refused = login(client, "engineer")
    assert refused.status_code == 403
    assert "Sign in with single sign-on" in refused.get_data(as_text=True)
    assert login(client, "admin").status_code == 302


def test_without_sso_the_login_page_offers_none(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    make_team()
    db.session.commit()
    assert "single sign-on" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/sso").status_code == 404
    assert login(client, "engineer").status_code == 302
