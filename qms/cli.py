"""The `qms` command group. Commands are thin: parse, call a service, commit, print.

The group starts fast (cron runs `qms overdue` every few minutes): a command's module is
imported only when that command runs, `qms --help` lists the commands from qms.commands without
importing any of them, and the commands that need no web page are given an app without the
web blueprints (`create_app(web=False)`)."""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import sys
import threading
from typing import NoReturn

import click
from flask import current_app, has_app_context
from flask.cli import FlaskGroup, ScriptInfo

from qms.commands import COMMANDS

LANGUAGES = ("en", "ru")  # qms.i18n's, here so that `qms --help` needs no catalogue


WEB_APP = "qms.web-app"  # ctx.meta: the command about to run needs the whole app


def _user_errors() -> tuple[type[Exception], ...]:
    """Errors that carry a message meant for the person at the keyboard."""
    from qms.catalogue import CatalogueError
    from qms.database_roles import RoleSetupError
    from qms.workflow.definition import WorkflowError
    from qms.workflow.engine import ConcurrentChange, TransitionRefused

    return (
        CatalogueError,
        WorkflowError,
        TransitionRefused,
        ConcurrentChange,
        ValueError,
        LookupError,
        PermissionError,
        RoleSetupError,
    )


def _database_message(exc) -> str:
    from sqlalchemy.exc import OperationalError, ProgrammingError
    from sqlalchemy.orm.exc import StaleDataError

    from qms.database.faults import WriteRefused, is_race, write_refusal

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
    """FlaskGroup that imports a command when it runs, attributes events to the command
    line and turns known errors into one line and a non-zero exit."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        # FlaskGroup would create the app to ask it; every command is in COMMANDS.
        return sorted({*self.commands, *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        entry = COMMANDS.get(name)
        ctx.meta[WEB_APP] = entry.web if entry else True  # unknown: let the whole app look
        if entry is None or not entry.target:
            return super().get_command(ctx, name)
        module, attribute = entry.target.split(":")
        command = getattr(importlib.import_module(module), attribute)
        _only_active_users_act(command)
        # As FlaskGroup does for the app's own commands: the command runs in its context.
        app = ctx.ensure_object(ScriptInfo).load_app()
        if not has_app_context() or current_app._get_current_object() is not app:
            ctx.with_resource(app.app_context())
        return command

    def resolve_command(self, ctx: click.Context, args: list[str]):
        resolved = super().resolve_command(ctx, args)
        if _from_main:
            _settle(ctx)
        return resolved

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list in `--help`, from COMMANDS: no command module is imported for it."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        rows = [
            (
                name,
                (
                    click.Command(name, help=COMMANDS[name].summary)
                    if name in COMMANDS
                    else self.commands[name]
                ).get_short_help_str(limit),
            )
            for name in names
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        from flask_babel import refresh
        from sqlalchemy.exc import SQLAlchemyError

        from qms.audit.origin import acting_from, command_line_origin
        from qms.i18n import command_language

        language = command_language.set(None)  # `--lang` holds for this command only
        try:
            # Every event a command writes says it came from the command line, and who ran it.
            with acting_from(command_line_origin()):
                return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if isinstance(exc, _user_errors()):
                _rollback()
                raise click.ClickException(_in_command_language(ctx, exc)) from None
            if isinstance(exc, SQLAlchemyError):
                _rollback()
                raise click.ClickException(_database_message(exc)) from None
            raise
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
    from qms.extensions import db

    # Outside an app context there is no session, and nothing to roll back.
    with contextlib.suppress(RuntimeError):
        db.session.rollback()


def _create_app():
    """The app for the command about to run: without the web blueprints unless it needs
    them (get_command says which)."""
    from qms import create_app

    ctx = click.get_current_context(silent=True)
    return create_app(web=ctx is None or ctx.meta.get(WEB_APP, True))


@click.group(cls=QmsGroup, create_app=_create_app, add_version_option=False)
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="The language of messages and documents (default: QMS_LANGUAGE, else English).",
)
def cli(lang: str | None) -> None:
    """qms: ISO 9001 contract and project-workflow tracker."""
    from flask_babel import refresh

    from qms.i18n import command_language

    command_language.set(lang)
    if has_app_context():  # a locale already chosen for this app must be chosen again
        refresh()


def main() -> None:
    """The `qms` executable. Starting allocates some 140,000 objects that live as long as the
    process (modules, classes, mappers, the catalogue): the cyclic collector's passes over
    them, while starting and again at exit, cost a short command a third of its CPU. It is
    paused while the command and its app load, then those are frozen out of its sight
    (gc.freeze) and it runs as usual for what the command itself allocates."""
    global _from_main
    _from_main = True
    gc.disable()
    try:
        cli.main(prog_name="qms")
    except SystemExit as done:
        if threading.active_count() > 1:  # Python's own exit waits for them: let it
            raise
        _exit_without_teardown(done.code)
    finally:
        gc.enable()


def _exit_without_teardown(code: object) -> NoReturn:
    """The command has finished (click closed its context, its files and its connections):
    run the exit handlers (logging's flush, temporary folders), flush the output, and leave
    without the interpreter's teardown, which frees every module and object one by one and
    costs a short command about 30 ms of nothing (as Instagram's servers do at exit)."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"), as Python itself treats it
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing left to tell
            stream.flush()
    os._exit(status)


_from_main = False  # the executable, not a test's runner: see main()


def _settle(ctx: click.Context) -> None:
    """The command and its app are loaded: freeze them, collect again; and since the frozen
    pool is never collected, close the database connections when the command ends."""
    gc.freeze()
    gc.enable()
    if has_app_context():
        ctx.call_on_close(_close_connections)  # before the app context is popped


def _close_connections() -> None:
    from qms.extensions import db

    db.session.remove()  # its connection back to the pool, which closes them all
    for engine in db.engines.values():
        engine.dispose()


def _only_active_users_act(command: click.Command) -> None:
    """Every command's `--as USER` must name an active user: a deactivated one (someone who
    left) cannot be made to act from the command line either. Checked here for every
    command, present and future, rather than in each."""
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _only_active_users_act(subcommand)
    else:
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
    from sqlalchemy import select
    from sqlalchemy.orm import joinedload

    from qms.extensions import db
    from qms.orders.models import Order

    return db.session.scalars(
        select(Order)
        .options(joinedload(Order.customer), joinedload(Order.workflow_version))
        .order_by(Order.number)
    ).all()


if __name__ == "__main__":
    main()
