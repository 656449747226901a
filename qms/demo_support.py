"""The demo's support requests, meeting log, objections and a recommended order.

The library order (2006-0001) is kept as the sources keep it: five meetings from
13.02.2006 to 05.06.2006. The sources give the first and last dates; those of meetings
two to four are ours (three weeks apart): 06.03, 27.03 (written requirements received)
and 17.04.2006 (requirements approved by the customer).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from qms.auth.models import User
from qms.extensions import db
from qms.meetings.models import Communication
from qms.meetings.services import log_communication
from qms.objections.services import log_objection
from qms.orders.services import get_order
from qms.records.models import Record
from qms.support.services import log_time
from qms.timeutil import utcnow
from qms.workitems.services import advance_item, open_item

OURS = "Руководитель проекта; ведущий инженер"
THEIRS = "Заведующий отделом автоматизации; ведущий библиограф"
LIBRARY_LOG = [
    (
        date(2006, 2, 13),
        "Встреча 1: знакомство и постановка задачи",
        "Задача распределения запросов к электронному каталогу",
        "Провести обследование; следующая встреча через три недели.",
        [],
    ),
    (
        date(2006, 3, 6),
        "Встреча 2: выявление потребностей",
        "Поисковые индексы и термины; статистика запросов",
        "Заказчик готовит письменные требования.",
        [],
    ),
    (
        date(2006, 3, 27),
        "Встреча 3: передача письменных требований",
        "Письменные требования заказчика",
        "Требования приняты в анализ.",
        [("customer_requirements", "received")],
    ),
    (
        date(2006, 4, 17),
        "Встреча 4: утверждение требований",
        "Согласование требований",
        "Требования утверждены заказчиком.",
        [("customer_requirements", "approved")],
    ),
    (
        date(2006, 6, 5),
        "Встреча 5: приёмка результатов",
        "Приёмка по акту",
        "Результаты приняты; проект закрыт в срок.",
        [("acceptance_certificate", "approved")],
    ),
]


def _latest(order_id: int, kind: str) -> Record | None:
    return db.session.scalars(
        select(Record)
        .where(Record.order_id == order_id, Record.kind == kind)
        .order_by(Record.revision.desc())
    ).first()


def library_meetings(manager: User) -> None:
    library = get_order("2006-0001")
    for held_on, subject, agenda, decisions, kinds in LIBRARY_LOG:
        links = [(r, act) for kind, act in kinds if (r := _latest(library.id, kind))]
        log_communication(
            manager,
            order=library,
            held_on=held_on,
            kind="meeting",
            subject=subject,
            ours=OURS,
            theirs=THEIRS,
            agenda=agenda,
            decisions=decisions,
            links=links,
        )


def demo_support(users: dict[str, User]) -> None:
    if db.session.scalar(select(func.count()).select_from(Communication)):
        return
    manager, engineer = users["manager"], users["engineer"]
    library_meetings(manager)
    library = get_order("2006-0001")
    customer = library.customer
    customer.support_hourly_rate = Decimal("1500")
    customer.support_rounding_minutes = 30
    customer.support_minimum_hours = Decimal("4")
    now = utcnow()
    done = open_item(
        "support-request",
        manager,
        title="Не обновляется индекс после импорта",
        order=library,
        channel="portal",
        priority="normal",
        received_at=now - timedelta(days=6),
    )
    for trigger, values in (
        ("accept", None),
        ("start", None),
        ("resolve", {"solution": "Перестроен индекс."}),
        ("confirm", {"confirmation": "Письмо заказчика"}),
        ("close", None),
    ):
        advance_item(done, trigger, engineer if trigger != "close" else manager, values=values)
    log_time(done, engineer, hours="1.2", worked_on=now.date(), note="Диагностика")
    log_time(done, engineer, hours="0.4", worked_on=now.date(), note="Перестроение индекса")
    waiting = open_item(
        "support-request",
        manager,
        title="Вопрос по выгрузке статистики",
        order=library,
        channel="email",
        priority="low",
        received_at=now - timedelta(days=2),
    )
    advance_item(waiting, "accept", engineer)
    advance_item(waiting, "start", engineer)
    advance_item(waiting, "ask_customer", engineer, values={"question": "За какой период?"})
    open_item(
        "support-request",
        manager,
        title="Каталог не открывается",
        order=library,
        channel="phone",
        priority="high",
        received_at=now - timedelta(days=5),
    )
    mobile = get_order("2026-0007")
    log_objection(
        manager,
        mobile,
        kind="price",
        said="Дорого: у конкурента на треть дешевле.",
        steps={"listened", "emotion_neutralised", "clarified", "solution_offered"},
        handling="Показали состав работ; предложили поэтапную оплату.",
        outcome="alternative",
    )
    log_objection(
        manager,
        mobile,
        kind="experience",
        said="Прошлый подрядчик сорвал сроки.",
        steps={"listened", "clarified"},
        outcome="open",
    )
