"""Contract packs: real WeasyPrint PDFs, checked by extracting their text with pypdf."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from qms.extensions import db
from qms.orders.services import advance_order
from qms.packs.content import pack_content
from qms.packs.models import ContractPack
from qms.packs.render import StaticOnlyFetcher, render_pdf
from qms.packs.services import issue_pack, pack_html
from qms.records.models import Record
from qms.records.services import create_record, revise_record
from qms.records.signing import sign_record
from qms.timeutil import utcnow
from tests.factories import approved_record, make_order, make_team
from tests.web_helpers import login


def pages_text(pdf: bytes) -> list[str]:
    """Each page's text, with line wrapping undone (runs of whitespace become one space)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def signed_order(team, language="ru", title="Распределение запросов к электронному каталогу"):
    order = make_order(team, title=title, language=language)
    for kind in (
        "enquiry",
        "customer_requirements",
        "technical_specification",
        "requirements_review",
        "contract",
        "quality_plan",
    ):
        approved_record(order, kind, team)
    for trigger in (
        "accept_enquiry",
        "draft_specification",
        "submit_specification",
        "sign_contract",
    ):
        advance_order(order, trigger, team["manager"])
    db.session.commit()
    return order


@pytest.fixture
def team(app):
    return make_team()


@pytest.mark.parametrize(
    ("language", "words", "page_label"),
    [
        (
            "ru",
            [
                "Комплект договорных документов",
                "Карточка заказчика",
                "Техническое задание (ТЗ)",
                "Реестр подписей",
                "Указатель пунктов стандартов",
            ],
            "Стр. {n} из {total}",
        ),
        (
            "en",
            [
                "Contract pack",
                "Customer card",
                "Technical specification (ТЗ)",
                "Signature manifest",
                "Clause index",
            ],
            "Page {n} of {total}",
        ),
    ],
)
def test_pack_prints_order_customer_standards_clauses_and_page_numbers(
    team, language, words, page_label
):
    order = signed_order(team, language)
    pack, issued = issue_pack(order, team["manager"])
    assert issued and pack.revision == 1
    pages = pages_text(pack.pdf)
    whole = "\n".join(pages)
    assert pack.pages == len(pages) >= 3
    for word in [order.number, "ООО «Заказчик»", "Эллат", *words]:
        assert word in whole, word
    for code in ("СТП-1-01", "СТП-2-01", "СТП-3-01", "СТП-5-01"):
        assert code in whole, code
    for clause in ("8.2.3.1", "8.2.3.2", "8.2.2", "7.2.2.4", "7.1.1", "6.2"):
        assert clause in whole, clause
    for n, page in enumerate(pages, start=1):
        assert page_label.format(n=n, total=len(pages)) in page
        if n > 1:  # the running header, past the cover
            assert order.number in page and "1" in page
    assert re.search(r"[0-9a-f]{64}", whole)  # content and record hashes are printed


def test_signature_manifest_names_each_signer_role_time_meaning_and_hash(team):
    order = signed_order(team, "en")
    pack, _ = issue_pack(order, None)
    manifest = next(p for p in pages_text(pack.pdf) if "Signature manifest" in p and "Signer" in p)
    assert "Admin" in manifest and "Administrator" in manifest and "approved" in manifest
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", manifest)
    contract = pack_content(order)["manifest"]
    assert len(contract) == 4  # one approval each: ТЗ, review, contract, quality plan
    assert all(s["content_sha256"][:16] in manifest.replace(" ", "") for s in contract)


def test_an_unchanged_pack_is_not_reissued_and_downloads_identically(team, client, app):
    app.config["WTF_CSRF_ENABLED"] = False
    order = signed_order(team)
    first, issued = issue_pack(order, team["manager"])
    db.session.commit()
    again, issued_again = issue_pack(order, team["manager"])
    assert issued and not issued_again and again.id == first.id

    login(client, "auditor")
    download = client.get(f"/orders/{order.number}/packs/1.pdf")
    assert download.status_code == 200 and download.data == first.pdf
    printed = client.post(f"/orders/{order.number}/pack")  # auditors print what they audit
    assert printed.status_code == 302 and printed.location.endswith("/packs/1.pdf")


def test_a_changed_record_issues_the_next_revision(team):
    order = signed_order(team)
    first, _ = issue_pack(order, None)
    assert first.revision == 1
    tz = db.session.scalars(select(Record).where(Record.kind == "technical_specification")).one()
    revision = revise_record(tz, author=team["engineer"], reason="заказчик изменил требования")
    second, issued = issue_pack(order, None)
    assert issued and second.revision == 2
    whole = "\n".join(pages_text(second.pdf))
    assert "ЧЕРНОВИК" in whole and "заказчик изменил требования" in whole
    sign_record(  # the manager wrote the revision it came from: the admin approves
        revision,
        signer=team["admin"],
        password="admin-pw",
        meaning="approved",
        seen_sha256=revision.content_hash(),
    )
    third, _ = issue_pack(order, None)
    assert third.revision == 3 and "ЧЕРНОВИК" not in "\n".join(pages_text(third.pdf))
    count = db.session.scalar(select(func.count()).where(ContractPack.order_id == order.id))
    assert count == 3


def test_web_print_button_issues_and_redirects_to_the_pdf(team, client, app):
    app.config["WTF_CSRF_ENABLED"] = False
    order = signed_order(team)
    login(client, "manager")
    response = client.post(f"/orders/{order.number}/pack")
    assert response.status_code == 302 and response.headers["Location"].endswith("/packs/1.pdf")
    pdf = client.get(response.headers["Location"])
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    page = client.get(f"/orders/{order.number}").get_data(as_text=True)
    assert "Print contract pack" in page and "/packs/1.pdf" in page


HOSTILE = [
    '<img src="file:///etc/passwd">',
    '<link rel="stylesheet" href="http://127.0.0.1:9/evil.css">',
    "<iframe src='file:///etc/hostname'></iframe>",
    '<style>@import url("https://example.com/x.css");</style>',
]


def test_user_text_with_html_and_urls_is_printed_as_text_and_fetches_nothing(team):
    order = signed_order(team)
    order.customer.name = "АО <b>Жирный</b> " + HOSTILE[0]
    create_record(
        order, "quality_plan", author=team["manager"], title=HOSTILE[1], body="\n".join(HOSTILE)
    )
    db.session.flush()
    fetcher = StaticOnlyFetcher()
    pdf, _ = render_pdf(pack_html(order, pack_content(order), 1, utcnow(), "0" * 64), fetcher)

    assert fetcher.refused == []  # nothing but our own stylesheet was even asked for
    whole = "\n".join(pages_text(pdf))
    for snippet in (
        "<b>Жирный</b>",
        'src="file:///etc/passwd"',
        "http://127.0.0.1:9/evil.css",
        "file:///etc/hostname",
        "https://example.com/x.css",
    ):
        assert snippet in whole, snippet
    assert "root:x:0:0" not in whole


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:9/x.css",
        "https://example.com/font.woff",
        "data:text/css,body{}",
        "qms-static:///../config.py",
        "qms-static:///../../etc/passwd",
        "qms-static:///nope.css",
    ],
)
def test_the_renderer_refuses_everything_but_static_files(url):
    fetcher = StaticOnlyFetcher()
    with pytest.raises(ValueError, match="reads only the app's static files"):
        fetcher.fetch(url)
    assert fetcher.fetch("qms-static:///pdf/pack.css").content_type == "text/css"


def test_an_issued_pack_cannot_be_changed_in_the_database(team, insider):
    order = signed_order(team)
    issue_pack(order, None)
    db.session.commit()
    # Not even by the tables' owner: the trigger refuses it.
    with pytest.raises(DatabaseError, match="cannot be changed"):
        insider.execute(text("UPDATE contract_packs SET pdf = :b"), {"b": b"%PDF-forged"})
    insider.rollback()


def test_pack_cli_writes_the_pdf_and_refuses_bad_input(team, runner, tmp_path):
    order = signed_order(team)
    out = tmp_path / "pack.pdf"
    result = runner.invoke(args=["pack", order.number, "-o", str(out), "--as", "manager"])
    assert result.exit_code == 0, result.output
    assert "revision 1 (issued)" in result.output
    assert out.read_bytes().startswith(b"%PDF-")
    again = runner.invoke(args=["pack", order.number, "-o", str(out)])
    assert "revision 1 (unchanged, re-sent)" in again.output
    for args, message in [
        (["pack", "2099-0001", "-o", str(out)], "no order numbered '2099-0001'"),
        (["pack", order.number, "-o", "/nonexistent/dir/p.pdf"], "cannot write"),
        (["pack", order.number, "-o", str(out), "--as", "ghost"], "no active user 'ghost'"),
    ]:
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output
        assert "Traceback" not in result.output
