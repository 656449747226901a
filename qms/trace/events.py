"""The audit trail page and export: events by their titles, linked to what they are about."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from qms.audit.titles import ACTION_TITLES
from qms.documents.models import DocumentRevision
from qms.extensions import db
from qms.i18n import current_language
from qms.orders.models import Order
from qms.records.models import Record
from qms.workflow.registry import catalogue, registry
from qms.workitems.models import WorkItem

OTHER_GROUPS = ("record", "document", "customer", "user", "pack", "audit")


def kind_choices() -> dict[str, str]:
    """The trail's filter "kind": a whole group ("order.") or one kind of event in it."""
    language = current_language()
    choices = {"": _("any kind")}
    known = registry()
    # Orders and work items: their workflows name their steps.
    flows = [("order", "customer-order")]
    flows += [(name, name) for name in sorted(known.names()) if name != "customer-order"]
    for group, workflow in flows:
        definition = known.latest(workflow)
        choices[f"{group}."] = _("%(group)s: every event", group=definition.title.get(language))
        choices |= _titled(group)
        if group != "order":
            choices[f"{group}.opened"] = "— " + _("opened")
        for t in definition.transitions:
            choices[f"{group}.{t.trigger}"] = "— " + t.title.get(language)
    for group in OTHER_GROUPS:
        choices[f"{group}."] = _("%(group)s: every event", group=_group_title(group))
        choices |= _titled(group)
    return choices


def _titled(group: str) -> dict[str, str]:
    return {
        code: f"— {title}" for code, title in ACTION_TITLES.items() if code.startswith(f"{group}.")
    }


def _group_title(group: str) -> str:
    return {
        "record": _("Records"),
        "document": _("Controlled documents"),
        "customer": _("Customers"),
        "user": _("Users"),
        "pack": _("Contract packs"),
        "audit": _("Audit"),
    }[group]


def subjects(events) -> dict[tuple[str, int], tuple[str, str]]:
    """(entity type, id) -> (label, link) for what each event on the page is about, in a
    fixed number of queries: an order by its number, a record by its title, an item by its."""
    ids: dict[str, set[int]] = {}
    for e in events:
        if e.entity_id is not None:
            ids.setdefault(e.entity_type, set()).add(e.entity_id)
        if e.order_id is not None:
            ids.setdefault("order", set()).add(e.order_id)
    found: dict[tuple[str, int], tuple[str, str]] = {}
    if ids.get("order"):
        for order_id, number in db.session.execute(
            select(Order.id, Order.number).where(Order.id.in_(ids["order"]))
        ):
            found[("order", order_id)] = (number, f"/orders/{number}")
    if ids.get("record"):
        for record_id, title, revision in db.session.execute(
            select(Record.id, Record.title, Record.revision).where(Record.id.in_(ids["record"]))
        ):
            label = _("“%(title)s”, revision %(n)s", title=title, n=revision)
            found[("record", record_id)] = (label, f"/records/{record_id}")
    if ids.get("document"):
        for revision_id, register, revision in db.session.execute(
            select(DocumentRevision.id, DocumentRevision.register, DocumentRevision.revision).where(
                DocumentRevision.id.in_(ids["document"])
            )
        ):
            document = catalogue().documents.get(register)
            label = _(
                "%(document)s rev. %(n)s",
                document=document.label if document else register,
                n=revision,
            )
            found[("document", revision_id)] = (label, f"/standards/documents/{register}")
    item_ids = set().union(*(v for k, v in ids.items() if k in registry().names()), set())
    if item_ids:
        for item_id, workflow, number in db.session.execute(
            select(WorkItem.id, WorkItem.workflow, WorkItem.number).where(WorkItem.id.in_(item_ids))
        ):
            found[(workflow, item_id)] = (number, f"/items/{number}")
    return found
