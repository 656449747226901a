"""The demo's customers and orders, one of them modelled on the source's library project."""

from __future__ import annotations

from datetime import date

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


def record_fields(kind: str, order) -> dict | None:
    """Demo values for a structured record of `kind` on `order`, in the order's language."""
    ru = order.language == "ru"
    start = order.starts_on or date(2026, 1, 12)
    end = order.due_on or date(start.year + 1, start.month, 1)
    customer = order.customer.name
    us = "ООО «Эллат»" if ru else "Ellat LLC"

    def when(days: int) -> str:
        return date.fromordinal(start.toordinal() + days).isoformat()

    def answer(text_ru: str, text_en: str, value: str = "yes") -> dict:
        return {"answer": value, "comment": text_ru if ru else text_en}

    signatories = [
        {
            "name": order.customer.contacts[0].name if order.customer.contacts else customer,
            "position": order.customer.contacts[0].position or ""
            if order.customer.contacts
            else "",
            "side": "customer",
        },
        {
            "name": "Максим Руководитель" if ru else "Maxim Rukovoditel",
            "position": "Руководитель проекта" if ru else "Project manager",
            "side": "contractor",
        },
    ]
    review = {
        "subject": "Комплект документации и программная часть, версия 1.0"
        if ru
        else "The documentation set and the software, version 1.0",
        "inputs": "ТЗ (последняя утверждённая редакция), программа обеспечения качества"
        if ru
        else "The technical specification (latest approved revision), the quality programme",
        "findings": "Замечаний, препятствующих передаче, нет; два замечания по оформлению."
        if ru
        else "Nothing that prevents delivery; two remarks on the layout of the manuals.",
        "conclusion": "conforms_with_remarks",
        "actions": [
            {
                "action": "Исправить оформление руководства" if ru else "Correct the manuals",
                "responsible": "Елена Инженер" if ru else "Elena Inzhener",
                "due": when(20),
            }
        ],
        "participants": "Максим Руководитель, Елена Инженер" if ru else "Project manager, engineer",
    }
    values = {
        "technical_specification": {
            "customer_requirements": order.title
            + (
                ": распределение нагрузки, отчёты, журнал обработки; поставка с документацией, "
                "сопровождение 12 месяцев."
                if ru
                else ": acquisition, reports and a processing log; delivered with its manuals "
                "and 12 months of support."
            ),
            "unstated_requirements": "Резервное копирование и восстановление за 4 часа."
            if ru
            else "Backup and restore within 4 hours.",
            "statutory_requirements": "152-ФЗ «О персональных данных»."
            if ru
            else "UK GDPR for operators' names in the logs.",
            "design_stages": "Эскизный проект; рабочий проект; испытания; внедрение."
            if ru
            else "Outline design; detailed design; tests; roll-out.",
        },
        "requirements_review": {
            "requirements_defined": answer(
                "ТЗ согласовано, неявные требования внесены в раздел 2.",
                "Agreed in the specification; the unstated ones are in section 2.",
            ),
            "statutory_requirements": answer("152-ФЗ учтён.", "UK GDPR considered."),
            "differences_resolved": answer("Отличий от коммерческого предложения нет.", "", "na"),
            "ability_to_meet": answer(
                "Ресурсы выделены, сроки реальны.", "Staff assigned; the dates are realistic."
            ),
            "decision": "accept",
            "participants": "Максим Руководитель, Анна Администратор"
            if ru
            else "Project manager, administrator",
        },
        "contract": {
            "contract_number": f"Д-{order.number}" if ru else f"C-{order.number}",
            "customer_party": customer,
            "contractor_party": us,
            "subject": order.title,
            "price": {"amount": str(order.value or "100000.00"), "currency": order.currency},
            "payment_terms": "Аванс 30 %, остаток в течение 20 рабочих дней после акта приёмки."
            if ru
            else "30 % in advance, the rest within 30 days of the acceptance certificate.",
            "starts_on": start.isoformat(),
            "ends_on": end.isoformat(),
            "signatories": signatories,
        },
        "quality_plan": {
            "quality_objectives": "Ноль критических дефектов при приёмке; сроки этапов ±5 дней."
            if ru
            else "No critical defect at acceptance; stages within five days of plan.",
            "verification_activities": [
                {
                    "activity": "Анализ ТЗ" if ru else "Specification review",
                    "kind": "review",
                    "stage": "1",
                    "responsible": "Максим Руководитель" if ru else "Project manager",
                },
                {
                    "activity": "Испытания по программе" if ru else "Tests to the test plan",
                    "kind": "verification",
                    "stage": "3",
                    "responsible": "Елена Инженер" if ru else "Engineer",
                },
                {
                    "activity": "Опытная эксплуатация" if ru else "Trial operation",
                    "kind": "validation",
                    "stage": "4",
                    "responsible": customer,
                },
            ],
            "acceptance_criteria": "Все пункты программы испытаний пройдены; замечания устранены."
            if ru
            else "Every item of the test plan passed; remarks resolved.",
        },
        "work_plan": {
            "stages": [
                {
                    "stage": name,
                    "start": when(a),
                    "end": when(b),
                    "responsible": who,
                }
                for name, a, b, who in (
                    ("Эскизный проект" if ru else "Outline design", 0, 20, "Елена Инженер"),
                    ("Рабочий проект" if ru else "Detailed design", 21, 60, "Елена Инженер"),
                    ("Испытания" if ru else "Tests", 61, 80, "Максим Руководитель"),
                )
            ]
        },
        "design_review": review,
        "design_verification": review | {"conclusion": "conforms", "actions": []},
        "design_validation": review | {"conclusion": "conforms", "actions": []},
        "acceptance_certificate": {
            "delivered": order.title
            + ("; документация; исходные тексты." if ru else "; manuals; source code."),
            "conformity": "conforms",
            "remarks": "Замечаний нет." if ru else "None.",
            "accepted_on": end.isoformat(),
            "signatories": signatories,
        },
    }
    return values.get(kind)
