"""Notifying people: an in-app notification, and an e-mail in the outbox when they want one.

Both are written in the caller's transaction, so a change that is rolled back tells no
one; the e-mail leaves after the commit (`qms notify send`). Texts are rendered in the
recipient's language: in the app when shown, for e-mail when queued (it is a snapshot).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale, format_date, format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from qms.auth.models import User
from qms.extensions import db
from qms.notify.kinds import KINDS
from qms.notify.models import Notification, NotificationSetting, OutboxMessage


def wants_email(user: User, kind: str) -> bool:
    setting = db.session.get(NotificationSetting, (user.id, kind))
    return setting.by_email if setting is not None else KINDS[kind].email_by_default


def notify(
    recipient: User | None,
    kind: str,
    *,
    subject_type: str,
    subject_id: int | None,
    params: dict[str, Any],
    actor: User | None = None,
    dedupe_key: str | None = None,
) -> Notification | None:
    """Tell `recipient` about something (never themselves about their own act)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind '{kind}'")
    if recipient is None or not recipient.is_active:
        return None
    if actor is not None and actor.id == recipient.id:
        return None
    if dedupe_key and db.session.scalar(
        select(Notification.id).where(Notification.dedupe_key == dedupe_key)
    ):
        return None
    params = {"actor": actor.full_name if actor else "qms"} | params
    notification = Notification(
        user_id=recipient.id,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        params=params,
        dedupe_key=dedupe_key,
    )
    db.session.add(notification)
    if recipient.email and current_app.config.get("QMS_SMTP_URL") and wants_email(recipient, kind):
        _queue_email(recipient, notification)
    return notification


def _param(value: Any, language: str) -> str:
    """Params are plain values, or {"en": ..., "ru": ...} titles, or {"date": ISO}."""
    if isinstance(value, dict) and "date" in value:
        return format_date(date.fromisoformat(value["date"]), "medium")
    if isinstance(value, dict) and "datetime" in value:
        return format_datetime(datetime.fromisoformat(value["datetime"]), "short")
    if isinstance(value, dict):
        return str(value.get(language) or value.get("en") or "")
    return str(value)


def render(notification: Notification, language: str) -> tuple[str, str]:
    """(title, text) of a notification in `language`."""
    kind = KINDS[notification.kind]
    with force_locale(language):
        values = {k: _param(v, language) for k, v in (notification.params or {}).items()}
        return str(kind.title), str(kind.text) % _Defaulting(values)


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:  # an older notification lacking a newer param
        return "—"


def _path(endpoint: str, **values) -> str:
    """The path of a page, inside a request or not (notices are also written by commands)."""
    return current_app.url_map.bind("qms").build(endpoint, values)


def link_for(notification: Notification) -> str:
    params = notification.params or {}
    if notification.subject_type == "record":
        return _path("records.show", record_id=notification.subject_id)
    if notification.subject_type == "item":
        return _path("workitems.show", number=params.get("item", ""))
    if notification.subject_type == "order":
        return _path("orders.show", number=params.get("order", ""))
    if notification.subject_type == "document":
        return _path("documents.show", register=params.get("register", ""))
    return _path("inbox.index")


def _queue_email(recipient: User, notification: Notification) -> None:
    language = recipient.language
    title, text = render(notification, language)
    base = current_app.config["QMS_BASE_URL"].rstrip("/")
    with force_locale(language):
        body = "\n\n".join(
            [
                text,
                base + link_for(notification),
                _("You receive this because of your notification settings: %(url)s")
                % {"url": base + _path("inbox.settings")},
            ]
        )
    db.session.add(
        OutboxMessage(
            channel="email",
            recipient=recipient.email,
            subject=f"[qms] {title}",
            body=body,
            language=language,
            message_id=f"<{uuid.uuid4()}@qms>",
        )
    )
