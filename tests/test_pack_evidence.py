"""Issued packs as evidence: structured records printed field by field, only sections with
evidence in the clause index, PDF/A-3b with an embedded manifest, a PAdES signature, and
`qms pack verify` (and its web page) telling a genuine current pack from everything else."""

from __future__ import annotations

import io
import json
import shutil
import uuid

import pikepdf
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from qms import create_app
from qms.demo_data import record_fields
from qms.extensions import db
from qms.orders.services import get_order
from qms.packs.content import pack_content
from qms.packs.manifest import MANIFEST_NAME
from qms.packs.services import issue_pack
from qms.records.models import Record
from qms.records.services import create_record, revise_record
from tests.conftest import USE_POSTGRES, _admin, _config
from tests.factories import approved_record, make_order, make_team
from tests.test_packs import pages_text
from tests.web_helpers import login

KINDS = (
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


def structured_order(team, language="en"):
    order = make_order(team, title="Test-bench data acquisition", language=language)
    for kind in KINDS:
        approved_record(order, kind, team, fields=record_fields(kind, order))
    db.session.commit()
    return order


def test_each_structured_record_is_printed_field_by_field(team):
    order = structured_order(team)
    pack, _ = issue_pack(order, team["manager"])
    whole = "\n".join(pages_text(pack.pdf))
    for expected in (
        # the 8.2.3 review: each point, answered by its title, and the decision
        "Statutory and regulatory requirements are identified",
        "Yes — UK GDPR considered.",
        "Not applicable",
        "Accept the order and conclude the contract",
        # the contract: parties, price, dates, signatories (and their signature lines)
        "Customer (party)",
        "Ellat LLC",
        "Price",
        "Payment terms",
        "Maxim Rukovoditel",
        "Contractor",
        # the ТЗ's sections, the quality plan, the work plan's stages
        "Requirements not stated by the customer but necessary for the intended use",
        "Acceptance criteria",
        "Trial operation",
        "Validation",
        "Outline design",
        # the design records and the acceptance certificate
        "Against which inputs",
        "Conforms, with remarks",
        "What was delivered",
        "Acceptance certificate",
        # signature blocks under each record
        "SHA-256 of the content signed",
    ):
        assert expected in whole, expected
    for code in ("conforms_with_remarks", "accept_with_changes", "contractor", " na "):
        assert code not in whole, code


def test_the_clause_index_lists_only_sections_with_evidence(team):
    order = make_order(team, language="en")
    approved_record(order, "technical_specification", team)
    create_record(order, "contract", author=team["manager"], title="Draft contract")
    db.session.commit()
    content = pack_content(order)
    listed = {s["key"] for c in content["clause_index"] for s in c["sections"]}
    assert "technical_specification" in listed
    assert "contract" not in listed  # a draft is not evidence
    assert "requirements_review" not in listed  # not written: not even a section
    assert "requirements_review" not in {s["key"] for s in content["sections"]}
    pack, _ = issue_pack(order, None)
    index = next(p for p in pages_text(pack.pdf) if "Clause index" in p and "ISO 9001:2000" in p)
    assert "Not written yet" not in "\n".join(pages_text(pack.pdf))
    assert "Draft contract" not in index.split("Clause index")[-1]


def test_an_issued_pack_is_pdf_a_3b_with_its_manifest_embedded(team):
    order = structured_order(team)
    contract = db.session.scalars(select(Record).where(Record.kind == "contract")).one()
    pack, _ = issue_pack(order, team["manager"])
    with pikepdf.open(io.BytesIO(pack.pdf)) as pdf:
        assert pdf.open_metadata().pdfa_status == "3B"
        manifest = json.loads(pdf.attachments[MANIFEST_NAME].get_file().read_bytes())
        relationship = pdf.attachments[MANIFEST_NAME].obj.get("/AFRelationship")
    assert str(relationship) == "/Data"
    assert manifest["pack"] | {"issued_at": None} == {
        "order": order.number,
        "revision": 1,
        "language": "en",
        "content_sha256": pack.content_sha256,
        "issued_at": None,
        "issued_by": "Manager",
    }
    entry = next(r for r in manifest["records"] if r["kind"] == "contract")
    assert entry["content_sha256"] == contract.content_sha256
    assert entry["signatures"][0]["content_sha256"] == contract.content_sha256
    assert manifest["audit_trail_head"]["seq"] > 0
    assert manifest["signing_certificate"]["trial"] is True


def test_records_attached_pdfs_and_pictures_travel_inside_the_pack(team):
    from qms.records.files import attach_file

    order = make_order(team, language="en")
    spec = create_record(order, "technical_specification", author=team["manager"], title="ТЗ")
    attach_file(spec, "scan.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, team["manager"], 10**6)
    attach_file(spec, "notes.txt", "заметки".encode(), team["manager"], 10**6)
    pack, _ = issue_pack(order, None)
    with pikepdf.open(io.BytesIO(pack.pdf)) as pdf:
        names = set(pdf.attachments)
    assert names == {MANIFEST_NAME, "technical_specification-rev1-scan.png"}


def verify(runner, pdf: bytes, tmp_path):
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(pdf)
    return runner.invoke(args=["pack", "verify", str(path)])


def test_verify_passes_on_a_fresh_pack(team, runner, tmp_path):
    pack, _ = issue_pack(structured_order(team), None)
    db.session.commit()
    result = verify(runner, pack.pdf, tmp_path)
    assert result.exit_code == 0, result.output
    assert "valid:" in result.output and "trial certificate" in result.output


@pytest.mark.parametrize("where", [0.2, 0.5, 0.8])
def test_verify_fails_on_a_pack_with_one_changed_byte(team, runner, tmp_path, where):
    pack, _ = issue_pack(structured_order(team), None)
    db.session.commit()
    forged = bytearray(pack.pdf)
    forged[int(len(forged) * where)] ^= 0x01
    result = verify(runner, bytes(forged), tmp_path)
    assert result.exit_code == 1
    assert "NOT VALID" in result.output and "Traceback" not in result.output


@pytest.fixture
def other_database(template_database, tmp_path):
    """A second installation's database (the same migrations, other data)."""
    if USE_POSTGRES:
        name = f"qms_other_{uuid.uuid4().hex[:10]}"
        _admin(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template_database).database}"')
        yield make_url(template_database).set(database=name).render_as_string(hide_password=False)
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "other.sqlite"
        shutil.copyfile(make_url(template_database).database, path)
        yield f"sqlite:///{path}"


def test_verify_fails_on_a_pack_of_another_database(team, app, other_database, tmp_path):
    order = structured_order(team)
    number = order.number
    here, _ = issue_pack(order, None)
    db.session.commit()
    other = create_app(_config(other_database, tmp_path / "other"))
    with other.app_context():
        other_order = structured_order(make_team())
        assert other_order.number == number  # the same number, another pack
        theirs, _ = issue_pack(other_order, None)
        db.session.commit()
        theirs_pdf = theirs.pdf
        db.session.remove()
        db.engine.dispose()
    runner = app.test_cli_runner()
    from qms.cli import cli

    result = runner.invoke(cli, ["pack", "verify", str(_write(tmp_path, theirs_pdf))])
    assert result.exit_code == 1, result.output
    assert "issued elsewhere" in result.output
    assert runner.invoke(cli, ["pack", "verify", str(_write(tmp_path, here.pdf))]).exit_code == 0


def _write(tmp_path, data: bytes):
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(data)
    return path


def test_verify_reports_a_superseded_revision(team, runner, tmp_path):
    order = structured_order(team)
    first, _ = issue_pack(order, None)
    contract = db.session.scalars(select(Record).where(Record.kind == "contract")).one()
    revise_record(contract, author=team["engineer"], reason="the customer asked for a discount")
    second, _ = issue_pack(order, None)
    db.session.commit()
    assert second.revision == 2
    old = verify(runner, first.pdf, tmp_path)
    assert old.exit_code == 3, old.output
    assert "SUPERSEDED" in old.output and "revision 2 replaces it" in old.output
    assert verify(runner, second.pdf, tmp_path).exit_code == 0


def test_the_verify_page_checks_an_uploaded_pack(team, app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    pack, _ = issue_pack(structured_order(team), None)
    db.session.commit()
    login(client, "auditor")
    page = client.post("/packs/verify", data={"file": (io.BytesIO(pack.pdf), "pack.pdf")}).get_data(
        as_text=True
    )
    assert "Valid: signed, unchanged, and the current revision" in page
    forged = bytearray(pack.pdf)
    forged[len(forged) // 2] ^= 0x01
    forged = bytes(forged)
    page = client.post("/packs/verify", data={"file": (io.BytesIO(forged), "pack.pdf")}).get_data(
        as_text=True
    )
    assert "Not valid" in page


def test_the_letterhead_an_administrator_sets_is_printed(team, app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    db.session.commit()
    png = _tiny_png()
    login(client, "manager")
    refused = client.post("/letterhead", data={"name": "Другая"})
    assert refused.status_code == 403
    client.post("/logout")
    login(client, "admin")
    bad = client.post(
        "/letterhead",
        data={"name": "ООО «Эллат»", "logo": (io.BytesIO(b"%PDF-1.4 x"), "logo.pdf")},
    )
    assert bad.status_code == 422 and "PNG or JPEG" in bad.get_data(as_text=True)
    saved = client.post(
        "/letterhead",
        data={
            "name": "ООО «Эллат»",
            "details": "ИНН 7700000000\nМосква, ул. Примерная, 1",
            "logo": (io.BytesIO(png), "logo.png"),
        },
    )
    assert saved.status_code == 302
    order = make_order(team, language="ru")
    approved_record(order, "contract", team)
    pack, _ = issue_pack(order, None)
    pages = pages_text(pack.pdf)
    assert "ООО «Эллат»" in pages[0] and "ИНН 7700000000" in pages[0]
    assert all("ООО «Эллат»" in page for page in pages[1:])  # the running header
    with pikepdf.open(io.BytesIO(pack.pdf)) as pdf:
        assert len(pdf.pages[0].get_images()) >= 1  # the logo


def _tiny_png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x14\x21\x3d" * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.mark.slow
def test_the_demo_packs_show_the_acceptance_certificate_and_the_refusal(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    closed, declined = get_order("2006-0001"), get_order("2026-0008")
    closed_text = "\n".join(pages_text(issue_pack(closed, None)[0].pdf))
    assert "Акт приёмки" in closed_text and "Что передано заказчику" in closed_text
    declined_text = "\n".join(pages_text(issue_pack(declined, None)[0].pdf))
    assert "Отказ от заказа" in declined_text and "ООО «СкладСофт»" in declined_text
    assert "Направление к надёжному партнёру" in declined_text
