"""Customer cards: every change attributable and in the audit trail. The caller commits."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.customers.models import Contact, Customer
from qms.extensions import db

CARD_FIELDS = (
    "name",
    "address",
    "directions",
    "phone",
    "email",
    "bank_details",
    "size",
    "financial_standing",
    "structure",
    "payment_practice",
    "head_of_company",
    "problems_solved",
    "competitors",
    "purchase_frequency",
    "heard_of_us_from",
)
# The support terms (qms.support) are edited with the card but are not part of the card a
# contract pack prints.
SUPPORT_FIELDS = ("support_hourly_rate", "support_rounding_minutes", "support_minimum_hours")


class CustomerError(ValueError):
    pass


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.strip() or None) if isinstance(v, str) else v
        for k, v in values.items()
        if k in CARD_FIELDS or k in SUPPORT_FIELDS
    }


def _check_name(name: str | None, customer_id: int | None = None) -> None:
    if not name:
        raise CustomerError(_l("a customer needs a name"))
    # Exact match: SQLite's lower() knows only ASCII, so a case-blind check would be
    # wrong for Cyrillic names on one database and right on the other.
    clash = select(func.count()).where(Customer.name == name)
    if customer_id is not None:
        clash = clash.where(Customer.id != customer_id)
    if db.session.scalar(clash):
        raise CustomerError(_l("a customer named '%(name)s' already exists", name=name))


def create_customer(actor: User, values: dict[str, Any]) -> Customer:
    values = _clean(values)
    _check_name(values.get("name"))
    customer = Customer(**values)
    db.session.add(customer)
    db.session.flush()
    record_event(
        actor=actor,
        action="customer.created",
        entity_type="customer",
        entity_id=customer.id,
        changes=values,
    )
    return customer


def update_customer(customer: Customer, actor: User, values: dict[str, Any]) -> Customer:
    values = _clean(values)
    _check_name(values.get("name"), customer.id)
    changes = {k: [getattr(customer, k), v] for k, v in values.items() if getattr(customer, k) != v}
    for key, (_, new) in changes.items():
        setattr(customer, key, new)
    if changes:
        db.session.flush()
        record_event(
            actor=actor,
            action="customer.edited",
            entity_type="customer",
            entity_id=customer.id,
            changes=changes,
        )
    return customer


def add_contact(customer: Customer, actor: User, values: dict[str, Any]) -> Contact:
    if not (values.get("name") or "").strip():
        raise CustomerError(_l("a contact needs a name"))
    contact = Contact(
        customer_id=customer.id,
        **{k: (v.strip() or None) if isinstance(v, str) else v for k, v in values.items()},
    )
    db.session.add(contact)
    db.session.flush()
    record_event(
        actor=actor,
        action="customer.contact_added",
        entity_type="customer",
        entity_id=customer.id,
        changes={k: v for k, v in values.items()},
    )
    return contact
