"""`qms users` and `qms init` for scripts and first installs; every event a command writes
says it came from the command line and who ran it; `--as` names only active users."""

from __future__ import annotations

import getpass
import json
import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from qms import create_app
from qms.audit.models import AuditEvent
from qms.auth.users import find_user
from qms.extensions import db
from tests.factories import approved_record, make_order, make_team


@pytest.fixture
def team(app):
    team = make_team()
    db.session.commit()
    return team


def user_events(username: str) -> list[AuditEvent]:
    user = find_user(username)
    return db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "user", AuditEvent.entity_id == user.id)
        .order_by(AuditEvent.seq)
    ).all()


def one_line_error(result, message: str) -> None:
    """The error is the last line (click puts its usage lines above a usage error)."""
    assert result.exit_code != 0
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: ") and message in last, result.output
    assert "Traceback" not in result.output


def test_create_prints_a_generated_password_once_and_forces_a_change(runner, team):
    result = runner.invoke(
        ["users", "create", "sidorov", "--role", "engineer", "--email", "s@example.org"]
    )
    assert result.exit_code == 0, result.output
    password = re.search(r"password \(shown only now\): (\S+)", result.output).group(1)
    user = find_user("sidorov")
    assert user.check_password(password) and user.must_change_password
    assert user.full_name == "sidorov" and user.role == "engineer"
    assert password not in str([e.changes for e in user_events("sidorov")])


def test_create_reads_the_password_from_stdin_and_applies_the_policy(runner, team):
    refused = runner.invoke(
        [
            "users",
            "create",
            "kuznetsov",
            "--role",
            "auditor",
            "--email",
            "k@example.org",
            "--password-stdin",
        ],
        input="short\n",
    )
    one_line_error(refused, "password refused: The password must have at least 12 characters.")
    assert find_user("kuznetsov") is None
    created = runner.invoke(
        [
            "users",
            "create",
            "kuznetsov",
            "--role",
            "auditor",
            "--email",
            "k@example.org",
            "--full-name",
            "Кузнецов К.",
            "--password-stdin",
        ],
        input="Сосна у реки 17\n",
    )
    assert created.exit_code == 0, created.output
    assert "shown only now" not in created.output
    assert find_user("kuznetsov").check_password("Сосна у реки 17")


def test_list_shows_active_and_deactivated_users(runner, team):
    runner.invoke(["users", "deactivate", "manager2", "--reason", "уволился"])
    table = runner.invoke(["users", "list"]).output.splitlines()
    assert table[0].split()[:3] == ["USERNAME", "ROLE", "STATUS"]
    assert any(line.split()[:3] == ["manager2", "manager", "deactivated"] for line in table)
    rows = {
        r["username"]: r
        for r in json.loads(runner.invoke(["users", "list", "--format", "json"]).output)
    }
    assert rows["manager2"]["is_active"] is False and rows["admin"]["role"] == "admin"
    assert "password_hash" not in rows["admin"]


def test_role_changes_and_deactivation_are_events_from_the_command_line(runner, team):
    assert (
        runner.invoke(
            ["users", "set-role", "engineer", "manager", "--reason", "повышение"]
        ).exit_code
        == 0
    )
    assert runner.invoke(["users", "deactivate", "engineer", "--reason", "уволился"]).exit_code == 0
    assert runner.invoke(["users", "reactivate", "engineer"]).exit_code == 0
    events = user_events("engineer")
    assert [(e.action, e.changes, e.reason) for e in events[1:]] == [
        ("user.role_changed", {"role": ["engineer", "manager"]}, "повышение"),
        ("user.deactivated", {"is_active": [True, False]}, "уволился"),
        ("user.reactivated", {"is_active": [False, True]}, None),
    ]
    for event in events[1:]:
        assert event.origin == "cli"
        assert event.origin_detail.startswith(f"{getpass.getuser()}@")


def test_set_password_from_stdin_must_be_changed_at_the_next_login(runner, team):
    result = runner.invoke(
        ["users", "set-password", "engineer", "--password-stdin"], input="Лампа и дождь 42\n"
    )
    assert result.exit_code == 0, result.output
    engineer = find_user("engineer")
    assert engineer.check_password("Лампа и дождь 42") and engineer.must_change_password
    assert user_events("engineer")[-1].action == "user.password_reset"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["users", "set-role", "ghost", "admin", "--reason", "x"],
            "There is no user named 'ghost'.",
        ),
        (["users", "set-role", "engineer", "pilot", "--reason", "x"], "'pilot' is not one of"),
        (["users", "set-role", "engineer", "manager"], "Missing option '--reason'"),
        (["users", "deactivate", "engineer", "--reason", " "], "A reason is required."),
        (
            ["users", "deactivate", "admin", "--reason", "x"],
            "admin is the last active administrator.",
        ),
        (["users", "reactivate", "engineer"], "engineer is already active."),
        (
            ["users", "create", "admin", "--role", "admin", "--email", "a@example.org"],
            "A user named 'admin' already exists.",
        ),
        (
            ["users", "create", "new", "--role", "admin", "--email", "nope"],
            "'nope' is not an e-mail address.",
        ),
        (
            ["users", "set-password", "engineer", "--password-stdin"],
            "no password on standard input",
        ),
    ],
)
def test_bad_input_gives_one_line_and_a_non_zero_exit(runner, team, args, message):
    one_line_error(runner.invoke(args, input=""), message)


def test_events_from_the_command_line_name_the_operating_system_user(runner, team):
    order = make_order(team)
    approved_record(order, "enquiry", team)
    db.session.commit()
    result = runner.invoke(["advance", order.number, "accept_enquiry", "--as", "manager"])
    assert result.exit_code == 0, result.output
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event.to_state == "pre_contract" and event.actor_name == "manager"
    assert event.origin == "cli"
    assert event.origin_detail.startswith(f"{getpass.getuser()}@")


@pytest.mark.parametrize(
    "command",
    [
        ["advance", "{number}", "cancel", "--reason", "x"],
        ["pack", "{number}", "-o", "{tmp}/pack.pdf"],
        ["audit", "report", "-o", "{tmp}/report.pdf"],
    ],
    ids=["advance", "pack", "audit report"],
)
def test_no_command_acts_as_a_deactivated_user(runner, team, tmp_path, command):
    order = make_order(team)
    db.session.commit()
    runner.invoke(["users", "deactivate", "manager2", "--reason", "уволился"])
    out = tmp_path / "out"
    out.mkdir()
    args = [a.format(number=order.number, tmp=out) for a in command]
    for who in ("manager2", "ghost"):
        result = runner.invoke([*args, "--as", who])
        one_line_error(result, f"no active user '{who}'")
    assert not list(out.iterdir())


def _qms(instance, *args, stdin: str | None = None):
    env = {**os.environ, "QMS_INSTANCE_PATH": str(instance)}
    env.pop("QMS_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "qms.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_init_sets_up_a_real_installation_with_one_administrator(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    first = _qms(instance, "init", "--admin", "boss", "--email", "boss@example.org")
    assert first.returncode == 0, first.stderr
    password = re.search(r"password \(shown only now\): (\S+)", first.stdout).group(1)
    again = _qms(instance, "init", "--admin", "other", "--email", "o@example.org")
    assert again.returncode != 0 and "already set up" in again.stderr
    listing = json.loads(_qms(instance, "users", "list", "--format", "json").stdout)
    assert [(u["username"], u["role"], u["must_change_password"]) for u in listing] == [
        ("boss", "admin", True)
    ]
    assert "[]" in _qms(instance, "orders", "--format", "json").stdout  # no demo data

    monkeypatch.setenv("QMS_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("QMS_DATABASE_URL", raising=False)
    client = create_app({"WTF_CSRF_ENABLED": False}).test_client()
    assert client.post("/login", data={"username": "boss", "password": password}).status_code == 302
    assert client.get("/").headers["Location"] == "/account/password"
    assert "Demo data" not in client.get("/account/password").get_data(as_text=True)


def test_init_takes_the_password_from_stdin(tmp_path):
    instance = tmp_path / "instance"
    weak = _qms(
        instance,
        "init",
        "--admin",
        "boss",
        "--email",
        "b@example.org",
        "--password-stdin",
        stdin="boss\n",
    )
    assert weak.returncode != 0 and "password refused" in weak.stderr
    made = _qms(
        instance,
        "init",
        "--admin",
        "boss",
        "--email",
        "b@example.org",
        "--password-stdin",
        stdin="Сосна у реки 17\n",
    )
    assert made.returncode == 0, made.stderr
    assert "shown only now" not in made.stdout


def test_the_demo_marks_its_users(runner):
    assert runner.invoke(["demo"]).exit_code == 0
    assert all(find_user(name).is_demo for name in ("admin", "manager", "engineer", "auditor"))
