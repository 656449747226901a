"""`qms documents`: the register with its revisions, and loading existing procedures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask_babel import gettext as _

from qms.auth.users import acting_user
from qms.cli import print_json
from qms.documents import acknowledgements
from qms.documents.queries import STATUS_TITLES, document_statuses
from qms.documents.services import add_revision, approve_revision, find_document, revisions_of
from qms.extensions import db
from qms.timeutil import utcnow

TEXT_FILES = (".txt", ".md")


@click.group("documents")
def documents() -> None:
    """Controlled documents: the register's revisions, approvals and readings."""


@documents.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def list_documents(fmt: str) -> None:
    """Every document of the register with its revision in force and its review date."""
    rows = [s.as_dict() for s in document_statuses().values()]
    if fmt == "json":
        print_json(rows)
        return
    click.echo(
        f"{_('Register'):<14} {_('Code'):<12} {_('Rev.'):<4} {_('In force from'):<14} "
        f"{_('Review due'):<14} {_('Status')}"
    )
    for row in rows:
        click.echo(
            f"{row['register']:<14} {row['code'] or '—':<12} "
            f"{row['revision'] or '—'!s:<4} {row['effective_from'] or '—':<14} "
            f"{row['review_due'] or '—':<14} {STATUS_TITLES[row['status']]}"
        )


@documents.command("add-revision")
@click.argument("code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--summary", required=True, help="What the revision changes.")
@click.option("--as", "username", required=True, help="Who prepared it.")
@click.option(
    "--effective-from",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day it takes effect (default: today).",
)
@click.option("--review-months", type=int, default=12, show_default=True)
def add_revision_command(
    code: str, path: Path, summary: str, username: str, effective_from, review_months: int
) -> None:
    """Load FILE as the next draft revision of document CODE (a register number or an
    СТП code): a .txt or .md file as its text, a PDF, DOCX or ODT file as it is."""
    author = acting_user(username)
    document = find_document(code)
    content = path.read_bytes()
    text_file = path.suffix.lower() in TEXT_FILES
    revision = add_revision(
        document,
        author=author,
        summary=summary,
        body=content.decode("utf-8", errors="replace") if text_file else "",
        filename=None if text_file else path.name,
        content=None if text_file else content,
        effective_from=effective_from.date() if effective_from else utcnow().date(),
        review_months=review_months,
        max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
    )
    db.session.commit()
    click.echo(
        _(
            "%(document)s: revision %(revision)s prepared; it takes effect once approved",
            document=document.label,
            revision=revision.revision,
        )
    )


@documents.command("approve")
@click.argument("code")
@click.option("--as", "username", required=True, help="The approver.")
@click.password_option("--password", confirmation_prompt=False, help="The approver's password.")
def approve_command(code: str, username: str, password: str) -> None:
    """Approve the draft revision of document CODE with an electronic signature."""
    signer = acting_user(username)
    document = find_document(code)
    drafts = [r for r in revisions_of(document.register) if not r.is_approved]
    if not drafts:
        raise click.ClickException(_("%(document)s has no draft revision", document=document.label))
    revision = drafts[-1]
    approve_revision(
        revision,
        signer=signer,
        password=password,
        meaning="approved",
        seen_sha256=revision.content_hash(),
    )
    db.session.commit()
    click.echo(
        _(
            "%(document)s: revision %(revision)s approved, in force from %(date)s",
            document=document.label,
            revision=revision.revision,
            date=revision.effective_from.isoformat(),
        )
    )


@documents.command("unread")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def unread_command(fmt: str) -> None:
    """Who has not yet acknowledged the revisions in force they must read, and for how long."""
    today: date = utcnow().date()
    rows = [
        {
            "user": u.user.username,
            "register": u.document.register,
            "code": u.document.code,
            "revision": u.revision.revision,
            "since": u.since.isoformat(),
            "days": u.days(today),
        }
        for u in acknowledgements.unread(today=today)
    ]
    if fmt == "json":
        print_json(rows)
        return
    if not rows:
        click.echo(_("everyone has read what they must"))
        return
    for row in rows:
        click.echo(
            f"{row['user']:<14} {row['register']:<14} {row['code'] or '—':<12} "
            f"{row['revision']:<4} {row['since']}  {row['days']}"
        )
