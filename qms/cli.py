"""The `qms` command group. Commands are thin: parse, call a service, commit, print."""

from __future__ import annotations

import contextlib
import json

import click
from flask import Flask, has_app_context
from flask.cli import FlaskGroup, ScriptInfo
from flask_babel import refresh
from sqlalchemy import select
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from qms.audit.origin import acting_from, command_line_origin
from qms.catalogue import CatalogueError
from qms.database.faults import WriteRefused, is_race, write_refusal
from qms.database_roles import RoleSetupError
from qms.extensions import db
from qms.i18n import LANGUAGES, command_language
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
    RoleSetupError,
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
    """FlaskGroup that attributes events to the command line and turns known errors into
    one line and a non-zero exit."""

    def invoke(self, ctx: click.Context):
        language = command_language.set(None)  # `--lang` holds for this command only
        try:
            # Every event a command writes says it came from the command line, and who ran it.
            with acting_from(command_line_origin()):
                return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except USER_ERRORS as exc:
            _rollback()
            raise click.ClickException(_in_command_language(ctx, exc)) from None
        except SQLAlchemyError as exc:
            _rollback()
            raise click.ClickException(_database_message(exc)) from None
        finally:
            command_language.reset(language)
            if has_app_context():
                refresh()


def _in_command_language(ctx: click.Context, exc: Exception) -> str:
    """The error's words in the command's language: they render inside the app's context."""
    if has_app_context():
        return str(exc)
    try:
        app = ctx.ensure_object(ScriptInfo).load_app()
    except Exception:  # no app to speak through: the words as they are
        return str(exc)
    with app.app_context():
        return str(exc)


def _rollback() -> None:
    # Outside an app context there is no session, and nothing to roll back.
    with contextlib.suppress(RuntimeError):
        db.session.rollback()


def _create_app():
    from qms import create_app

    return create_app()


@click.group(cls=QmsGroup, create_app=_create_app, add_version_option=False)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="The language of messages and documents (default: QMS_LANGUAGE, else English).",
)
def cli(lang: str | None) -> None:
    """qms: ISO 9001 contract and project-workflow tracker."""
    command_language.set(lang)
    if has_app_context():  # a locale already chosen for this app must be chosen again
        refresh()


def main() -> None:
    cli.main(prog_name="qms")


def register(app: Flask) -> None:
    from qms.audit.cli import audit
    from qms.auth.cli import init, users
    from qms.backup.cli import backup_command, restore_command
    from qms.demo import demo
    from qms.documents.cli import documents
    from qms.notify.cli import notify
    from qms.orders.cli import advance, orders
    from qms.packs.cli import keys, pack
    from qms.tokens.cli import tokens
    from qms.trace.cli import trace
    from qms.webhooks.cli import webhooks
    from qms.workflow.cli import workflow
    from qms.workitems.cli import overdue

    commands = (init, users, audit, demo, orders, advance, pack, keys, trace, workflow, overdue)
    for command in (*commands, notify, tokens, webhooks, documents):
        app.cli.add_command(command)
    app.cli.add_command(backup_command, "backup")
    app.cli.add_command(restore_command, "restore")
    _only_active_users_act(app.cli)


def _only_active_users_act(group: click.Group) -> None:
    """Every command's `--as USER` must name an active user: a deactivated one (someone who
    left) cannot be made to act from the command line either. Checked here once for every
    command, present and future, rather than in each."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            _only_active_users_act(command)
            continue
        for param in command.params:
            if isinstance(param, click.Option) and "--as" in param.opts:
                param.callback = _active_user_name


def _active_user_name(ctx: click.Context, param: click.Parameter, username: str | None):
    from qms.auth.users import UserError, acting_user

    if username is not None:
        try:
            acting_user(username)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
    return username


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
