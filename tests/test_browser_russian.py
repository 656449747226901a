"""A real browser runs one order from enquiry to closed in Russian, through the inbox, at
1366 px and on a 390 px phone. Each page it sees is read: English words that are not the
users' own data, internal codes, and sideways scrolling fail it, and so does a refusal that
is not in view after the click. Screenshots go to test-artifacts/screenshots/ru-*."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from qms.auth.models import User
from qms.extensions import db
from qms.orders.models import Order
from qms.orders.services import order_definition
from tests.factories import approved_record, make_customer, make_team
from tests.russian_walk import check_text, user_words, visible_text
from tests.test_browser import ARGS, CHROMIUM, SHOTS

# The happy path after the enquiry is accepted (records are written beside the browser).
STEPS = [
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


@pytest.fixture
def server(app):
    team = make_team()
    for user in team.values():
        user.language = "ru"
    make_customer("Научная библиотека университета")
    db.session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


# Names the element that reaches furthest right, to say what makes a page scroll sideways.
WIDEST = """() => {
  let worst = null, right = 0;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect().right;
    if (r > right) { right = r; worst = el; }
  }
  return worst ? `${worst.tagName.toLowerCase()}.${worst.className} (${Math.round(right)} px)` : '';
}"""


class Reader:
    """Looks at each page as a Russian reader would, and keeps what is not Russian."""

    def __init__(self, app, page: Page, width: int):
        self.app, self.page, self.width = app, page, width
        self.problems: list[str] = []
        self.shots = 0

    def look(self, name: str) -> None:
        self.shots += 1
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"ru-{self.width}-{self.shots:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        english, codes = check_text(visible_text(self.page), user_words(self.app))
        wide = self.page.evaluate("document.documentElement.scrollWidth")
        view = self.page.evaluate("document.documentElement.clientWidth")
        where = self.page.url.split("//", 1)[1].split("/", 1)[-1]
        if english:
            self.problems.append(f"/{where}: English {sorted(english)[:12]}")
        if codes:
            self.problems.append(f"/{where}: codes {sorted(codes)[:12]}")
        if wide > view:
            culprit = self.page.evaluate(WIDEST)
            self.problems.append(f"/{where}: scrolls sideways ({wide} > {view} px: {culprit})")


def menu(page: Page) -> None:
    """On a phone the header's links are behind the Menu button."""
    button = page.locator(".menu-button")
    if button.is_visible() and not page.locator("#menu-toggle").is_checked():
        button.click()


def login(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Имя пользователя").fill(username)
    page.get_by_label("Пароль").fill(f"{username}-pw")
    page.get_by_role("button", name="Вход").click()
    expect(page.get_by_role("heading", name="Сводка")).to_be_visible()


def logout(page: Page) -> None:
    menu(page)
    page.get_by_role("button", name="Выйти").click()
    expect(page.get_by_role("button", name="Вход")).to_be_visible()


def take_step(page: Page, title: str) -> None:
    page.locator("#next").get_by_role("button", name=title).click()


def approve_beside(app, number: str, trigger: str) -> None:
    """The records a step needs, written and approved through the services."""
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == number)).one()
        team = {u.username: u for u in db.session.scalars(select(User))}
        for kind in order_definition(order).transition(trigger).requires:
            approved_record(order, kind, team)
        db.session.commit()


@pytest.mark.parametrize("width", [1366, 390])
def test_an_order_runs_from_enquiry_to_closed_in_russian(app, server, width):
    assert Path(CHROMIUM).exists(), "chromium is missing: `make test` installs it"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            base_url=server, viewport={"width": width, "height": 900}, locale="ru-RU"
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        reader = Reader(app, page, width)
        try:
            walk(app, page, reader)
        finally:
            context.close()
            browser.close()
    assert not reader.problems, "\n".join(reader.problems)


def walk(app, page: Page, reader: Reader) -> None:
    login(page, "manager")
    reader.look("dashboard")

    page.goto("/orders/new")
    page.get_by_label("Название").fill("Распределение запросов к электронному каталогу")
    page.get_by_label("Заказчик").select_option(label="Научная библиотека университета")
    page.get_by_role("button", name="Открыть заказ").click()
    expect(page.locator(".badge").first).to_have_text("Запрос")
    number = page.locator("h1").inner_text().split(" ")[0]
    reader.look("order")

    # A step without its record: refused in words, where the button was.
    take_step(page, "Принять запрос в работу")
    refusal = page.locator("#next .flash.error")
    expect(refusal).to_contain_text("нельзя принять запрос в работу")
    expect(refusal).to_be_in_viewport()
    reader.look("refusal")

    # The missing record, written from its link, and a signature asked for.
    page.locator("#next").get_by_role("link", name="нет: создать").first.click()
    page.get_by_label("Текст", exact=True).fill("Запрос библиотеки на распределение запросов.")
    page.get_by_role("button", name="Сохранить черновик").click()
    expect(page.get_by_text("Черновик сохранён.")).to_be_visible()
    record_url = page.url
    reader.look("record-draft")
    page.get_by_label("Попросить подписать").select_option(label="Admin")
    page.get_by_role("button", name="Попросить", exact=True).click()
    expect(page.get_by_text("получил(а) просьбу подписать")).to_be_visible()
    logout(page)

    # The signer finds it in the inbox, and signs what was shown.
    login(page, "admin")
    menu(page)
    inbox = page.get_by_role("link", name="Входящие")
    expect(inbox.locator(".count")).to_be_visible()
    inbox.click()
    waiting = page.locator("#to-sign")
    expect(waiting).to_contain_text("Запрос заказчика")
    reader.look("inbox")
    waiting.get_by_role("link").first.click()
    assert page.url == record_url
    page.get_by_label("Ваш пароль (для подписи)").fill("admin-pw")
    page.get_by_role("button", name="Подписать").click()
    expect(page.get_by_text("Подписано.")).to_be_visible()
    reader.look("record-signed")
    logout(page)

    # The manager takes every step to the end.
    login(page, "manager")
    page.goto(f"/orders/{number}")
    take_step(page, "Принять запрос в работу")
    expect(page.get_by_text("Выполнено: «Принять запрос в работу»")).to_be_visible()
    definition_titles = _step_titles(app, number)
    for trigger in STEPS:
        approve_beside(app, number, trigger)
        page.goto(f"/orders/{number}")
        take_step(page, definition_titles[trigger])
        expect(page.locator(".flash.success")).to_contain_text("Выполнено")
        reader.look(trigger)
    expect(page.locator("h1 .badge")).to_have_text("Закрыт")

    for path in (
        "/",
        "/inbox",
        "/orders",
        "/orders?q=КАТАЛОГУ",
        "/orders/board",
        f"/orders/{number}/compliance",
        "/customers",
        "/items",
        "/standards",
        "/audit/trace",
        "/audit/events",
        "/account",
    ):
        page.goto(path)
        reader.look(path.strip("/").replace("/", "-").split("?")[0] or "dashboard")


def _step_titles(app, number: str) -> dict[str, str]:
    with app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == number)).one()
        definition = order_definition(order)
        return {t.trigger: t.title.ru for t in definition.transitions}


@pytest.fixture
def demo_server(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    for user in db.session.scalars(select(User)):
        user.language = "ru"
    db.session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


def every_page(app) -> list[str]:
    """Each page a GET reaches, for every order, record, item, customer and user there is."""
    from qms.customers.models import Customer
    from qms.records.models import Record
    from qms.workflow.registry import catalogue
    from qms.workitems.models import WorkItem

    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.arguments:
            continue
        if rule.rule.startswith("/api/") or rule.rule.endswith((".pdf", ".csv", ".xlsx", ".json")):
            continue
        if rule.endpoint in ("auth.logout", "dashboard.healthz", "sso.login", "sso.callback"):
            continue
        urls.append(rule.rule)
    with app.app_context():
        urls += [f"/orders/{n}" for n in db.session.scalars(select(Order.number))]
        urls += [f"/orders/{n}/compliance" for n in db.session.scalars(select(Order.number))]
        urls += [f"/records/{i}" for i in db.session.scalars(select(Record.id))]
        urls += [f"/items/{n}" for n in db.session.scalars(select(WorkItem.number))]
        urls += [f"/customers/{i}" for i in db.session.scalars(select(Customer.id))]
        urls += [f"/admin/users/{i}" for i in db.session.scalars(select(User.id))]
        urls += [f"/standards/documents/{r}" for r in catalogue().documents]
        urls += ["/standards/documents/2.2.1.2.2?from=1&to=2"]  # two revisions compared
    return sorted(set(urls))


@pytest.mark.parametrize("width", [1366, 390])
def test_every_page_speaks_russian_and_fits(app, demo_server, width):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(
            base_url=demo_server, viewport={"width": width, "height": 900}, locale="ru-RU"
        )
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Имя пользователя").fill("admin")
        page.get_by_label("Пароль").fill("admin-demo")
        page.get_by_role("button", name="Вход").click()
        allowed = user_words(app)
        problems = []
        try:
            for url in every_page(app):
                response = page.goto(url)
                assert response.status < 500, url
                english, codes = check_text(visible_text(page), allowed)
                if english or codes:
                    problems.append(f"{url}: {sorted(english)[:10]} {sorted(codes)[:10]}")
                wide = page.evaluate("document.documentElement.scrollWidth")
                if wide > width:
                    problems.append(
                        f"{url}: scrolls sideways to {wide} px ({page.evaluate(WIDEST)})"
                    )
        finally:
            context.close()
            browser.close()
    assert not problems, "\n".join(problems)
