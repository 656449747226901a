from __future__ import annotations

import json

import click
from flask_babel import gettext as _
from sqlalchemy import select

from qms.audit.titles import state_title, workflow_title
from qms.auth.models import User
from qms.documents.queries import reviews_overdue
from qms.documents.services import APPROVERS as REVIEWERS
from qms.extensions import db
from qms.i18n import current_language
from qms.orders.models import Order
from qms.orders.queries import overdue_clause
from qms.support.services import breaches
from qms.workitems.services import overdue_items


@click.command("overdue")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--owner", default=None, help="Only this user's work items.")
def overdue(fmt: str, owner: str | None) -> None:
    """What is overdue: work items past their due date, and orders past theirs (for cron)."""
    user = None
    if owner:
        user = db.session.scalars(select(User).where(User.username == owner)).first()
        if user is None:
            raise click.ClickException(_("no user '%(name)s'", name=owner))
    rows = [
        {
            "number": i.number,
            "kind": i.workflow,
            "title": i.title,
            "state": i.state,
            "due_on": i.due_on.isoformat(),
            "owner": i.owner.username if i.owner else None,
        }
        for i in overdue_items(owner=user)
    ]
    rows += [
        {
            "number": request.item.number,
            "kind": request.item.workflow,
            "title": request.item.title,
            "state": request.item.state,
            "due_on": request.item.due_on.isoformat()
            if request.item.due_on
            else due.date().isoformat(),
            "due_at": due.isoformat(),
            "clock": clock,
            "owner": request.item.owner.username if request.item.owner else None,
        }
        for request, clock, due in breaches()
        if user is None or request.item.owner_id == user.id
    ]
    if user is None or user.role == "manager":
        orders = select(Order).where(*overdue_clause()).order_by(Order.due_on)
        if user is not None:
            orders = orders.where(Order.manager_id == user.id)
        rows += [
            {
                "number": o.number,
                "kind": "order",
                "title": o.title,
                "state": o.state,
                "due_on": o.due_on.isoformat(),
                "owner": o.manager.username,
            }
            for o in db.session.scalars(orders)
        ]
    if user is None or user.role in REVIEWERS:
        rows += [
            {
                "number": s.document.label,
                "kind": "document_review",
                "title": s.document.title.get(current_language()),
                "state": s.status,
                "due_on": s.review_due.isoformat(),
                "owner": None,
            }
            for s in reviews_overdue()
        ]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(_("nothing is overdue"))
        return
    # The table is for people (titles in their language); the JSON above keeps the codes.
    for row in rows:
        if row["kind"] == "document_review":
            click.echo(f"{row['due_on']}  {row['number']:<14} {_('Review due')}: {row['title']}")
            continue
        click.echo(
            f"{row['due_on']}  {row['number']:<14} {workflow_title(row['kind']):<22} "
            f"{state_title(row['kind'], row['state']):<24} {row['owner'] or '-':<10} {row['title']}"
        )
