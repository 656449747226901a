"""`qms init` (a real first install) and `qms users` (user administration for scripts).

Every event these commands write says it came from the command line and which
operating-system user ran it (QmsGroup.invoke). A password is read from standard input
or generated and printed once, never taken as an argument (it would stay in the shell's
history and in the process list); whoever gets it must change it at the first login.
"""

from __future__ import annotations

import sys

import click
from flask_migrate import upgrade
from sqlalchemy import func, select

from qms.auth.models import User
from qms.auth.passwords import PasswordRefused, generate_password
from qms.auth.roles import ROLES
from qms.auth.users import (
    LANGUAGES,
    change_role,
    create_user,
    deactivate,
    get_user,
    reactivate,
    set_password,
)
from qms.cli import print_json
from qms.extensions import db

PASSWORD_STDIN_HELP = "Read the password from standard input (else one is generated and printed)."


def _password_from_stdin() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException("no password on standard input")
    return password


def _create(username, *, role, email, full_name, language, password_stdin) -> None:
    password = _password_from_stdin() if password_stdin else generate_password(username)
    try:
        user = create_user(
            None,
            username=username,
            full_name=full_name or username,
            role=role,
            email=email,
            language=language,
            password=password,
            must_change_password=True,
        )
    except PasswordRefused as exc:
        raise click.ClickException(f"password refused: {exc}") from None
    db.session.commit()
    click.echo(
        f"user {user.username} created ({user.role}); "
        "they must change the password at the first login"
    )
    if not password_stdin:
        click.echo(f"password (shown only now): {password}")


@click.command("init")
@click.option("--admin", "username", required=True, help="The first administrator's user name.")
@click.option("--email", required=True, help="Their e-mail address.")
@click.option("--full-name", default=None, help="Their full name (default: the user name).")
@click.option("--language", type=click.Choice(LANGUAGES), default="ru", show_default=True)
@click.option("--password-stdin", is_flag=True, help=PASSWORD_STDIN_HELP)
def init(username, email, full_name, language, password_stdin) -> None:
    """A real installation: create the schema and one administrator, and no demo data."""
    upgrade()
    existing = db.session.scalar(select(func.count()).select_from(User))
    if existing:
        raise click.ClickException(
            f"qms is already set up here ({existing} user(s)); manage users with `qms users`"
        )
    _create(
        username,
        role="admin",
        email=email,
        full_name=full_name,
        language=language,
        password_stdin=password_stdin,
    )
    click.echo("qms is ready: serve it and log in as this administrator")


@click.group("users")
def users() -> None:
    """User administration: list, create, roles, deactivation, passwords."""


@users.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def list_users(fmt: str) -> None:
    """Every user, active and deactivated."""
    rows = [
        {
            "username": u.username,
            "full_name": u.full_name,
            "email": u.email,
            "role": u.role,
            "language": u.language,
            "is_active": u.is_active,
            "is_demo": u.is_demo,
            "must_change_password": u.must_change_password,
            "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
        }
        for u in db.session.scalars(select(User).order_by(User.username))
    ]
    if fmt == "json":
        print_json(rows)
        return
    click.echo(f"{'USERNAME':<20} {'ROLE':<9} {'STATUS':<12} {'EMAIL':<30} FULL NAME")
    for row in rows:
        status = "active" if row["is_active"] else "deactivated"
        click.echo(
            f"{row['username']:<20} {row['role']:<9} {status:<12} "
            f"{row['email'] or '-':<30} {row['full_name']}"
        )


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--email", required=True)
@click.option("--full-name", default=None, help="Default: the user name.")
@click.option("--language", type=click.Choice(LANGUAGES), default="ru", show_default=True)
@click.option("--password-stdin", is_flag=True, help=PASSWORD_STDIN_HELP)
def create(username, role, email, full_name, language, password_stdin) -> None:
    """Create user USERNAME (who must change the password at the first login)."""
    _create(
        username,
        role=role,
        email=email,
        full_name=full_name,
        language=language,
        password_stdin=password_stdin,
    )


@users.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@click.option("--reason", required=True, help="Why (kept in the audit trail).")
def set_role(username: str, role: str, reason: str) -> None:
    """Give USERNAME a new ROLE (their sessions end)."""
    user = get_user(username)
    old = user.role
    change_role(None, user, role, reason)
    db.session.commit()
    click.echo(f"{username}: {old} -> {role}")


@users.command("deactivate")
@click.argument("username")
@click.option("--reason", required=True, help="Why (kept in the audit trail).")
def deactivate_command(username: str, reason: str) -> None:
    """USERNAME can no longer log in; their sessions end. Nothing they did is removed."""
    deactivate(None, get_user(username), reason)
    db.session.commit()
    click.echo(f"{username}: deactivated")


@users.command("reactivate")
@click.argument("username")
@click.option("--reason", default=None, help="Why (kept in the audit trail).")
def reactivate_command(username: str, reason: str | None) -> None:
    """USERNAME may log in again."""
    reactivate(None, get_user(username), reason)
    db.session.commit()
    click.echo(f"{username}: active again")


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help=PASSWORD_STDIN_HELP)
def set_password_command(username: str, password_stdin: bool) -> None:
    """Give USERNAME a new password, to be changed at their next login; their sessions end."""
    user = get_user(username)
    password = _password_from_stdin() if password_stdin else generate_password(username)
    try:
        set_password(None, user, password)
    except PasswordRefused as exc:
        raise click.ClickException(f"password refused: {exc}") from None
    db.session.commit()
    click.echo(f"{username}: password set; they must change it at the next login")
    if not password_stdin:
        click.echo(f"password (shown only now): {password}")
