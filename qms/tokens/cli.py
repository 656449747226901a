"""`qms tokens`: API tokens for scripts. The token is printed once, alone on its line."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from qms.auth.users import get_user
from qms.extensions import db
from qms.tokens.models import SCOPES, ApiToken
from qms.tokens.services import MAX_DAYS, create_token, revoke_token


@click.group("tokens")
def tokens() -> None:
    """API tokens: make, list and revoke."""


@tokens.command("create")
@click.option("--user", "username", required=True, help="Whose token (it acts as them).")
@click.option("--scope", type=click.Choice(SCOPES), required=True)
@click.option(
    "--expires",
    "days",
    type=click.IntRange(1, MAX_DAYS),
    default=None,
    help="Days until it expires (default: QMS_API_TOKEN_DAYS, 90).",
)
@click.option("--name", default="command line", show_default=True, help="What it is for.")
def create(username: str, scope: str, days: int | None, name: str) -> None:
    """Make a token for USER and print it (only now: qms keeps its digest)."""
    token, secret = create_token(None, get_user(username), name=name, scope=scope, days=days)
    db.session.commit()
    click.echo(
        f"token #{token.id} for {username} ({scope}), expires {token.expires_at:%Y-%m-%d}",
        err=True,
    )
    click.echo(secret)


@tokens.command("list")
@click.option("--user", "username", default=None, help="Only this user's tokens.")
def list_tokens(username: str | None) -> None:
    """Every token (never the secret): id, user, name, scope, expiry, status, last use."""
    query = select(ApiToken).options(joinedload(ApiToken.user)).order_by(ApiToken.id)
    if username:
        query = query.where(ApiToken.user_id == get_user(username).id)
    for t in db.session.scalars(query):
        status = "revoked" if t.revoked_at else "expired" if t.is_expired else "active"
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        click.echo(
            f"#{t.id:<5} {t.user.username:<16} {t.scope:<5} {status:<8} "
            f"expires {t.expires_at:%Y-%m-%d}  used {used:<16} {t.hint}…  {t.name}"
        )


@tokens.command("revoke")
@click.argument("token_id", type=int)
def revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID: it stops working at once."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"there is no token #{token_id}")
    revoke_token(None, token)
    db.session.commit()
    click.echo(f"token #{token_id} revoked")
