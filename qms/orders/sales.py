"""The five sales stages of pre-contract work, as the sources describe them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.catalogue import Text
from qms.extensions import db
from qms.orders.models import Order, SalesStage

STAGES: dict[str, tuple[Text, Text]] = {
    "contact": (
        Text(en="Establishing contact", ru="Установление контакта"),
        Text(en="Win the client's attention and trust", ru="Завоевать внимание и доверие клиента"),
    ),
    "needs": (
        Text(en="Identifying needs", ru="Выявление потребностей"),
        Text(en="Learn what the client needs and why", ru="Выяснить, что нужно клиенту и зачем"),
    ),
    "presentation": (
        Text(en="Presentation", ru="Презентация"),
        Text(
            en="Show how our product meets those needs",
            ru="Показать, как наш продукт отвечает этим потребностям",
        ),
    ),
    "objections": (
        Text(en="Handling objections", ru="Работа с возражениями"),
        Text(
            en="Listen, neutralise emotions, clarify with questions, offer a solution",
            ru="Выслушать, нейтрализовать эмоции, уточнить вопросами, предложить решение",
        ),
    ),
    "closing": (
        Text(en="Closing the deal", ru="Завершение сделки"),
        Text(
            en="Agree the next step and the commitment",
            ru="Договориться о следующем шаге и обязательствах",
        ),
    ),
}
PRE_CONTRACT_STATES = ("enquiry", "pre_contract")


class SalesStageError(ValueError):
    pass


def mark_stage(order: Order, stage: str, actor: User, note: str | None = None) -> SalesStage:
    """Mark a sales stage done; only while the order is in pre-contract work."""
    if stage not in STAGES:
        raise SalesStageError(_l("unknown sales stage '%(stage)s'", stage=stage))
    if order.state not in PRE_CONTRACT_STATES:
        raise SalesStageError(_l("sales stages are tracked only during pre-contract work"))
    if db.session.query(SalesStage).filter_by(order_id=order.id, stage=stage).first():
        raise SalesStageError(_l("this stage is already marked done"))
    done = SalesStage(
        order_id=order.id, stage=stage, note=(note or "").strip() or None, done_by_id=actor.id
    )
    db.session.add(done)
    db.session.flush()
    record_event(
        actor=actor,
        action="order.sales_stage",
        entity_type="order",
        entity_id=order.id,
        order_id=order.id,
        changes={"stage": stage, "note": done.note},
    )
    return done
