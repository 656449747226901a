"""`qms demo`: users, customers and orders at every stage, with approved records and
a full audit trail, all made through the same services the app uses. Idempotent."""

from __future__ import annotations

from decimal import Decimal

import click
from flask_babel import gettext as _
from sqlalchemy import func, select

from qms.auth.models import User
from qms.auth.users import create_user
from qms.customers.models import Contact, Customer
from qms.demo_data import CUSTOMERS, LIBRARY_MEETINGS, ORDERS, record_fields
from qms.demo_support import demo_support
from qms.documents import demo as demo_documents
from qms.extensions import db
from qms.i18n import role_title
from qms.orders.models import Order
from qms.orders.services import advance_order, create_order, order_definition
from qms.records.services import create_record
from qms.records.signing import sign_record

USERS = [
    ("admin", "Анна Администратор", "admin", "ru"),
    ("manager", "Максим Руководитель", "manager", "ru"),
    ("engineer", "Елена Инженер", "engineer", "ru"),
    ("auditor", "Олег Аудитор", "auditor", "en"),
]

# The happy path through workflows/customer-order.yaml, trigger by trigger.
HAPPY_PATH = [
    "accept_enquiry",
    "draft_specification",
    "submit_specification",
    "sign_contract",
    "confirm_scope",
    "adopt_quality_plan",
    "start_design",
    "submit_design",
    "approve_design",
    "close",
]
# СТП-2-01 rev. 2 takes effect after the first three orders (so 2026-0002 and 2026-0003
# show different revisions for the same step).
SECOND_REVISION_AFTER = 3
# Records engineers write (a manager approves them); managers write the rest (admin approves).
ENGINEERING_RECORDS = {
    "technical_specification",
    "component_specification",
    "hardware_documentation",
    "software_documentation",
    "design_verification",
}


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when any order exists.")
def demo(if_empty: bool) -> None:
    """Load demo users, customers and orders (safe to run again)."""
    if if_empty and db.session.scalar(select(func.count()).select_from(Order)):
        click.echo(_("demo: the database already has orders; leaving it as it is"))
        return
    users = {username: _user(username, name, role, lang) for username, name, role, lang in USERS}
    customers = [_customer(spec) for spec in CUSTOMERS]
    made = 0
    documents_loaded = demo_documents.first_revisions(users)
    for index, (number, title, customer_index, lang, value, (starts, due), target) in enumerate(
        ORDERS
    ):
        if documents_loaded and index == SECOND_REVISION_AFTER:
            demo_documents.second_revision(users)  # the later orders run under it
        if db.session.scalar(select(func.count()).where(Order.number == number)):
            continue
        order = create_order(
            actor=users["manager"],
            number=number,
            title=title,
            customer=customers[customer_index],
            manager=users["manager"],
            value=Decimal(value) if value else None,
            language=lang,
            starts_on=starts,
            due_on=due,
            # The mobile app came on the library's recommendation (loyalty measures).
            recommended_by=customers[0] if number == "2026-0007" else None,
        )
        _walk(order, target, users)
        made += 1
    _work_items(users)
    demo_support(users)
    db.session.commit()
    click.echo(
        _(
            "demo: %(made)s order(s) added, %(there)s already there",
            made=made,
            there=len(ORDERS) - made,
        )
    )
    click.secho(
        _(
            "WARNING: the demo users below are for trying qms out only: their passwords are "
            "published, and every page says so while any of them is active. Deactivate them "
            "(`qms users deactivate NAME --reason ...`) before real use, or start a real "
            "installation with `qms init`."
        ),
        fg="yellow",
        err=True,
    )
    for username, _name, role, _language in USERS:
        click.echo(f"  {username:<9} {_('password')} {username}-demo   ({role_title(role)})")


def _user(username: str, full_name: str, role: str, language: str) -> User:
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        user = create_user(
            None,
            username=username,
            full_name=full_name,
            role=role,
            language=language,
            email=f"{username}@example.com",
            password=f"{username}-demo",
            check_password_policy=False,  # published on purpose: pages say "demo data"
            is_demo=True,
        )
    return user


def _customer(spec: dict) -> Customer:
    spec = dict(spec)
    contacts = spec.pop("contacts")
    customer = db.session.scalars(select(Customer).where(Customer.name == spec["name"])).first()
    if customer is None:
        customer = Customer(**spec)
        customer.contacts = [
            Contact(name=name, position=position, influence=influence, is_decision_maker=decides)
            for name, position, influence, decides in contacts
        ]
        db.session.add(customer)
        db.session.flush()
    return customer


def _walk(order: Order, target: str, users: dict[str, User]) -> None:
    """Advance along the happy path to `target`, writing and approving each record needed."""
    manager = users["manager"]
    if target == "declined":
        _approved(
            order,
            "refusal",
            users,
            fields={
                "reason": "other_specialisation",
                "importance": "tactical",
                "heard_from": "Выставка «Промавтоматика»",
                "alternative": "partner_referral",
                "partner": "ООО «СкладСофт» — проверенный партнёр по складским системам",
            },
        )
        advance_order(order, "decline", manager)
        return
    definition = order_definition(order)
    for trigger in HAPPY_PATH:
        if order.state == target:
            return
        for kind in definition.transition(trigger).requires:
            _approved(order, kind, users)
        advance_order(order, trigger, manager)


def _approved(order: Order, kind: str, users: dict[str, User], fields: dict | None = None):
    definition = order_definition(order)
    record_type = definition.records[kind]
    author = users["engineer"] if kind in ENGINEERING_RECORDS else users["manager"]
    signer = users["manager"] if author is users["engineer"] else users["admin"]
    title = f"{record_type.title.get(order.language)} — {order.number}"
    body = LIBRARY_MEETINGS.get(kind, "") if order.number == "2006-0001" else ""
    if fields is None:
        fields = record_fields(kind, order)
    if not body and not fields:
        body = f"{record_type.title.get(order.language)}: {order.title}."
    record = create_record(order, kind, author=author, title=title, body=body, fields=fields)
    sign_record(
        record,
        signer=signer,
        password=f"{signer.username}-demo",
        meaning=record_type.approve_as,
        seen_sha256=record.content_hash(),
    )
    return record


def _work_items(users: dict[str, User]) -> None:
    """A contract change incorporated, a complaint on the closed library order that opened a
    corrective action (now overdue), and a complaint just received."""
    from datetime import timedelta

    from qms.orders.services import get_order
    from qms.records.models import Record
    from qms.timeutil import utcnow
    from qms.workitems.models import WorkItem
    from qms.workitems.services import advance_item, open_item

    if db.session.scalar(select(func.count()).select_from(WorkItem)):
        return
    manager, engineer, admin = users["manager"], users["engineer"], users["admin"]
    telemetry = get_order("2026-0001")
    change = open_item(
        "contract-change",
        manager,
        order=telemetry,
        title="Добавить два отчёта по телеметрии",
        description="Заказчик просит суточный и недельный отчёты.",
    )
    advance_item(
        change,
        "analyse",
        engineer,
        values={
            "impact_scope": "+2 отчёта",
            "impact_price": "+180 000 ₽",
            "impact_dates": "+10 рабочих дней",
            "impact_design": "новый модуль отчётов",
        },
    )
    advance_item(
        change,
        "agree",
        manager,
        values={"agreement": "Письмо заказчика № 41 от 02.11.2026", "affected_records": "contract"},
    )
    reopened = db.session.scalars(
        select(Record).where(
            Record.order_id == telemetry.id, Record.status == "draft", Record.revision > 1
        )
    ).all()  # the requirements review and the contract, as new draft revisions
    for record in reopened:
        sign_record(
            record,
            signer=admin,
            password="admin-demo",
            meaning="approved",
            seen_sha256=record.content_hash(),
        )
    advance_item(change, "incorporate", manager)

    library = get_order("2006-0001")
    complaint = open_item(
        "complaint",
        manager,
        order=library,
        channel="letter",
        title="Поиск по индексу выдаёт дубли",
        received_on=utcnow().date() - timedelta(days=20),
    )
    advance_item(complaint, "acknowledge", manager)
    advance_item(
        complaint,
        "investigate",
        engineer,
        values={
            "findings": "Индекс не перестраивается после импорта.",
            "corrective_action_needed": "yes",
        },
    )
    advance_item(complaint, "eliminate", engineer, values={"correction": "Индекс перестроен."})
    advance_item(complaint, "inform", manager, values={"customer_response": "Письмо от 10.11."})
    advance_item(complaint, "close", manager)
    action = db.session.scalars(select(WorkItem).where(WorkItem.parent_id == complaint.id)).one()
    advance_item(
        action,
        "analyse",
        engineer,
        values={"root_cause": "Импорт не запускает перестроение индекса."},
    )
    advance_item(
        action,
        "plan",
        manager,
        values={
            "actions": "Перестраивать индекс в конце импорта; добавить проверку.",
            "owner": "engineer",
            "due_on": (utcnow().date() - timedelta(days=3)).isoformat(),
        },
    )

    open_item(
        "complaint",
        manager,
        order=get_order("2026-0002"),
        channel="email",
        title="Data logger drops samples at 10 kHz",
    )
