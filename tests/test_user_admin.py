"""User administration on the web, the password policy, the forced password change and
the demo banner; every change an audit event in the shape the verifier reads."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from qms.audit.models import AuditEvent
from qms.auth.models import User
from qms.auth.passwords import PasswordRefused, check_policy, generate_password
from qms.auth.users import UserError, change_role, create_user, deactivate, find_user
from qms.extensions import db
from tests.factories import make_team
from tests.web_helpers import login


@pytest.fixture
def team(app):
    app.config["WTF_CSRF_ENABLED"] = False
    team = make_team()
    db.session.commit()
    return team


def events_of(user: User, action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(
        AuditEvent.entity_type == "user", AuditEvent.entity_id == user.id
    )
    if action:
        query = query.where(AuditEvent.action == action)
    return db.session.scalars(query.order_by(AuditEvent.seq)).all()


def text(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-pw-1", "at least 12 characters"),
        ("qwerty123456", "one of the most common passwords"),
        ("QWERTY123456", "one of the most common passwords"),
        ("abcdefghijklmn", "too easy to guess"),
        ("monkeymonkey12", "too easy to guess"),
        ("ivanov-the-great-1", "must not contain the user name"),
        ("x" * 201, "at most 200 characters"),
    ],
)
def test_the_password_policy_refuses(app, password, message):
    with pytest.raises(PasswordRefused, match=message):
        check_policy(password, username="Ivanov")


@pytest.mark.parametrize(
    "password", ["Lampe Regen Fluss 42", "mk3-Lq9x-vv2r-Tz8p", "Сосна у реки в июле"]
)
def test_the_password_policy_accepts_long_unpredictable_passwords(app, password):
    check_policy(password, username="ivanov")


def test_short_user_names_do_not_rule_out_passwords_that_happen_to_contain_them(app):
    check_policy("Lampe Regen Fluss 42", username="re")
    for name in ("a", "ab", "e"):
        check_policy(generate_password(name), username=name)


def test_passwords_are_stored_with_a_memory_hard_hash(app):
    app.config.pop("QMS_PASSWORD_HASH_METHOD")  # the default, not the tests' quick one
    user = create_user(
        None, username="petrov", full_name="Petrov", role="engineer", password="Lampe Regen 42"
    )
    assert user.password_hash.startswith("scrypt:")
    assert "Lampe" not in str([e.changes for e in events_of(user)])


def test_only_administrators_manage_users(client, team):
    for role in ("manager", "engineer", "auditor"):
        login(client, role)
        assert client.get("/admin/users").status_code == 403
        client.post("/logout")
    login(client, "admin")
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert "Users" in text(page) and "manager2" in text(page)


def new_user(client, **fields):
    form = {
        "username": "petrova",
        "full_name": "Мария Петрова",
        "email": "petrova@example.org",
        "role": "engineer",
        "language": "ru",
    } | fields
    return client.post("/admin/users/new", data=form)


def shown_password(response) -> str:
    return re.search(r'id="new-password">([^<]+)<', response.get_data(as_text=True)).group(1)


def test_an_administrator_creates_a_user_who_must_choose_a_password(client, app, team):
    login(client, "admin")
    created = new_user(client)
    assert created.status_code == 200
    password = shown_password(created)
    user = find_user("petrova")
    assert user.must_change_password and user.role == "engineer" and user.language == "ru"
    [event] = events_of(user)
    assert event.action == "user.created" and event.actor_name == "admin"
    assert event.changes["role"] == "engineer" and event.changes["is_active"] is True
    assert password not in str(event.changes) and user.password_hash not in str(event.changes)

    newcomer = app.test_client()
    assert login(newcomer, "petrova", password).status_code == 302
    for url in ("/", "/orders", "/account"):
        answer = newcomer.get(url)
        assert answer.status_code == 302 and answer.headers["Location"] == "/account/password"
    refused = newcomer.post(
        "/account/password", data={"current": password, "new": "petrova2024", "confirm": "x"}
    )
    assert refused.status_code == 422
    changed = newcomer.post(
        "/account/password",
        data={"current": password, "new": "Сосна у реки 17", "confirm": "Сосна у реки 17"},
    )
    assert changed.status_code == 302
    assert newcomer.get("/orders").status_code == 200
    db.session.refresh(user)
    assert not user.must_change_password
    assert [e.action for e in events_of(user)] == ["user.created", "user.password_changed"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "manager"}, "A user named 'manager' already exists."),
        ({"username": "two words"}, "A user name has no spaces."),
        ({"email": "not-an-address"}, "Invalid email address."),
        ({"full_name": ""}, "This field is required."),
    ],
)
def test_the_new_user_form_refuses_bad_input(client, team, fields, message):
    login(client, "admin")
    before = db.session.scalar(select(db.func.count()).select_from(User))
    refused = new_user(client, **fields)
    assert refused.status_code == 422
    assert message in text(refused)
    assert db.session.scalar(select(db.func.count()).select_from(User)) == before


def test_a_role_change_needs_a_reason_and_is_recorded(client, team):
    login(client, "admin")
    engineer = team["engineer"]
    refused = client.post(f"/admin/users/{engineer.id}/role", data={"role-role": "manager"})
    assert refused.status_code == 422
    changed = client.post(
        f"/admin/users/{engineer.id}/role",
        data={"role-role": "manager", "role-reason": "повышение"},
    )
    assert changed.status_code == 302
    db.session.refresh(engineer)
    assert engineer.role == "manager"
    [event] = events_of(engineer, "user.role_changed")
    assert event.changes == {"role": ["engineer", "manager"]} and event.reason == "повышение"


def test_deactivation_keeps_the_user_and_their_evidence_and_can_be_undone(client, team):
    login(client, "admin")
    engineer = team["engineer"]
    refused = client.post(f"/admin/users/{engineer.id}/deactivate", data={"deactivate-reason": ""})
    assert refused.status_code == 422
    client.post(f"/admin/users/{engineer.id}/deactivate", data={"deactivate-reason": "уволился"})
    db.session.refresh(engineer)
    assert not engineer.is_active
    listing = text(client.get("/admin/users"))
    assert "engineer" in listing and "deactivated" in listing
    assert login(client.application.test_client(), "engineer").status_code == 200  # refused

    client.post(f"/admin/users/{engineer.id}/reactivate")
    db.session.refresh(engineer)
    assert engineer.is_active
    assert [(e.action, e.changes, e.reason) for e in events_of(engineer)][1:] == [
        ("user.deactivated", {"is_active": [True, False]}, "уволился"),
        ("user.reactivated", {"is_active": [False, True]}, None),
    ]


def test_a_password_reset_shows_a_new_password_once_and_forces_a_change(client, app, team):
    login(client, "admin")
    engineer = team["engineer"]
    reset = client.post(f"/admin/users/{engineer.id}/password")
    password = shown_password(reset)
    assert login(app.test_client(), "engineer").status_code == 200  # the old one is gone
    fresh = app.test_client()
    assert login(fresh, "engineer", password).status_code == 302
    assert fresh.get("/").headers["Location"] == "/account/password"
    [event] = events_of(engineer, "user.password_reset")
    assert password not in str(event.changes)


def test_the_last_active_administrator_cannot_be_removed(app, team):
    with pytest.raises(UserError, match="last active administrator"):
        deactivate(None, team["admin"], "oops")
    with pytest.raises(UserError, match="last active administrator"):
        change_role(None, team["admin"], "auditor", "oops")


def test_my_account_changes_my_email_and_language(client, team):
    login(client, "engineer")
    saved = client.post("/account", data={"email": "eng@example.org", "language": "ru"})
    assert saved.status_code == 302
    engineer = find_user("engineer")
    assert engineer.email == "eng@example.org" and engineer.language == "ru"
    assert {e.action for e in events_of(engineer)} >= {"user.email_changed", "user.language"}
    assert "Мой профиль" in text(client.get("/account"))


def test_changing_my_password_needs_the_current_one(client, team):
    login(client, "engineer")
    refused = client.post(
        "/account/password",
        data={"current": "wrong", "new": "Сосна у реки 17", "confirm": "Сосна у реки 17"},
    )
    assert refused.status_code == 422
    assert "The current password is not correct." in text(refused)
    assert find_user("engineer").check_password("engineer-pw")


def test_pages_warn_about_demo_data_while_demo_users_are_active(client, app, team):
    banner = "Demo data: do not use for real work."
    login(client, "admin")
    assert banner not in text(client.get("/"))
    demo = create_user(
        None,
        username="demo-user",
        full_name="Demo",
        role="engineer",
        password="demo-user-demo",
        check_password_policy=False,
        is_demo=True,
    )
    db.session.commit()
    for url in ("/", "/orders", "/admin/users", "/nope"):
        assert banner in text(client.get(url)), url
    assert banner in text(app.test_client().get("/login"))
    deactivate(team["admin"], demo, "real use starts")
    db.session.commit()
    assert banner not in text(client.get("/"))


def test_russian_pages_of_user_administration_show_no_english(client, team):
    login(client, "admin")
    client.post("/settings/language", data={"language": "ru"})
    engineer = team["engineer"]
    change_role(team["admin"], engineer, "manager", "повышение")
    db.session.commit()
    # What may stay in Latin letters: the data (user names, full names), "English", "qms".
    data = {w for u in team.values() for w in (u.username, u.full_name)} | {"English", "qms"}
    for url in ("/admin/users", "/admin/users/new", f"/admin/users/{engineer.id}", "/account"):
        page = text(client.get(url)).split("<main>", 1)[1]
        visible = re.sub(r"<[^>]+>", " ", page)
        english = set(re.findall(r"[A-Za-z][A-Za-z0-9]{2,}", visible)) - data
        assert not english, (url, english)
