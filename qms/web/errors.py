"""Error pages: every failure answers with a status and words a person can act on.

Races (a row changed, a unique value taken by someone else meanwhile) answer 409 with a
way back to the page; a database that answers but refuses to write answers 507 (disk
full) or 503 (read-only), saying which; one that does not answer, 503. Whatever the
failure, the transaction is rolled back first: nothing is half-saved.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from qms.database.faults import WriteRefused, is_race, write_refusal
from qms.database.limits import InputRefused
from qms.extensions import db

log = logging.getLogger("qms.web")

MESSAGES = {
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
WRITE_REFUSED = {
    WriteRefused.DISK_FULL: (507, _l("The database refused the write: the disk is full.")),
    WriteRefused.READ_ONLY: (503, _l("The database refused the write: it is read-only.")),
}
# For when even reading the user's language fails: both languages.
STATIC_WRITE_REFUSED = {
    WriteRefused.DISK_FULL: (
        "The database refused the write: the disk is full. Nothing was saved.",
        "База данных отказалась записывать: диск заполнен. Ничего не сохранено.",
    ),
    WriteRefused.READ_ONLY: (
        "The database refused the write: it is read-only. Nothing was saved.",
        "База данных отказалась записывать: она доступна только для чтения. Ничего не сохранено.",
    ),
}
# Pages that answer a form: they offer the way back to it.
WAY_BACK = (400, 409, 503, 507)


def way_back() -> str | None:
    """The page the user came from (same site only), else the page of what a form acted
    on: `/records/7` for a POST to `/records/7/sign`."""
    if referrer := request.referrer:
        parts = urlsplit(referrer)
        if parts.netloc in ("", request.host) and parts.path.startswith("/"):
            return urlunsplit(("", "", parts.path, parts.query, ""))
    if request.method == "GET":  # the page asked for is the one that failed
        return None
    return request.path.rsplit("/", 1)[0] or "/"


def render_error(code: int, message=None, detail=None):
    """The error page in the user's language. Messages may be lazy: they are read after
    the rollback, since reading the user's language needs the session working again."""
    db.session.rollback()  # the failed transaction must not break the error page too
    return render_template(
        "error.html",
        code=code,
        message=message or MESSAGES[code],
        detail=detail,
        back=way_back() if code in WAY_BACK else None,
    ), code


def register_error_pages(app: Flask) -> None:
    for code in MESSAGES:
        app.register_error_handler(
            code,
            lambda e, code=code: render_error(
                code, detail=getattr(e, "description", None) if code in (400, 409, 429) else None
            ),
        )
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(StaleDataError, _changed_meanwhile)
    app.register_error_handler(DBAPIError, _database_error)
    # A value no column holds, refused by a service or by the check before each flush.
    app.register_error_handler(InputRefused, lambda e: render_error(400, detail=str(e)))


def _csrf(error: CSRFError):
    return render_error(
        400,
        detail=_l(
            "The form expired or was sent from elsewhere; reload the page and send it again."
        ),
    )


def _changed_meanwhile(error: StaleDataError):
    """Someone changed the row between our reading and our writing it (version check)."""
    return render_error(409, detail=_l("Nothing of yours was saved."))


def _database_error(error: DBAPIError):
    if refusal := write_refusal(error):
        return _write_refused(refusal, error)
    if is_race(error):
        detail = _l(
            "Someone else saved the same thing at the same moment; nothing of yours was saved."
        )
        return render_error(409, detail=detail)
    if isinstance(error, OperationalError):
        return database_unavailable(error)
    raise error


def _write_refused(refusal: WriteRefused, error: DBAPIError):
    """The database answers but will not write: say which, in the user's language (it can
    still read their setting), or in both when even reading fails."""
    log.error("the database refused a write (%s): %s", refusal.value, _first_line(error))
    code, message = WRITE_REFUSED[refusal]
    headers = {"Retry-After": "300"}
    detail = _l("Nothing was saved. Tell the administrator, then go back and send it again.")
    try:
        page, status = render_error(code, message, detail)
    except SQLAlchemyError:
        db.session.rollback()
        english, russian = STATIC_WRITE_REFUSED[refusal]
        page, status = _static_page(code, english, russian), code
    return page, status, headers


def _static_page(code: int, english: str, russian: str) -> str:
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{code}</title>"
        "<link rel='stylesheet' href='/static/qms.css'></head><body><main><div class='card'>"
        f"<h1>{english}</h1><p>{russian}</p></div></main></body></html>"
    )


def _first_line(error: DBAPIError) -> str:
    return str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else repr(error)


def database_unavailable(error: OperationalError):
    """The database is down or unreachable: say so (503), never a stack trace or a 500.

    The page needs neither the database nor the user's language setting (which lives in
    the database), so it speaks both languages.
    """
    db.session.rollback()
    log.warning("database unavailable: %s", _first_line(error))
    return Response(
        _static_page(
            503,
            "The database cannot be reached right now. Try again in a minute.",
            "База данных сейчас недоступна. Повторите через минуту.",
        ),
        status=503,
        headers={"Retry-After": "30"},
        content_type="text/html; charset=utf-8",
    )
