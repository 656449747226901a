"""A real browser (Playwright driving Debian's chromium) walks an order as a new user would:
log in as the manager, create a customer and an order, write and approve the records each
step needs (switching to the users who may approve), meet each refusal on the way, and
sign the contract. Screenshots of the key pages go to test-artifacts/screenshots/."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server

from qms.config import PROJECT_ROOT
from qms.extensions import db
from tests.factories import make_team

CHROMIUM = "/usr/bin/chromium"
SHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
# Chromium flags for a machine with no network and no display.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def server(app):
    make_team()
    db.session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(server):
    assert Path(CHROMIUM).exists(), "chromium is missing: `make test` installs it"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def login(page: Page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(f"{username}-pw")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def open_order(page: Page, number: str) -> None:
    page.get_by_role("link", name="Orders", exact=True).click()
    page.get_by_role("link", name=number).click()


def fire(page: Page, title: str) -> None:
    page.locator("#next").get_by_role("button", name=title).click()


def write_record(page: Page, kind: str, body: str, fill=None) -> str:
    """From the order page: create a draft of `kind` (`fill` fills in its fields); returns
    the record's URL."""
    page.locator("#records").get_by_role("link", name=kind, exact=True).click()
    if fill is not None:
        fill(page)
    page.get_by_label("Text", exact=True).fill(body)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    return page.url


def sign(page: Page, url: str, username: str, meaning: str = "Approved") -> None:
    page.goto(url)
    page.get_by_label("Meaning of the signature").select_option(label=meaning)
    page.get_by_label("Your password (to sign)").fill(f"{username}-pw")
    page.get_by_role("button", name="Sign").click()
    expect(page.get_by_text("Signed.")).to_be_visible()


def answer_the_review(page: Page) -> None:
    """The 8.2.3 points, each answered; an unanswered one is refused next to it first."""
    for fieldset in page.locator("fieldset.answer-field").all()[:3]:
        fieldset.get_by_label("Yes").check()
    page.get_by_label("Decision").select_option(label="Accept the order and conclude the contract")
    page.get_by_role("button", name="Save draft").click()
    unanswered = page.locator("fieldset.answer-field").nth(3)
    expect(unanswered.locator(".errors")).to_contain_text("This field is required.")
    unanswered.get_by_label("Not applicable").check()
    unanswered.get_by_label("Comment").fill("нет отличий от предложения")


def fill_contract(page: Page) -> None:
    page.get_by_label("Customer (party)").fill("Научная библиотека университета")
    page.get_by_label("Contractor (party)").fill("ООО «Эллат»")
    page.get_by_label("Subject of the contract").fill("Распределение запросов")
    page.get_by_label("Amount").fill("450 000")
    rows = page.locator("fieldset.table-field tbody tr")
    rows.nth(0).get_by_label("Name").fill("Директор библиотеки")
    rows.nth(0).get_by_label("Side").select_option(label="Customer")
    page.get_by_role("button", name="Add rows").click()  # no script: the page comes back
    expect(page.locator("fieldset.table-field tbody tr")).to_have_count(5)
    rows.nth(1).get_by_label("Name").fill("Максим Руководитель")
    rows.nth(1).get_by_label("Side").select_option(label="Contractor")


def test_a_manager_walks_an_order_to_contract_signed(page: Page):
    login(page, "manager")
    shot(page, "01-dashboard")

    # A new customer with the business card of the sources.
    page.get_by_role("link", name="Customers").click()
    page.get_by_role("link", name="New customer").click()
    page.get_by_label("Name").fill("Научная библиотека университета")
    page.get_by_label("Phone").fill("+7 495 000-00-01")
    page.get_by_label("Structure, decision path and deadlines").fill("Решает директор")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Customer saved.")).to_be_visible()
    shot(page, "02-customer-card")

    # A new order for them; bad input first.
    page.get_by_role("link", name="New order").click()
    page.get_by_label("Title").fill("Распределение запросов к электронному каталогу")
    page.get_by_label("Value").fill("минус сто")
    page.get_by_role("button", name="Open the order").click()
    expect(page.get_by_text("is not an amount of money")).to_be_visible()
    expect(page.get_by_label("Title")).to_have_value(
        "Распределение запросов к электронному каталогу"
    )
    page.get_by_label("Value").fill("450000")
    page.get_by_label("Starts on").fill("2026-02-13")
    page.get_by_label("Due on").fill("2026-06-05")
    page.get_by_role("button", name="Open the order").click()
    expect(page.get_by_text(re.compile(r"Order \d{4}-\d{4} opened\."))).to_be_visible()
    number = re.search(r"/orders/([\d-]+)", page.url).group(1)
    expect(page.locator("#stage")).to_contain_text("1.1.1 Finding orders")
    expect(page.locator("#stage")).to_contain_text("8.2.1 Customer communication")

    # Refusal 1: no enquiry record yet.
    fire(page, "Accept the enquiry")
    expect(page.get_by_text("cannot accept the enquiry: Enquiry: missing")).to_be_visible()
    shot(page, "03-refused-missing-record")

    enquiry = write_record(page, "Enquiry", "Встреча 1: библиотека описала задачу.")
    # Refusal 2: the author cannot approve their own record.
    expect(page.get_by_text("you shaped this revision (created it)")).to_be_visible()
    expect(page.get_by_label("Your password (to sign)")).to_have_count(0)

    logout(page)
    login(page, "admin")
    sign(page, enquiry, "admin")
    shot(page, "04-record-signed")
    logout(page)

    login(page, "manager")
    open_order(page, number)
    fire(page, "Accept the enquiry")
    expect(page.locator("h1")).to_contain_text("Pre-contract work")
    for stage in ("contact", "needs", "presentation"):
        page.locator(f"#sales form:has(input[value={stage}]) button").click()
    expect(page.locator("#sales li.yes")).to_have_count(3)
    requirements = write_record(
        page,
        "Customer requirements (pre-contract)",
        "Встречи 2–4: письменные требования переданы и утверждены.",
    )
    logout(page)
    login(page, "admin")
    sign(page, requirements, "admin")
    logout(page)

    login(page, "manager")
    open_order(page, number)
    fire(page, "Start the technical specification")
    expect(page.locator("h1")).to_contain_text("Technical specification")
    logout(page)

    # The engineer writes the ТЗ; the manager approves it; the engineer submits it.
    login(page, "engineer")
    open_order(page, number)
    spec = write_record(
        page,
        "Technical specification (ТЗ)",
        "1. Назначение. 2. Требования.",
        lambda p: p.get_by_label(re.compile("^Customer requirements for the product")).fill(
            "Распределение запросов по индексам; журнал обработки."
        ),
    )
    logout(page)
    login(page, "manager")
    sign(page, spec, "manager")
    logout(page)
    login(page, "engineer")
    open_order(page, number)
    expect(page.locator("#next").get_by_role("button", name="Sign the contract")).to_have_count(0)
    fire(page, "Submit the specification for contract review")
    expect(page.locator("h1")).to_contain_text("Contract review and conclusion")
    logout(page)

    # Refusal 3: signing without an approved requirements review and contract.
    login(page, "manager")
    open_order(page, number)
    fire(page, "Sign the contract")
    refusal = page.locator(".flash.error")
    expect(refusal).to_contain_text("Requirements and contract review record: missing")
    expect(refusal).to_contain_text("Contract: missing")
    shot(page, "05-refused-sign-contract")
    review = write_record(
        page,
        "Requirements and contract review record",
        "Требования определены, возможность выполнения подтверждена.",
        answer_the_review,
    )
    shot(page, "05b-structured-review")
    page.goto(f"/orders/{number}")
    contract = write_record(page, "Contract", "Договор № 1 на выполнение работ.", fill_contract)
    logout(page)

    login(page, "admin")
    sign(page, review, "admin")
    sign(page, contract, "admin")
    logout(page)

    login(page, "manager")
    open_order(page, number)
    expect(page.locator("#next li.no")).to_have_count(0)
    fire(page, "Sign the contract")
    expect(page.locator("h1")).to_contain_text("Scope of development")
    expect(page.locator("#timeline")).to_contain_text(
        "Sign the contract: Contract review and conclusion → Scope of development"
    )
    shot(page, "06-contract-signed")


def test_an_administrator_creates_a_user_who_works_until_deactivated(page: Page):
    login(page, "admin")
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("User name").fill("petrova")
    page.get_by_label("Full name").fill("Мария Петрова")
    page.get_by_label("E-mail").fill("petrova@example.org")
    page.get_by_label("Role").select_option(label="Engineer")
    page.get_by_label("Language").select_option(label="English")
    shot(page, "10-new-user")
    page.get_by_role("button", name="Create the user").click()
    password = page.locator("#new-password").inner_text().strip()
    shot(page, "11-new-user-password")

    # The new user, in a browser of their own: the password must be changed first.
    newcomer = page.context.browser.new_context(base_url=page.url.split("/admin")[0])
    theirs = newcomer.new_page()
    theirs.goto("/login")
    theirs.get_by_label("User name").fill("petrova")
    theirs.get_by_label("Password").fill(password)
    theirs.get_by_role("button", name="Log in").click()
    expect(theirs.get_by_role("heading", name="Change my password")).to_be_visible()
    theirs.get_by_role("link", name="Orders", exact=True).click()  # not yet
    expect(theirs.get_by_role("heading", name="Change my password")).to_be_visible()
    shot(theirs, "12-forced-password-change")
    theirs.get_by_label("Current password").fill(password)
    theirs.get_by_label("New password", exact=True).fill("petrova123456")
    theirs.get_by_label("New password again").fill("petrova123456")
    theirs.get_by_role("button", name="Change my password").click()
    expect(theirs.get_by_text("must not contain the user name")).to_be_visible()
    theirs.get_by_label("Current password").fill(password)
    theirs.get_by_label("New password", exact=True).fill("Сосна у реки в июле")
    theirs.get_by_label("New password again").fill("Сосна у реки в июле")
    theirs.get_by_role("button", name="Change my password").click()
    expect(theirs.get_by_text("Password changed.")).to_be_visible()
    theirs.get_by_role("link", name="Orders", exact=True).click()
    expect(theirs.get_by_role("heading", name="Orders")).to_be_visible()

    # The administrator deactivates her; her next click lands on the login page.
    page.get_by_role("link", name="Back to the user").click()
    page.locator("#deactivate").get_by_label("Reason").fill("Уволилась 01.12")
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text("petrova is deactivated and signed out everywhere.")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("deactivated")
    shot(page, "13-user-deactivated")
    theirs.get_by_role("link", name="Customers").click()
    expect(theirs.get_by_role("heading", name="Log in")).to_be_visible()
    newcomer.close()

    # The same pages in Russian.
    page.get_by_role("link", name="English").click()
    page.get_by_label("Language").select_option(label="Русский")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Пользователи").click()
    expect(page.get_by_role("heading", name="Пользователи")).to_be_visible()
    shot(page, "14-users-ru")
    page.get_by_role("link", name="petrova").click()
    expect(page.locator("#status")).to_contain_text("отключён")
    shot(page, "15-user-ru")
    page.goto("/admin/users/new")
    shot(page, "16-new-user-ru")
    page.get_by_role("link", name="Admin", exact=True).click()
    expect(page.get_by_role("heading", name="Мой профиль")).to_be_visible()
    shot(page, "17-account-ru")
    page.get_by_role("link", name="Сменить пароль").click()
    shot(page, "18-change-password-ru")
