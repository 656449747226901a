"""Issuing contract packs: a new revision only when what the pack says has changed.

An issued pack is PDF/A-3b with its manifest (and the records' PDFs and pictures)
embedded, signed (PAdES) with the organisation's key; the stored bytes, their SHA-256
and the audit event are those of the signed file.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from qms.audit.anchor import current_head
from qms.audit.trail import record_event
from qms.auth.models import User
from qms.extensions import db
from qms.letterhead.services import logo_bytes
from qms.orders.models import Order
from qms.packs.content import content_sha256, pack_content
from qms.packs.manifest import manifest_file, pack_manifest, record_files
from qms.packs.models import ContractPack
from qms.records.meanings import MEANING_TITLES
from qms.timeutil import utcnow

if TYPE_CHECKING:  # WeasyPrint and pyHanko load when a pack is built, not with the app
    from qms.packs.render import StaticOnlyFetcher
    from qms.packs.signing import SigningIdentity


def latest_pack(order: Order) -> ContractPack | None:
    return db.session.scalars(
        select(ContractPack)
        .where(ContractPack.order_id == order.id)
        .order_by(ContractPack.revision.desc())
        .limit(1)
    ).first()


def certificate_facts(identity: SigningIdentity | None) -> dict | None:
    if identity is None:
        return None
    return {
        "subject": identity.subject,
        "sha256": identity.fingerprint,
        "trial": identity.is_trial,
    }


def pack_html(
    order: Order,
    content: dict,
    revision: int,
    issued_at,
    digest: str,
    trail_head=None,
    certificate: dict | None = None,
) -> str:
    with force_locale(order.language):
        return render_template(
            "pdf/pack.html",
            pack=content,
            revision=revision,
            issued_at=issued_at,
            content_sha256=digest,
            trail_head=trail_head or current_head(),
            certificate=certificate,
            meaning_titles=MEANING_TITLES,
        )


def pack_fetcher(content: dict) -> StaticOnlyFetcher:
    """The renderer's fetcher, holding the letterhead's logo (from the database)."""
    from qms.packs.render import StaticOnlyFetcher

    logo = logo_bytes(content["letterhead"]["logo_sha256"])
    return StaticOnlyFetcher(resources={"logo": logo} if logo else {})


def build_pack_pdf(
    order: Order,
    content: dict,
    digest: str,
    revision: int,
    issued_at,
    *,
    issued_by: str | None,
    trail_head: tuple[int, str],
) -> tuple[bytes, int, SigningIdentity]:
    """The signed PDF/A bytes of a pack revision and its page count."""
    from qms.packs.render import render_pdf
    from qms.packs.signing import sign_pdf, signing_identity

    identity = signing_identity()
    certificate = certificate_facts(identity)
    manifest = pack_manifest(
        content=content,
        digest=digest,
        revision=revision,
        issued_at=issued_at,
        issued_by=issued_by,
        trail_head=trail_head,
        certificate=certificate,
    )
    html = pack_html(order, content, revision, issued_at, digest, trail_head, certificate)
    pdf, pages = render_pdf(
        html,
        pack_fetcher(content),
        embedded=[manifest_file(manifest), *record_files(content)],
        made_at=issued_at,
    )
    with force_locale(order.language):
        reason = _("Contract pack %(number)s, revision %(n)s", number=order.number, n=revision)
    signed = sign_pdf(pdf, identity, reason=reason, location=content["letterhead"]["name"])
    return signed, pages, identity


def issue_pack(order: Order, actor: User | None) -> tuple[ContractPack, bool]:
    """The order's current pack, and whether it was issued now.

    If nothing the pack says has changed since the last revision, that revision is
    returned as it was issued (same bytes); otherwise the next revision is rendered,
    signed, stored with its SHA-256 and recorded in the audit trail. The caller commits.
    """
    content = pack_content(order)
    digest = content_sha256(content)
    latest = latest_pack(order)
    if latest is not None and latest.content_sha256 == digest:
        return latest, False
    revision = (latest.revision if latest else 0) + 1
    issued_at = utcnow()
    # The cover prints the trail's head: the customer's copy anchors the trail outside qms.
    trail_head = current_head()
    pdf, pages, identity = build_pack_pdf(
        order,
        content,
        digest,
        revision,
        issued_at,
        issued_by=actor.full_name if actor else None,
        trail_head=trail_head,
    )
    pack = ContractPack(
        order_id=order.id,
        revision=revision,
        language=order.language,
        content_sha256=digest,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        pdf=pdf,
        pages=pages,
        issued_at=issued_at,
        issued_by_id=actor.id if actor else None,
        certificate_sha256=identity.fingerprint,
        signed_by=identity.subject[:300],
    )
    db.session.add(pack)
    db.session.flush()
    record_event(
        actor=actor,
        action="pack.issued",
        entity_type="pack",
        entity_id=pack.id,
        order_id=order.id,
        changes={
            "revision": revision,
            "pages": pages,
            "content_sha256": digest,
            "pdf_sha256": pack.pdf_sha256,
            "trail_head": list(trail_head),
            "signed_by": pack.signed_by,
            "certificate_sha256": pack.certificate_sha256,
        },
    )
    return pack, True
