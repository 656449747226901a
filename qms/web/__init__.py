"""What every page shares: login, CSRF, language, error pages, template helpers."""

from __future__ import annotations

import logging

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    render_template,
    request,
)
from flask_babel import format_currency, format_date, format_datetime
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

from qms.auth.sessions import init_sessions
from qms.extensions import babel, csrf, db, login_manager
from qms.web.permissions import can
from qms.web.security import init_security_headers

LANGUAGES = ("en", "ru")


def select_locale() -> str | None:
    if not has_request_context():  # a command: --lang, else QMS_LANGUAGE
        from qms.i18n import command_language

        return command_language.get() or current_app.config["QMS_LANGUAGE"]
    if language := g.get("request_language"):  # the API's client asked for one
        return language
    if current_user.is_authenticated:
        return current_user.language
    return request.accept_languages.best_match(LANGUAGES) or "en"


def init_web(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    app.jinja_env.globals.update(
        can=can, lang=lambda: str(select_locale()), state_of=_state_of, is_overdue=_is_overdue
    )
    from qms.audit.titles import event_title, state_title

    app.jinja_env.globals.update(event_title=event_title, state_title=state_title)
    app.jinja_env.filters.update(
        money=_money,
        date=_date,
        datetime=_datetime,
        text=_text,
        reject_page=_reject_page,
    )
    _register_error_pages(app)
    init_security_headers(app)
    init_sessions(app)


def _money(value, currency="RUB") -> str:
    return "—" if value is None else format_currency(value, currency)


def _date(value) -> str:
    return "—" if value is None else format_date(value, "medium")


def _datetime(value) -> str:
    return "—" if value is None else format_datetime(value, "medium")


def _text(value) -> str:
    """A catalogue Text in the reader's language."""
    return value.get(str(select_locale()))


def _state_of(order):
    from qms.workflow.registry import definition_of

    return definition_of(order.workflow_version).states[order.state]


def _is_overdue(order) -> bool:
    from qms.timeutil import utcnow

    return bool(order.due_on and order.due_on < utcnow().date() and not _state_of(order).final)


def _reject_page(args: dict) -> dict:
    return {k: v for k, v in args.items() if k != "page"}


def _register_error_pages(app: Flask) -> None:
    messages = {
        400: _l("The request could not be understood."),
        403: _l("Your role does not allow this."),
        404: _l("There is no such page."),
        405: _l("This page cannot be used that way."),
        409: _l("Someone else changed this while you were working. Reload and try again."),
        413: _l("The file is too large."),
        429: _l("Too many attempts. Wait a few minutes and try again."),
        500: _l("Something went wrong on our side; nothing was saved."),
        503: _l("The database cannot be reached right now. Try again in a minute."),
    }

    def render(code: int, detail: str | None = None):
        if code >= 500:  # the failed transaction must not break the error page too
            db.session.rollback()
        return render_template("error.html", code=code, message=messages[code], detail=detail), code

    for code in messages:
        app.register_error_handler(
            code,
            lambda e, code=code: render(
                code, getattr(e, "description", None) if code in (400, 409, 429) else None
            ),
        )

    app.register_error_handler(OperationalError, _database_unavailable)

    @app.errorhandler(CSRFError)
    def _csrf(error):
        return render(
            400,
            str(
                _l(
                    "The form expired or was sent from elsewhere; "
                    "reload the page and send it again."
                )
            ),
        )


def _database_unavailable(error: OperationalError):
    """The database is down or unreachable: say so (503), never a stack trace or a 500.

    The page needs neither the database nor the user's language setting (which lives in
    the database), so it speaks both languages.
    """
    db.session.rollback()
    logging.getLogger("qms.web").warning(
        "database unavailable: %s", str(error.orig).splitlines()[0]
    )
    return Response(
        "<!doctype html><html><head><meta charset='utf-8'><title>503</title>"
        "<link rel='stylesheet' href='/static/qms.css'></head><body><main><div class='card'>"
        "<h1>The database cannot be reached right now. Try again in a minute.</h1>"
        "<p>База данных сейчас недоступна. Повторите через минуту.</p>"
        "</div></main></body></html>",
        status=503,
        headers={"Retry-After": "30"},
        content_type="text/html; charset=utf-8",
    )
