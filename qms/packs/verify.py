"""Verifying a contract pack PDF: its signature, its bytes, and its manifest against the
database, and whether a newer revision of the pack has superseded it.

Findings are messages in words (lazy: rendered in the reader's language by the web page,
in English by the command line).
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

import pikepdf
from flask import current_app
from flask_babel import lazy_gettext as _l
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from qms.extensions import db
from qms.orders.models import Order
from qms.packs.manifest import MANIFEST_FORMAT, MANIFEST_NAME
from qms.packs.models import ContractPack
from qms.packs.signing import (
    SigningError,
    certificate_sha256,
    is_trial,
    read_certificates,
    signing_identity,
)
from qms.records.models import Record, Signature


@dataclass
class PackVerification:
    problems: list = field(default_factory=list)  # what is wrong: the pack is not valid
    notes: list = field(default_factory=list)  # what the reader should know
    order: str | None = None
    revision: int | None = None
    signed_by: str | None = None
    certificate_sha256: str | None = None
    trial: bool = False
    superseded_by: int | None = None

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def current(self) -> bool:
        return self.valid and self.superseded_by is None


def verify_pack(data: bytes) -> PackVerification:
    """Check a pack file against this installation's key and database."""
    result = PackVerification()
    if not data.startswith(b"%PDF-"):
        result.problems.append(_l("the file is not a PDF"))
        return result
    _check_signature(data, result)
    manifest = _read_manifest(data, result)
    if manifest is not None:
        _check_against_database(data, manifest, result)
    return result


def _trust_roots():
    roots = []
    try:
        identity = signing_identity()
        roots += [identity.certificate, *identity.chain]
    except SigningError:
        pass
    roots += read_certificates(current_app.config.get("QMS_PACK_TRUST_ROOTS") or "")
    return roots


def _check_signature(data: bytes, result: PackVerification) -> None:
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        result.problems.append(_l("the PDF cannot be read (%(why)s): it is damaged", why=exc))
        return
    if not signatures:
        result.problems.append(_l("the file carries no digital signature"))
        return
    signature = signatures[-1]
    try:
        status = validate_pdf_signature(
            signature, ValidationContext(trust_roots=_trust_roots(), allow_fetching=False)
        )
    except Exception as exc:  # pyHanko raises many kinds on a damaged signature
        result.problems.append(_l("the signature cannot be checked (%(why)s)", why=exc))
        return
    certificate = status.signing_cert
    result.signed_by = certificate.subject.human_friendly
    result.trial = is_trial(certificate)
    if not status.intact:
        result.problems.append(_l("the file was changed after it was signed"))
    elif not status.valid:
        result.problems.append(_l("the signature is not valid"))
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        result.problems.append(_l("something was added to the file after it was signed"))
    if status.intact and status.valid and not status.trusted:
        result.problems.append(
            _l(
                "the signing certificate (%(subject)s) is not this organisation's",
                subject=result.signed_by,
            )
        )
    if result.trial:
        result.notes.append(
            _l("signed with a trial certificate: it shows integrity, not who the signer is")
        )
    result.certificate_sha256 = certificate_sha256(certificate)


def _read_manifest(data: bytes, result: PackVerification) -> dict[str, Any] | None:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            attachment = pdf.attachments.get(MANIFEST_NAME)
            raw = attachment.get_file().read_bytes() if attachment is not None else None
    except (pikepdf.PdfError, ValueError) as exc:
        result.problems.append(_l("the PDF cannot be read (%(why)s): it is damaged", why=exc))
        return None
    if raw is None:
        result.problems.append(_l("the file carries no contract pack manifest"))
        return None
    try:
        manifest = json.loads(raw)
        if manifest.get("format") != MANIFEST_FORMAT:
            raise ValueError(manifest.get("format"))
        result.order = str(manifest["pack"]["order"])
        result.revision = int(manifest["pack"]["revision"])
    except (ValueError, KeyError, TypeError, AttributeError):
        result.problems.append(_l("the embedded manifest is not one qms wrote"))
        return None
    return manifest


def _check_against_database(data: bytes, manifest: dict, result: PackVerification) -> None:
    order = db.session.scalars(select(Order).where(Order.number == result.order)).first()
    if order is None:
        result.problems.append(
            _l(
                "this database holds no order %(number)s: the pack comes from another installation",
                number=result.order,
            )
        )
        return
    pack = db.session.scalars(
        select(ContractPack).where(
            ContractPack.order_id == order.id, ContractPack.revision == result.revision
        )
    ).first()
    if pack is None:
        result.problems.append(
            _l(
                "this database issued no revision %(n)s of the pack of order %(number)s",
                n=result.revision,
                number=result.order,
            )
        )
        return
    if pack.content_sha256 != manifest["pack"].get("content_sha256"):
        result.problems.append(
            _l(
                "the manifest's content hash is not the one this database holds for revision "
                "%(n)s of order %(number)s: the pack was issued elsewhere",
                n=result.revision,
                number=result.order,
            )
        )
    elif hashlib.sha256(data).hexdigest() != pack.pdf_sha256:
        result.problems.append(
            _l(
                "the file is not the one this database issued as revision %(n)s of order "
                "%(number)s",
                n=result.revision,
                number=result.order,
            )
        )
    for problem in _records_against_database(order, manifest):
        result.problems.append(problem)
    newest = db.session.scalar(
        select(ContractPack.revision)
        .where(ContractPack.order_id == order.id)
        .order_by(ContractPack.revision.desc())
        .limit(1)
    )
    if newest and newest > result.revision:
        result.superseded_by = newest


def _records_against_database(order: Order, manifest: dict) -> list:
    """Approved revisions the manifest names must be in the database as it says."""
    rows = {
        (r.lineage, r.revision): r
        for r in db.session.scalars(select(Record).where(Record.order_id == order.id))
    }
    signed = {
        (s.record_id, s.content_sha256, s.meaning)
        for s in db.session.scalars(
            select(Signature).join(Record).where(Record.order_id == order.id)
        )
    }
    problems = []
    for entry in manifest.get("records") or []:
        record = rows.get((entry.get("lineage"), entry.get("revision")))
        if record is None:
            problems.append(
                _l(
                    "the database holds no revision %(n)s of the record of kind %(kind)s the "
                    "manifest names",
                    n=entry.get("revision"),
                    kind=entry.get("kind"),
                )
            )
            continue
        if entry.get("approved") and record.content_sha256 != entry.get("content_sha256"):
            problems.append(
                _l(
                    "the approved content of '%(title)s' revision %(n)s differs from the "
                    "database's",
                    title=record.title,
                    n=record.revision,
                )
            )
        for signature in entry.get("signatures") or []:
            key = (record.id, signature.get("content_sha256"), signature.get("meaning"))
            if key not in signed:
                problems.append(
                    _l(
                        "a signature on '%(title)s' revision %(n)s is not in the database",
                        title=record.title,
                        n=record.revision,
                    )
                )
    return problems
