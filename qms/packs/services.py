"""Issuing contract packs: a new revision only when what the pack says has changed."""

from __future__ import annotations

import hashlib

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select

from qms.audit.anchor import current_head
from qms.audit.trail import record_event
from qms.auth.models import User
from qms.extensions import db
from qms.orders.models import Order
from qms.packs.content import content_sha256, pack_content
from qms.packs.models import ContractPack
from qms.packs.render import render_pdf
from qms.timeutil import utcnow


def latest_pack(order: Order) -> ContractPack | None:
    return db.session.scalars(
        select(ContractPack)
        .where(ContractPack.order_id == order.id)
        .order_by(ContractPack.revision.desc())
        .limit(1)
    ).first()


def pack_html(
    order: Order, content: dict, revision: int, issued_at, digest: str, trail_head=None
) -> str:
    with force_locale(order.language):
        return render_template(
            "pdf/pack.html",
            pack=content,
            revision=revision,
            issued_at=issued_at,
            content_sha256=digest,
            trail_head=trail_head or current_head(),
        )


def issue_pack(order: Order, actor: User | None) -> tuple[ContractPack, bool]:
    """The order's current pack, and whether it was issued now.

    If nothing the pack says has changed since the last revision, that revision is
    returned as it was issued (same bytes); otherwise the next revision is rendered,
    stored with its SHA-256 and recorded in the audit trail. The caller commits.
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
    pdf, pages = render_pdf(pack_html(order, content, revision, issued_at, digest, trail_head))
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
        },
    )
    return pack, True
