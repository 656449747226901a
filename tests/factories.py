"""Factory helpers: make users, customers, orders and approved records through the services."""

from __future__ import annotations

from qms.auth.models import User
from qms.auth.users import create_user
from qms.customers.models import Customer
from qms.extensions import db
from qms.orders.services import create_order, order_definition
from qms.records.services import create_record
from qms.records.signing import sign_record


def make_user(username: str, role: str) -> User:
    user = db.session.query(User).filter_by(username=username).first()
    if user is None:
        user = create_user(
            None,
            username=username,
            full_name=username.title(),
            role=role,
            password=f"{username}-pw",
            language="en",
            check_password_policy=False,  # short known passwords keep the tests readable
        )
    return user


def make_team() -> dict[str, User]:
    return {role: make_user(role, role) for role in ("admin", "manager", "engineer", "auditor")} | {
        "manager2": make_user("manager2", "manager")
    }


def make_customer(name: str = "ООО «Заказчик»") -> Customer:
    customer = db.session.query(Customer).filter_by(name=name).first()
    if customer is None:
        customer = Customer(name=name)
        db.session.add(customer)
        db.session.flush()
    return customer


def make_order(team: dict[str, User], title: str = "Тестовый заказ", **kwargs):
    return create_order(
        actor=team["manager"],
        title=title,
        customer=make_customer(),
        manager=team["manager"],
        **kwargs,
    )


def approved_record(order, kind: str, team: dict[str, User], fields: dict | None = None):
    """A record of `kind` written by the manager and approved by the admin."""
    definition = order_definition(order)
    record = create_record(order, kind, author=team["manager"], title=kind, body="…", fields=fields)
    sign_record(
        record,
        signer=team["admin"],
        password="admin-pw",
        meaning=definition.records[kind].approve_as,
        seen_sha256=record.content_hash(),
    )
    return record
