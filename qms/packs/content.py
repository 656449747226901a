"""What a contract pack says, as plain data: hashed to decide whether a new revision is due."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import force_locale, format_datetime
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from qms.auth.models import User
from qms.catalogue import Catalogue
from qms.catalogue.model import clause_sort_key
from qms.customers.services import CARD_FIELDS
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Record, Signature
from qms.workflow.definition import WorkflowDefinition
from qms.workflow.registry import catalogue, definition_of


@dataclass(frozen=True)
class SectionSpec:
    key: str
    kinds: tuple[str, ...]  # record kinds shown; none for the customer card
    steps: tuple[str, ...]  # process-map steps whose standards govern the section
    always: bool  # shown even when there is no record yet


# The pack's sections, in order. Steps of record sections come from the workflow.
SECTIONS = (
    SectionSpec("customer", (), ("1.1.2",), True),
    SectionSpec("technical_specification", ("technical_specification",), (), True),
    SectionSpec("requirements_review", ("requirements_review",), (), True),
    SectionSpec("contract", ("contract",), (), True),
    SectionSpec("quality_plan", ("quality_plan",), (), False),
    SectionSpec("work_plan", ("work_plan",), (), False),
)
CUSTOMER_TITLE = {"en": "Customer card", "ru": "Карточка заказчика"}


def _local(value, lang: str) -> str:
    with force_locale(lang):
        return format_datetime(value, "medium")


def _utc(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _governance(cat: Catalogue, steps: tuple[str, ...], lang: str) -> tuple[list, list]:
    documents: dict[str, dict] = {}
    clauses: dict[str, dict] = {}
    for number in steps:
        step = cat.steps[number]
        for doc in cat.step_documents(step):
            documents[doc.register] = {
                "register": doc.register,
                "code": doc.code,
                "title": doc.title.get(lang),
            }
        for old in cat.step_clauses(step):
            for new in old.maps_to:
                entry = clauses.setdefault(
                    new,
                    {
                        "number": new,
                        "title": cat.clauses_2015[new].title.get(lang),
                        "from_2000": [],
                    },
                )
                if old.number not in entry["from_2000"]:
                    entry["from_2000"].append(old.number)
    ordered = sorted(clauses.values(), key=lambda c: clause_sort_key(c["number"]))
    for clause in ordered:
        clause["from_2000"].sort(key=clause_sort_key)
    return list(documents.values()), ordered


def _record(record: Record, definition: WorkflowDefinition, lang: str) -> dict[str, Any]:
    kind = definition.records[record.kind]
    fields = []
    for field in kind.fields:
        value = (record.fields or {}).get(field.name)
        if value and field.choices:
            value = field.choices[value].get(lang)
        fields.append({"title": field.title.get(lang), "value": value or "—"})
    return {
        "id": record.id,
        "title": record.title,
        "revision": record.revision,
        "approved": record.is_approved,
        "body": record.body,
        "fields": fields,
        "author": record.author.full_name,
        "created_utc": _utc(record.created_at),
        "revision_reason": record.revision_reason,
        "content_sha256": record.content_sha256 or record.content_hash(),
        "attachments": [
            {"filename": a.filename, "sha256": a.blob_sha256} for a in record.attachments
        ],
    }


def _signature(signature: Signature, record: Record, lang: str, roles: dict) -> dict[str, Any]:
    signer: User = signature.signer
    return {
        "record": record.title,
        "revision": record.revision,
        "signer": signer.full_name,
        "role": roles[signer.role][lang],
        "signed_utc": _utc(signature.signed_at),
        "signed_local": _local(signature.signed_at, lang),
        "meaning": signature.meaning,
        "content_sha256": signature.content_sha256,
    }


def pack_content(order: Order) -> dict[str, Any]:
    """Everything the pack prints except its revision number and issue time."""
    from qms.auth.roles import ROLE_TITLES

    lang = order.language
    definition = definition_of(order.workflow_version)
    cat = catalogue()
    kinds = [k for spec in SECTIONS for k in spec.kinds]
    records = db.session.scalars(
        select(Record)
        .where(Record.order_id == order.id, Record.kind.in_(kinds))
        .options(
            joinedload(Record.author),
            selectinload(Record.attachments),
            selectinload(Record.signatures).joinedload(Signature.signer),
        )
        .order_by(Record.kind, Record.lineage, Record.revision)
    ).all()
    sections, manifest, index = [], [], {}
    for spec in SECTIONS:
        mine = [r for r in records if r.kind in spec.kinds]
        if not mine and not spec.always:
            continue
        steps = spec.steps or tuple(
            dict.fromkeys(s for k in spec.kinds for s in definition.records[k].steps)
        )
        documents, clauses = _governance(cat, steps, lang)
        title = (
            CUSTOMER_TITLE[lang]
            if not spec.kinds
            else definition.records[spec.kinds[0]].title.get(lang)
        )
        sections.append(
            {
                "key": spec.key,
                "title": title,
                "documents": documents,
                "clauses": clauses,
                "records": [_record(r, definition, lang) for r in mine],
            }
        )
        for clause in clauses:
            entry = index.setdefault(clause["number"], clause | {"sections": []})
            entry["sections"].append({"key": spec.key, "title": title})
        for record in mine:
            manifest.extend(_signature(s, record, lang, ROLE_TITLES) for s in record.signatures)
    customer = order.customer
    return {
        "amendments": _amendments(order, lang),
        "organisation": current_app.config["QMS_ORGANISATION"],
        "language": lang,
        "order": {
            "number": order.number,
            "title": order.title,
            "value": None if order.value is None else str(order.value),
            "currency": order.currency,
            "starts_on": order.starts_on.isoformat() if order.starts_on else None,
            "due_on": order.due_on.isoformat() if order.due_on else None,
            "state": definition.states[order.state].title.get(lang),
            "manager": order.manager.full_name,
        },
        "customer": {
            "card": {name: getattr(customer, name) for name in CARD_FIELDS},
            "contacts": [
                {
                    "name": c.name,
                    "position": c.position,
                    "role_in_decision": c.role_in_decision,
                    "influence": c.influence,
                    "is_decision_maker": c.is_decision_maker,
                }
                for c in customer.contacts
            ],
        },
        "sections": sections,
        "manifest": sorted(manifest, key=lambda s: (s["signed_utc"], s["record"])),
        "clause_index": sorted(index.values(), key=lambda c: clause_sort_key(c["number"])),
    }


def _amendments(order: Order, lang: str) -> list[dict[str, Any]]:
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
                    {
                        "title": f.title.get(lang),
                        "value": data[name]
                        if isinstance(data[name], str)
                        else ", ".join(data[name]),
                    }
                    for name, f in definition.fields.items()
                    if name in data
                ],
            }
        )
    return result


def content_sha256(content: dict[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
