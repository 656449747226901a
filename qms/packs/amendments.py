"""The pack's amendments: contract changes agreed with the customer, and what each new
revision of a record changed against the one before it."""

from __future__ import annotations

import itertools
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from qms.extensions import db
from qms.orders.models import Order
from qms.records.compare import compare_revisions
from qms.records.models import Record
from qms.workflow.definition import WorkflowDefinition
from qms.workflow.registry import definition_of


def revision_changes(
    revisions: list[Record], definition: WorkflowDefinition, lang: str
) -> list[dict[str, Any]]:
    """For each revision after the first: why it was opened and what it changed."""
    kind = definition.records[revisions[-1].kind]
    with force_locale(lang):
        title_label = _("Title")
    changes = []
    for before, after in itertools.pairwise(revisions):
        comparison = compare_revisions(kind, before, after, lang, title_label)
        changes.append(
            {
                "record": after.title,
                "kind_title": kind.title.get(lang),
                "revision": after.revision,
                "approved": after.is_approved,
                "reason": after.revision_reason,
                "changes": comparison.as_dict(),
            }
        )
    return changes


def contract_changes(order: Order, lang: str) -> list[dict[str, Any]]:
    """Contract changes agreed with the customer: the pack's contract amendments."""
    from qms.workitems.models import WorkItem

    changes = db.session.scalars(
        select(WorkItem)
        .where(
            WorkItem.order_id == order.id,
            WorkItem.workflow == "contract-change",
            WorkItem.state.in_(("agreed", "incorporated")),
        )
        .options(joinedload(WorkItem.workflow_version))
        .order_by(WorkItem.id)
    ).all()
    records = definition_of(order.workflow_version).records

    def shown(field, value) -> str:
        if field.type == "kinds":  # record kinds by their titles, never their codes
            kinds = [value] if isinstance(value, str) else value
            return ", ".join(records[k].title.get(lang) if k in records else k for k in kinds)
        if field.type == "choice" and value in (field.choices or {}):
            return field.choices[value].get(lang)
        return value if isinstance(value, str) else ", ".join(map(str, value))

    result = []
    for change in changes:
        definition = definition_of(change.workflow_version)
        data = change.data or {}
        result.append(
            {
                "number": change.number,
                "title": change.title,
                "state": definition.states[change.state].title.get(lang),
                "fields": [
                    {"title": f.title.get(lang), "value": shown(f, data[name])}
                    for name, f in definition.fields.items()
                    if name in data
                ],
            }
        )
    return result
