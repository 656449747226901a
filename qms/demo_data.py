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
