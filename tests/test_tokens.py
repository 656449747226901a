"""API tokens on the web and the command line: shown once, kept as a digest, revocable,
made for others (service accounts) only by administrators."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from qms.extensions import db
from qms.tokens.models import ApiToken
from tests.api_helpers import bearer
from tests.factories import make_team
from tests.web_helpers import login


@pytest.fixture
def team(app):
    app.config["WTF_CSRF_ENABLED"] = False
    team = make_team()
    db.session.commit()
    return team


def test_qms_tokens_create_prints_a_token_for_scripts(app, client, team, runner):
    made = runner.invoke(
        args=[
            "tokens",
            "create",
            "--user",
            "manager",
            "--scope",
            "read",
            "--expires",
            "7",
            "--name",
            "nightly export",
        ]
    )
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert secret.startswith("qms_")

    me = client.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200
    assert me.json["username"] == "manager" and me.json["token"]["scope"] == "read"
    token = db.session.scalars(select(ApiToken)).one()
    assert token.name == "nightly export" and secret not in (token.token_sha256, token.hint)
    listed = runner.invoke(args=["tokens", "list"])
    assert "nightly export" in listed.output and secret not in listed.output

    assert runner.invoke(args=["tokens", "revoke", str(token.id)]).exit_code == 0
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_qms_tokens_create_refuses_an_unknown_user(runner, team):
    made = runner.invoke(args=["tokens", "create", "--user", "ghost", "--scope", "read"])
    assert made.exit_code != 0 and "ghost" in made.output


def test_a_user_makes_a_token_on_the_web_and_sees_it_once(client, team):
    login(client, "engineer")
    made = client.post("/account/tokens", data={"name": "CI", "scope": "write", "days": 30})
    assert made.status_code == 200
    secret = re.search(r"qms_[A-Za-z0-9_-]{43}", made.get_data(as_text=True)).group(0)
    assert client.get("/api/v1/me", headers=bearer(secret)).json["username"] == "engineer"

    later = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in later and secret[:8] in later

    token = db.session.scalars(select(ApiToken)).one()
    assert client.post(f"/tokens/{token.id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_only_administrators_make_tokens_for_others(client, team):
    service = team["manager2"]
    login(client, "engineer")
    assert client.get(f"/admin/users/{service.id}/tokens").status_code == 403
    client.post("/logout")
    login(client, "admin")
    made = client.post(
        f"/admin/users/{service.id}/tokens", data={"name": "ERP", "scope": "write", "days": 365}
    )
    secret = re.search(r"qms_[A-Za-z0-9_-]{43}", made.get_data(as_text=True)).group(0)
    assert client.get("/api/v1/me", headers=bearer(secret)).json["username"] == "manager2"


def test_no_one_revokes_someone_elses_token_but_an_administrator(client, team, runner):
    made = runner.invoke(args=["tokens", "create", "--user", "manager", "--scope", "read"])
    secret = made.stdout.strip().splitlines()[-1]
    token = db.session.scalars(select(ApiToken)).one()
    login(client, "engineer")
    assert client.post(f"/tokens/{token.id}/revoke").status_code == 403
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
