"""Structured records: typed fields declared in the workflow, checked once for services and
forms, shown by their titles, compared between revisions; free-text records keep working."""

from __future__ import annotations

import html as html_lib
import re
import shutil

import pytest
import yaml
from sqlalchemy import func, select

from qms.audit.models import AuditEvent
from qms.config import PROJECT_ROOT
from qms.demo_data import record_fields
from qms.extensions import db
from qms.records.models import Record
from qms.records.services import (
    RecordError,
    create_record,
    record_kind,
    revise_record,
    update_draft,
)
from qms.workflow.models import WorkflowVersion
from tests.factories import approved_record, make_order, make_team
from tests.web_helpers import login

STRUCTURED = (
    "technical_specification",
    "requirements_review",
    "contract",
    "quality_plan",
    "work_plan",
    "design_review",
    "design_verification",
    "design_validation",
    "acceptance_certificate",
)


@pytest.fixture
def team(app):
    return make_team()


def counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(m)) for m in (Record, AuditEvent)
    )


def field_error(html: str, field_id: str) -> str:
    match = re.search(rf'id="{field_id}".*?<ul class="errors">(.*?)</ul>', html, re.S)
    assert match, f"no error next to #{field_id}"
    return html_lib.unescape(match.group(1))


@pytest.mark.parametrize("kind", STRUCTURED)
def test_every_record_of_the_pack_declares_fields_and_keeps_what_it_is_given(team, kind):
    order = make_order(team, language="en")
    values = record_fields(kind, order)
    record = create_record(order, kind, author=team["manager"], title=kind, fields=values)
    assert set(record.fields) == {name for name, value in values.items() if value}
    assert {f.name for f in record_kind(order, kind).fields} >= set(values)


@pytest.mark.parametrize(
    ("kind", "change", "message"),
    [
        ("contract", {"price": {"amount": "дорого", "currency": "RUB"}}, "amount of money"),
        ("contract", {"price": {"amount": "-1", "currency": "RUB"}}, "amount of money"),
        ("contract", {"price": {"amount": "10", "currency": "XXX"}}, "unknown currency"),
        ("contract", {"starts_on": "2026-02-30"}, "must be a date (YYYY-MM-DD)"),
        ("contract", {"subject": ""}, "'Subject of the contract' is required"),
        ("contract", {"signatories": [{"position": "Director", "side": "customer"}]}, "'Name'"),
        ("contract", {"signatories": [{"name": "x", "position": "y", "side": "z"}]}, "must be one"),
        ("requirements_review", {"ability_to_meet": {"answer": "maybe"}}, "not applicable"),
        ("requirements_review", {"decision": "perhaps"}, "'Decision' must be one of"),
        ("work_plan", {"stages": [{"stage": "1", "start": "soon"}]}, "must be a date"),
        ("work_plan", {"stages": "three"}, "malformed"),
    ],
)
def test_bad_field_values_are_refused_naming_the_field(team, kind, change, message):
    order = make_order(team, language="en")
    values = record_fields(kind, order) | change
    with pytest.raises(RecordError) as error:
        create_record(order, kind, author=team["manager"], title="x", fields=values)
    assert message in str(error.value)


def test_a_record_with_no_fields_is_free_text_as_older_records_are(team):
    order = make_order(team)
    record = create_record(order, "contract", author=team["manager"], title="Договор", body="…")
    assert record.fields == {}


def test_a_workflow_field_of_an_unknown_type_is_refused_naming_file_and_entry(runner, tmp_path):
    folder = tmp_path / "workflows"
    shutil.copytree(PROJECT_ROOT / "workflows", folder)
    path = folder / "customer-order.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("type: money", "type: cash", 1), encoding="utf-8")
    result = runner.invoke(args=["workflow", "check", "--dir", str(folder)])
    assert result.exit_code != 0
    assert str(path) in result.output
    assert "record kind 'contract' field 'price': type must be one of" in result.output


def test_the_contract_form_refuses_bad_input_next_to_the_field_and_saves_nothing(app, client, team):
    app.config["WTF_CSRF_ENABLED"] = False
    order = make_order(team, language="en")
    db.session.commit()
    login(client, "manager")
    before = counts()
    form = {
        "title": "Contract",
        "field_customer_party": "ООО «Заказчик»",
        "field_contractor_party": "Эллат",
        "field_subject": "The system",
        "field_price-amount": "a lot",
        "field_price-currency": "RUB",
        "field_starts_on": "2026-13-45",
        "field_signatories-0-name": "Ivanov",
        "field_signatories-0-position": "",
        "field_signatories-0-side": "customer",
    }
    response = client.post(f"/orders/{order.number}/records/new?kind=contract", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "amount of money" in field_error(html, "field_price-amount")
    assert "Not a valid date value." in field_error(html, "field_starts_on")
    assert "The system" in html and 'value="a lot"' in html  # what was typed is kept
    assert counts() == before

    form |= {
        "field_price-amount": "1 250 000,50",
        "field_starts_on": "2026-03-01",
        "field_signatories-0-position": "Director",
    }
    response = client.post(f"/orders/{order.number}/records/new?kind=contract", data=form)
    assert response.status_code == 302
    record = db.session.scalars(select(Record).where(Record.kind == "contract")).one()
    assert record.fields["price"] == {"amount": "1250000.50", "currency": "RUB"}
    assert record.fields["signatories"] == [
        {"name": "Ivanov", "position": "Director", "side": "customer"}
    ]


def test_the_review_form_asks_each_8_2_3_point(app, client, team):
    app.config["WTF_CSRF_ENABLED"] = False
    order = make_order(team, language="en")
    db.session.commit()
    login(client, "manager")
    response = client.post(
        f"/orders/{order.number}/records/new?kind=requirements_review",
        data={"title": "Review", "field_requirements_defined-answer": "yes"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This field is required." in field_error(html, "field_decision")
    # the decision and the three points not answered
    assert html.count("This field is required.") == 4
    page = client.get(f"/orders/{order.number}/records/new?kind=requirements_review")
    text = page.get_data(as_text=True)
    for words in ("Statutory and regulatory requirements", "Not applicable", "Comment"):
        assert words in text


def test_add_rows_shows_more_empty_rows_and_saves_nothing(app, client, team):
    app.config["WTF_CSRF_ENABLED"] = False
    order = make_order(team, language="en")
    db.session.commit()
    login(client, "manager")
    url = f"/orders/{order.number}/records/new?kind=work_plan"
    rows = client.get(url).get_data(as_text=True).count('name="field_stages-')
    before = counts()
    more = client.post(
        url, data={"title": "Plan", "field_stages-0-stage": "Design", "more_rows": "stages"}
    )
    html = more.get_data(as_text=True)
    assert more.status_code == 200 and counts() == before
    assert html.count('name="field_stages-') > rows
    assert 'value="Design"' in html  # what was typed stays


def test_the_record_page_shows_fields_by_title_and_what_changed(app, client, team):
    order = make_order(team, language="en")
    values = record_fields("contract", order)
    contract = approved_record(order, "contract", team, fields=values)
    revision = revise_record(contract, author=team["manager"], reason="price agreed again")
    changed = values | {"price": {"amount": "2000000", "currency": "EUR"}}
    update_draft(revision, editor=team["manager"], fields=changed, body="Clause 4 rewritten")
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, "auditor")
    html = html_lib.unescape(client.get(f"/records/{revision.id}").get_data(as_text=True))
    assert "Subject of the contract" in html and "€2,000,000.00" in html
    assert "Customer" in html and "Contractor" in html  # the side's title, not its code
    assert ">customer<" not in html
    changes = html.split('id="changes"')[1]
    assert "What changed from revision 1 to revision 2" in html
    assert "Price" in changes and "€2,000,000.00" in changes
    assert "Clause 4 rewritten" in changes


def test_an_order_started_under_version_1_keeps_its_free_text_records(app, client, team):
    """Version 1 of the workflow had no fields for the contract: its records still show,
    edit and print."""
    document = yaml.safe_load((PROJECT_ROOT / "workflows/customer-order.yaml").read_text())
    document["version"] = 1
    for name, spec in document["records"].items():
        if name != "refusal":
            spec.pop("fields", None)
    document = {k: v for k, v in document.items() if not k.startswith("x-")}
    order = make_order(team, language="en")
    from qms.workflow.definition import canonical_sha256

    old = WorkflowVersion(
        name="customer-order", version=1, sha256=canonical_sha256(document), document=document
    )
    db.session.add(old)
    db.session.flush()
    order.workflow_version = old
    contract = approved_record(order, "contract", team)
    db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, "manager")
    page = client.get(f"/records/{contract.id}")
    assert page.status_code == 200 and "…" in page.get_data(as_text=True)
    form = client.get(f"/orders/{order.number}/records/new?kind=contract").get_data(as_text=True)
    assert "field_price" not in form

    from tests.test_packs import pages_text

    pack = client.post(f"/orders/{order.number}/pack")
    assert pack.status_code == 302
    text = "\n".join(pages_text(client.get(pack.headers["Location"]).data))
    assert "Contract" in text and "…" in text
