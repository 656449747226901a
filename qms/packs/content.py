"""What a contract pack says, as plain data: hashed to decide whether a new revision is due.

A section holds the current revision of each record of its kinds (the earlier revisions
appear in the amendments, as what changed); a section with no record is left out, and
the clause index lists a section only where it holds approved evidence.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from flask_babel import force_locale, format_datetime
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from qms.auth.models import User
from qms.auth.roles import ROLE_TITLES
from qms.catalogue import Catalogue
from qms.catalogue.model import clause_sort_key
from qms.customers.services import CARD_FIELDS
from qms.documents import governing
from qms.extensions import db
from qms.letterhead.services import current_letterhead
from qms.orders.models import Order
from qms.packs.amendments import contract_changes, revision_changes
from qms.records.display import shown_fields
from qms.records.models import Record, Signature
from qms.workflow.definition import WorkflowDefinition
from qms.workflow.registry import catalogue, definition_of


@dataclass(frozen=True)
class SectionSpec:
    key: str
    kinds: tuple[str, ...]  # record kinds shown; none for the customer card
    steps: tuple[str, ...]  # process-map steps whose standards govern the section


# The pack's sections, in order. Steps of record sections come from the workflow.
SECTIONS = (
    SectionSpec("customer", (), ("1.1.2",)),
    SectionSpec("refusal", ("refusal",), ()),
    SectionSpec("technical_specification", ("technical_specification",), ()),
    SectionSpec("requirements_review", ("requirements_review",), ()),
    SectionSpec("contract", ("contract",), ()),
    SectionSpec("quality_plan", ("quality_plan",), ()),
    SectionSpec("work_plan", ("work_plan",), ()),
    SectionSpec("design_review", ("design_review",), ()),
    SectionSpec("design_verification", ("design_verification",), ()),
    SectionSpec("design_validation", ("design_validation",), ()),
    SectionSpec("acceptance_certificate", ("acceptance_certificate",), ()),
)
CUSTOMER_TITLE = {"en": "Customer card", "ru": "Карточка заказчика"}


def _local(value, lang: str) -> str:
    with force_locale(lang):
        return format_datetime(value, "dd.MM.yyyy HH:mm" if lang == "ru" else "d MMM yyyy HH:mm")


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


def _signature(signature: Signature, record: Record, lang: str) -> dict[str, Any]:
    signer: User = signature.signer
    return {
        "record": record.title,
        "kind": record.kind,
        "revision": record.revision,
        "signer": signer.full_name,
        "role": ROLE_TITLES[signer.role][lang],
        "signed_utc": _utc(signature.signed_at),
        "signed_local": _local(signature.signed_at, lang),
        "meaning": signature.meaning,
        "content_sha256": signature.content_sha256,
    }


def _record(
    record: Record, earlier: list[Record], definition: WorkflowDefinition, lang: str
) -> dict[str, Any]:
    kind = definition.records[record.kind]
    return {
        "id": record.id,
        "kind": record.kind,
        "lineage": record.lineage,
        "title": record.title,
        "revision": record.revision,
        "approved": record.is_approved,
        "body": record.body,
        "fields": [f for f in shown_fields(kind, record.fields, lang) if not f["empty"]],
        "author": record.author.full_name,
        "created_utc": _utc(record.created_at),
        "revision_reason": record.revision_reason,
        "content_sha256": record.content_sha256 or record.content_hash(),
        "attachments": [
            {"filename": a.filename, "sha256": a.blob_sha256} for a in record.attachments
        ],
        "signatures": [_signature(s, record, lang) for s in record.signatures],
        "earlier": [
            {
                "revision": r.revision,
                "approved": r.is_approved,
                "content_sha256": r.content_sha256 or r.content_hash(),
                "signatures": [_signature(s, r, lang) for s in r.signatures],
            }
            for r in earlier
        ],
    }


def _load_records(order: Order) -> list[Record]:
    kinds = [k for spec in SECTIONS for k in spec.kinds]
    return db.session.scalars(
        select(Record)
        .where(Record.order_id == order.id, Record.kind.in_(kinds))
        .options(
            joinedload(Record.author),
            selectinload(Record.attachments),
            selectinload(Record.signatures).joinedload(Signature.signer),
        )
        .order_by(Record.kind, Record.created_at, Record.lineage, Record.revision)
    ).all()


def pack_content(order: Order) -> dict[str, Any]:
    """Everything the pack prints except its revision number and issue time."""
    lang = order.language
    definition = definition_of(order.workflow_version)
    cat = catalogue()
    lineages = [list(revs) for _, revs in groupby(_load_records(order), key=lambda r: r.lineage)]
    sections, register, index, missing, revisions = [], [], {}, [], []
    for spec in SECTIONS:
        if spec.kinds and spec.kinds[0] not in definition.records:
            continue
        mine = [revs for revs in lineages if revs[-1].kind in spec.kinds]
        title = (
            CUSTOMER_TITLE[lang]
            if not spec.kinds
            else definition.records[spec.kinds[0]].title.get(lang)
        )
        if spec.kinds and not mine:
            if spec.key not in ("refusal", "acceptance_certificate"):
                missing.append(title)
            continue
        steps = spec.steps or tuple(
            dict.fromkeys(s for k in spec.kinds for s in definition.records[k].steps)
        )
        documents, clauses = _governance(cat, steps, lang)
        records = [_record(revs[-1], revs[:-1], definition, lang) for revs in mine]
        evidence = not spec.kinds or any(r.is_approved for revs in mine for r in revs)
        sections.append(
            {
                "key": spec.key,
                "title": title,
                "documents": documents,
                "clauses": clauses,
                "records": records,
                "evidence": evidence,
            }
        )
        if evidence:
            for clause in clauses:
                entry = index.setdefault(clause["number"], clause | {"sections": []})
                entry["sections"].append({"key": spec.key, "title": title})
        for revs in mine:
            register.extend(_signature(s, r, lang) for r in revs for s in r.signatures)
            revisions.extend(revision_changes(revs, definition, lang))
    customer = order.customer
    letterhead = current_letterhead().as_dict()
    content = {
        "amendments": contract_changes(order, lang),
        "revisions": revisions,
        "letterhead": letterhead,
        "organisation": letterhead["name"],
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
        "not_yet": missing,
        "manifest": sorted(register, key=lambda s: (s["signed_utc"], s["record"])),
        "clause_index": sorted(index.values(), key=lambda c: clause_sort_key(c["number"])),
    }
    # Only when some step ran under a loaded revision: a pack of an order run before
    # any was loaded says exactly what it said before (same content, same hash).
    if governed := _governing_revisions(order):
        content["governing_revisions"] = governed
    return content


def _governing_revisions(order: Order) -> dict[str, list[dict[str, Any]]]:
    """Per governing document, the revisions its steps were taken under, oldest first."""
    found: dict[str, dict[int, str]] = {}
    for rows in governing.captured_for_order(order.id).values():
        for c in rows:
            found.setdefault(c.register, {})[c.revision] = c.effective_from.isoformat()
    return {
        register: [{"revision": n, "effective_from": d} for n, d in sorted(revisions.items())]
        for register, revisions in sorted(found.items())
    }


def content_sha256(content: dict[str, Any]) -> str:
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
