"""Logging an objection heard before the contract, and counting them by kind.

The caller commits.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.customers.models import Customer
from qms.extensions import db
from qms.objections.models import KINDS, OUTCOMES, STEPS, Objection
from qms.orders.models import Order


class ObjectionError(ValueError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def log_objection(
    actor: User,
    order: Order,
    *,
    kind: str,
    said: str,
    steps: set[str] | frozenset[str] = frozenset(),
    handling: str = "",
    outcome: str = "open",
) -> Objection:
    from qms.workitems.services import has_approved_contract

    if actor.role == "auditor":
        raise ObjectionError(_l("auditors read objections; they do not log them"))
    if kind not in KINDS:
        raise ObjectionError(_l("choose the kind of objection"))
    if outcome not in OUTCOMES:
        raise ObjectionError(_l("choose the outcome"))
    said = (said or "").strip()
    if not said:
        raise ObjectionError(_l("write down what the customer said"))
    if unknown := set(steps) - set(STEPS):
        raise ObjectionError(_l("unknown step(s) %(steps)s", steps=", ".join(sorted(unknown))))
    if has_approved_contract(order):
        raise ObjectionError(
            _l(
                "order %(number)s has a signed contract: objections belong to pre-contract work",
                number=order.number,
            )
        )
    objection = Objection(
        order=order,
        kind=kind,
        said=said,
        handling=(handling or "").strip(),
        outcome=outcome,
        created_by_id=actor.id,
        **{step: step in steps for step in STEPS},
    )
    db.session.add(objection)
    db.session.flush()
    record_event(
        actor=actor,
        action="objection.logged",
        entity_type="objection",
        entity_id=objection.id,
        order_id=order.id,
        changes={"kind": kind, "said": said, "steps": sorted(steps), "outcome": outcome},
    )
    return objection


def objections_of(order: Order) -> list[Objection]:
    return db.session.scalars(
        select(Objection).where(Objection.order_id == order.id).order_by(Objection.id)
    ).all()


def counts_by_kind(customer: Customer | None = None) -> dict[str, int]:
    query = select(Objection.kind, func.count()).join(Order, Order.id == Objection.order_id)
    if customer is not None:
        query = query.where(Order.customer_id == customer.id)
    found = dict(db.session.execute(query.group_by(Objection.kind)).all())
    return {kind: found.get(kind, 0) for kind in KINDS}
