"""`qms demo`: users, customers and orders at every stage, with approved records and
a full audit trail, all made through the same services the app uses. Idempotent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import click
from sqlalchemy import func, select

from qms.auth.models import User
from qms.customers.models import Contact, Customer
from qms.extensions import db
from qms.orders.models import Order
from qms.orders.services import advance_order, create_order, order_definition
from qms.records.services import create_record, sign_record

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
# Records engineers write (a manager approves them); managers write the rest (admin approves).
ENGINEERING_RECORDS = {
    "technical_specification",
    "component_specification",
    "hardware_documentation",
    "software_documentation",
    "design_verification",
}

LIBRARY_MEETINGS = {
    "enquiry": "Встреча 1. Библиотека обратилась с задачей распределения запросов к "
    "электронному каталогу по поисковым индексам и поисковым терминам.",
    "customer_requirements": "Встречи 2–4. Потребности выяснены на второй встрече; письменные "
    "требования переданы заказчиком на третьей встрече и утверждены "
    "заказчиком на четвёртой.",
    "acceptance_certificate": "Встреча 5. Результаты приняты заказчиком; окно проекта "
    "13.02.2006 – 05.06.2006 соблюдено.",
}

CUSTOMERS = [
    dict(
        name="Научная библиотека университета",
        address="Москва, ул. Университетская, 1",
        phone="+7 495 000-00-01",
        email="library@example.edu",
        size="large",
        structure="Отдел автоматизации; решение принимает директор библиотеки "
        "по представлению заведующего отделом, срок согласования 2-3 недели",
        payment_practice="Оплата по актам в течение 20 рабочих дней",
        head_of_company="Директор библиотеки",
        problems_solved="Поиск по электронному каталогу: распределение запросов по индексам",
        competitors="Собственная разработка отдела автоматизации",
        purchase_frequency="Один-два проекта в год",
        heard_of_us_from="Конференция",
        contacts=[
            ("Заведующий отделом автоматизации", "Заведующий отделом", "decides", True),
            ("Ведущий библиограф", "Пользователь системы", "medium", False),
        ],
    ),
    dict(
        name="АО «Энергосистемы»",
        address="Санкт-Петербург, Московский пр., 100",
        phone="+7 812 000-00-02",
        email="info@energo.example",
        size="large",
        structure="Техническая дирекция и отдел закупок; тендерная процедура",
        payment_practice="Аванс 30 %, остаток по приёмке",
        problems_solved="Диспетчерская телеметрия",
        competitors="Два системных интегратора региона",
        purchase_frequency="Ежеквартально",
        heard_of_us_from="Рекомендация заказчика",
        contacts=[
            ("Главный инженер", "Главный инженер", "decides", True),
            ("Специалист по закупкам", "Отдел закупок", "high", False),
        ],
    ),
    dict(
        name="ООО «ТехноСервис»",
        address="Казань, ул. Баумана, 5",
        phone="+7 843 000-00-03",
        email="office@technoservice.example",
        size="small",
        structure="Решение принимает генеральный директор",
        payment_practice="Предоплата",
        problems_solved="Учёт сервисных заявок",
        purchase_frequency="Редко",
        heard_of_us_from="Поиск в интернете",
        contacts=[("Генеральный директор", "Генеральный директор", "decides", True)],
    ),
    dict(
        name="Northwind Instruments Ltd",
        address="12 Harbour Road, Leeds",
        phone="+44 113 000 0004",
        email="projects@northwind.example",
        size="medium",
        structure="Engineering director signs off; procurement runs the paperwork",
        payment_practice="30 days net",
        problems_solved="Test-bench data acquisition",
        competitors="In-house team",
        purchase_frequency="Twice a year",
        heard_of_us_from="Trade fair",
        contacts=[
            ("Engineering director", "Director", "decides", True),
            ("Test lead", "Engineer", "medium", False),
        ],
    ),
]

ORDERS = [
    # number, title, customer index, language, value, dates, target state
    (
        "2006-0001",
        "Распределение запросов к электронному каталогу по поисковым индексам и поисковым терминам",
        0,
        "ru",
        "450000",
        (date(2006, 2, 13), date(2006, 6, 5)),
        "closed",
    ),
    (
        "2026-0001",
        "Диспетчерская телеметрия подстанций",
        1,
        "ru",
        "3200000",
        (date(2026, 3, 1), date(2026, 12, 20)),
        "design_review",
    ),
    (
        "2026-0002",
        "Test-bench data acquisition system",
        3,
        "en",
        "1800000",
        (date(2026, 4, 1), date(2026, 11, 30)),
        "acceptance",
    ),
    (
        "2026-0003",
        "Модернизация АСУ ТП котельной",
        1,
        "ru",
        "2500000",
        (date(2026, 6, 1), date(2027, 3, 1)),
        "design",
    ),
    (
        "2026-0004",
        "Data logger firmware upgrade",
        3,
        "en",
        "600000",
        (date(2026, 8, 1), date(2027, 1, 31)),
        "quality_planning",
    ),
    (
        "2026-0005",
        "Портал самообслуживания абонентов",
        1,
        "ru",
        "1200000",
        (date(2026, 9, 1), date(2027, 5, 1)),
        "contract_review",
    ),
    (
        "2026-0006",
        "Электронный архив читательских формуляров",
        0,
        "ru",
        "700000",
        (date(2026, 10, 1), None),
        "specification",
    ),
    (
        "2026-0007",
        "Мобильное приложение для сервисных инженеров",
        2,
        "ru",
        "900000",
        (date(2026, 10, 15), None),
        "pre_contract",
    ),
    ("2026-0008", "Складской учёт запчастей", 2, "ru", None, (None, None), "declined"),
    ("2026-0009", "Calibration records database", 3, "en", None, (None, None), "enquiry"),
]


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when any order exists.")
def demo(if_empty: bool) -> None:
    """Load demo users, customers and orders (safe to run again)."""
    if if_empty and db.session.scalar(select(func.count()).select_from(Order)):
        click.echo("demo: the database already has orders; leaving it as it is")
        return
    users = {username: _user(username, name, role, lang) for username, name, role, lang in USERS}
    customers = [_customer(spec) for spec in CUSTOMERS]
    made = 0
    for number, title, customer_index, lang, value, (starts, due), target in ORDERS:
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
        )
        _walk(order, target, users)
        made += 1
    _work_items(users)
    db.session.commit()
    click.echo(f"demo: {made} order(s) added, {len(ORDERS) - made} already there")
    click.secho(
        "WARNING: the demo users below are for trying qms out only; remove them "
        "(or change their passwords) before real use.",
        fg="yellow",
        err=True,
    )
    for username, _, role, _ in USERS:
        click.echo(f"  {username:<9} password {username}-demo   ({role})")


def _user(username: str, full_name: str, role: str, language: str) -> User:
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        user = User(
            username=username,
            full_name=full_name,
            role=role,
            language=language,
            email=f"{username}@example.com",
        )
        user.set_password(f"{username}-demo")
        db.session.add(user)
        db.session.flush()
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
    body = body or f"{record_type.title.get(order.language)}: {order.title}."
    record = create_record(order, kind, author=author, title=title, body=body, fields=fields)
    sign_record(
        record, signer=signer, password=f"{signer.username}-demo", meaning=record_type.approve_as
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
        sign_record(record, signer=admin, password="admin-demo", meaning="approved")
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
