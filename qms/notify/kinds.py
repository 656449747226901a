"""The kinds of notification, their words (in the catalogue), and whom they go to by default."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Kind:
    title: LazyString
    text: LazyString  # %(name)s placeholders filled from the notification's params
    email_by_default: bool


KINDS: dict[str, Kind] = {
    "signature_requested": Kind(
        _l("Signature requested"),
        _l("%(actor)s asks you to sign “%(record)s” (order %(order)s)."),
        True,
    ),
    "record_approved": Kind(
        _l("Record approved"),
        _l("“%(record)s” (order %(order)s) was approved by %(actor)s."),
        True,
    ),
    "record_sent_back": Kind(
        _l("Record sent back"),
        _l("%(actor)s sent “%(record)s” (order %(order)s) back: %(reason)s"),
        True,
    ),
    "step_taken": Kind(
        _l("A step on your order"),
        _l("%(actor)s: %(step)s on order %(order)s; it is now at “%(state)s”."),
        False,
    ),
    "item_assigned": Kind(
        _l("Assigned to you"),
        _l("%(actor)s assigned %(item)s “%(title)s” to you, due %(due)s."),
        True,
    ),
    "due_tomorrow": Kind(
        _l("Due tomorrow"),
        _l("%(item)s “%(title)s” is due tomorrow (%(due)s)."),
        True,
    ),
    "overdue": Kind(
        _l("Overdue"),
        _l("%(item)s “%(title)s” was due %(due)s."),
        True,
    ),
    "overdue_escalated": Kind(
        _l("Overdue on your order"),
        _l(
            "%(item)s “%(title)s” on order %(order)s, assigned to %(owner)s, was due %(due)s "
            "and is still open."
        ),
        True,
    ),
    "support_breach": Kind(
        _l("Support clock ran out"),
        _l("%(item)s “%(title)s”: the %(clock)s ran out at %(due)s."),
        True,
    ),
    "document_to_read": Kind(
        _l("A document to read"),
        _l(
            "%(actor)s approved %(document)s rev. %(revision)s, in force from %(date)s: "
            "read it and acknowledge it."
        ),
        True,
    ),
    "review_overdue": Kind(
        _l("Document review overdue"),
        _l("%(document)s rev. %(revision)s was due for review on %(due)s."),
        True,
    ),
}
