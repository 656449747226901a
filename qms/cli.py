"""The `qms` command group. Commands are thin: parse, call a service, commit, print."""

from __future__ import annotations

import contextlib
import json

import click
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from qms.catalogue import CatalogueError
from qms.database.faults import WriteRefused, is_race, write_refusal
from qms.extensions import db
from qms.workflow.definition import WorkflowError
from qms.workflow.engine import ConcurrentChange, TransitionRefused

# Errors that carry a message meant for the person at the keyboard.
USER_ERRORS = (
    CatalogueError,
    WorkflowError,
    TransitionRefused,
    ConcurrentChange,
    ValueError,
    LookupError,
    PermissionError,
)


def _database_message(exc: SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
    refusal = write_refusal(exc)
    if refusal is WriteRefused.DISK_FULL:
        return f"the database refused the write: the disk is full; nothing was saved ({text})"
    if refusal is WriteRefused.READ_ONLY:
        return f"the database refused the write: it is read-only; nothing was saved ({text})"
    if is_race(exc) or isinstance(exc, StaleDataError):
        return (
            "someone else changed the same data at the same moment; "
            f"nothing was saved, run the command again ({text})"
        )
    if isinstance(exc, OperationalError | ProgrammingError) and (
        "no such table" in text or "does not exist" in text
    ):
        return f"the database is not set up ({text}); run `qms db upgrade` first"
    if isinstance(exc, OperationalError):
        return f"the database cannot be reached or refused the change: {text}"
    return f"the database refused the change: {text}"


class QmsGroup(FlaskGroup):
    """FlaskGroup that turns known errors into one line and a non-zero exit."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except USER_ERRORS as exc:
            _rollback()
            raise click.ClickException(str(exc)) from None
        except SQLAlchemyError as exc:
            _rollback()
            raise click.ClickException(_database_message(exc)) from None


def _rollback() -> None:
    # Outside an app context there is no session, and nothing to roll back.
    with contextlib.suppress(RuntimeError):
        db.session.rollback()


def _create_app():
    from qms import create_app

    return create_app()


@click.group(cls=QmsGroup, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """qms: ISO 9001 contract and project-workflow tracker."""


def main() -> None:
    cli.main(prog_name="qms")


def register(app: Flask) -> None:
    from qms.audit.cli import audit
    from qms.backup.cli import backup_command, restore_command
    from qms.demo import demo
    from qms.orders.cli import advance, orders
    from qms.packs.cli import pack
    from qms.trace.cli import trace
    from qms.workflow.cli import workflow
    from qms.workitems.cli import overdue

    for command in (audit, demo, orders, advance, pack, trace, workflow, overdue):
        app.cli.add_command(command)
    app.cli.add_command(backup_command, "backup")
    app.cli.add_command(restore_command, "restore")


def print_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def load_order_list():
    from qms.orders.models import Order

    return db.session.scalars(
        select(Order)
        .options(joinedload(Order.customer), joinedload(Order.workflow_version))
        .order_by(Order.number)
    ).all()


if __name__ == "__main__":
    main()
