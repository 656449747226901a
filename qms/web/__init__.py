"""What every page shares: login, CSRF, language, error pages, template helpers."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from babel import dates as babel_dates
from flask import Flask, current_app, g, has_request_context, request
from flask_babel import format_currency, format_date, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from qms.auth.sessions import init_sessions
from qms.extensions import babel, login_manager
from qms.web.inputs import DatabaseIntConverter
from qms.web.permissions import can
from qms.workcalendar.calendar import overdue_before

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


def init_web(app: Flask, *, pages: bool = True) -> None:
    """What templates and requests share. `pages=False` (the commands' app, which renders
    PDFs and e-mails but answers no request) leaves out CSRF, the error pages and the
    security headers, and so never loads Flask-WTF and WTForms."""
    # Before any blueprint: every `<int:...>` route gets the bounded converter.
    app.url_map.converters["int"] = DatabaseIntConverter
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "strong"
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    app.jinja_env.globals.update(
        can=can, lang=lambda: str(select_locale()), state_of=_state_of, is_overdue=_is_overdue
    )
    from qms.audit.titles import actor_name, event_title, state_title
    from qms.records.meanings import MEANING_TITLES

    app.jinja_env.globals.update(
        event_title=event_title,
        state_title=state_title,
        meaning_title=lambda meaning: MEANING_TITLES.get(meaning, meaning),
        actor_name=actor_name,
    )
    app.jinja_env.filters.update(
        money=_money,
        number=lambda value: format_decimal(value),
        hours=_hours,
        date=_date,
        datetime=_datetime,
        text=_text,
        reject_page=_reject_page,
    )
    init_sessions(app)
    if pages:
        from qms.web.csrf import csrf
        from qms.web.errors import register_error_pages
        from qms.web.security import init_security_headers

        csrf.init_app(app)
        register_error_pages(app)
        init_security_headers(app)


def _money(value, currency="RUB") -> str:
    return "—" if value is None else format_currency(value, currency)


def _date(value) -> str:
    if value is None:
        return "—"
    if type(value) is date:  # not a datetime, which is first moved to the reader's zone
        return _date_in(value, str(get_locale()))
    return format_date(value, "medium")


@lru_cache(maxsize=4096)
def _date_in(value: date, locale: str) -> str:
    """Babel builds the month names anew for every date (about 0.15 ms): a list page with a
    hundred dates spent a third of its time there."""
    return babel_dates.format_date(value, "medium", locale=locale)


def _datetime(value) -> str:
    return "—" if value is None else format_datetime(value, "medium")


def _hours(value) -> str:
    """Working hours as people write them: "15,5" in Russian, "15.5" in English."""
    return "—" if value is None else format_decimal(round(float(value), 2), "#,##0.##")


def _text(value) -> str:
    """A catalogue Text in the reader's language."""
    return value.get(str(select_locale()))


def _state_of(order):
    from qms.workflow.registry import definition_of

    return definition_of(order.workflow_version).states[order.state]


def _is_overdue(order) -> bool:
    return bool(order.due_on and order.due_on < overdue_before() and not _state_of(order).final)


def _reject_page(args: dict) -> dict:
    return {k: v for k, v in args.items() if k != "page"}
