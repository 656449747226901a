"""Signing records, asking someone to sign, and sending a draft back.

Only the kind's approvers sign, never anyone who shaped the revision (its contributors),
and only the content they were shown (the content hash the sign form carried). The caller
commits.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.documents import governing
from qms.extensions import db
from qms.i18n import lazy_text, role_titles
from qms.notify.services import notify
from qms.orders.models import Order
from qms.records.models import Record, Signature
from qms.records.services import (
    CONTRIBUTION_TITLES,
    RecordChanged,
    RecordError,
    record_kind,
)
from qms.timeutil import utcnow
from qms.workflow.definition import RecordKind


def sign_refusal(record: Record, user: User, kind: RecordKind) -> str | None:
    """Why `user` may not sign this revision at all (password and meaning aside)."""
    if user.role not in kind.approvers:
        return _l(
            "only a %(roles)s may sign a record of this kind (%(kind)s)",
            roles=role_titles(kind.approvers),
            kind=lazy_text(kind.title),
        )
    if record.is_approved:
        return _l("this revision is already approved; there is nothing more to sign")
    own = [c for c in record.contributions if c.user_id == user.id]
    if own:
        how = ", ".join(str(CONTRIBUTION_TITLES[c.contribution]) for c in own)
        return _l(
            "you shaped this revision (%(how)s), so someone who did not must sign it", how=how
        )
    return None


def sign_record(
    record: Record, *, signer: User, password: str, meaning: str, seen_sha256: str
) -> Signature:
    """An electronic signature on exactly the content the signer read.

    `seen_sha256` is the content hash of the record as it was shown to the signer; if the
    record has changed since, RecordChanged is raised and nothing is signed. The signer
    re-enters their password and says what the signature means: the kind's approving
    meaning (usually "approved") approves the revision; "reviewed" does not. Only the
    kind's approvers may sign, and no one who shaped this revision (its contributors).
    """
    order = db.session.get(Order, record.order_id)
    kind = record_kind(order, record.kind)
    content = record.content_hash()
    check_signature(
        signer,
        password=password,
        meaning=meaning,
        meanings=signing_meanings(kind),
        refusal=sign_refusal(record, signer, kind),
        seen_sha256=seen_sha256,
        content_sha256=content,
    )
    already = db.session.scalar(
        select(func.count()).where(
            Signature.record_id == record.id,
            Signature.signer_id == signer.id,
            Signature.meaning == meaning,
        )
    )
    if already:
        raise RecordError(
            _l("you have already signed this revision as %(meaning)s", meaning=meaning)
        )
    approving = meaning == kind.approve_as
    signature = Signature(
        record_id=record.id, signer_id=signer.id, meaning=meaning, content_sha256=content
    )
    db.session.add(signature)
    if approving:  # the version-checked UPDATE refuses if someone changed it meanwhile
        record.status = "approved"
        record.approved_at = utcnow()
        record.content_sha256 = content
    else:
        _claim_unchanged(record)
    db.session.flush()
    event = record_event(
        actor=signer,
        action="record.approved" if approving else "record.signed",
        entity_type="record",
        entity_id=record.id,
        order_id=record.order_id,
        changes={"meaning": meaning, "content_sha256": content, "revision": record.revision},
    )
    if approving:
        governing.capture(event, governing.kind_documents(kind))
        _tell_contributors(record, order, "record_approved", signer)
    return signature


def check_signature(
    signer: User,
    *,
    password: str,
    meaning: str,
    meanings: tuple[str, ...],
    refusal: str | None,
    seen_sha256: str,
    content_sha256: str,
) -> None:
    """The rules every electronic signature follows, on a record or on a controlled
    document's revision: a meaning from `meanings`, no `refusal` (not an approver, a
    contributor, already approved), exactly the content the signer was shown, and the
    password re-entered. Raises RecordError, or RecordChanged (409) on changed content.
    """
    if meaning not in meanings:
        raise RecordError(
            _l(
                "a signature on this record means one of: %(meanings)s",
                meanings=", ".join(meanings),
            )
        )
    if refusal is not None:
        raise RecordError(refusal)
    if seen_sha256 != content_sha256:
        raise RecordChanged(
            _l("the record changed since you opened it; read it again before you sign")
        )
    if not signer.check_password(password or ""):
        raise RecordError(_l("the password is not correct; the record was not signed"))


def signing_meanings(kind: RecordKind) -> tuple[str, ...]:
    """What a signature on this kind may mean: its approving meaning, or "reviewed"."""
    return (kind.approve_as,) if kind.approve_as == "reviewed" else (kind.approve_as, "reviewed")


def _claim_unchanged(record: Record) -> None:
    """Bump the record's version only if it is still the version read: a signature that
    approves nothing must not land on content someone changed after it was read."""
    written = db.session.execute(
        update(Record.__table__)
        .where(Record.__table__.c.id == record.id, Record.__table__.c.version == record.version)
        .values(version=record.version + 1)
    )
    if written.rowcount != 1:
        raise RecordChanged(
            _l("the record changed since you opened it; read it again before you sign")
        )
    set_committed_value(record, "version", record.version + 1)


def eligible_signers(record: Record, kind: RecordKind) -> list[User]:
    """The active people who may sign this revision now."""
    candidates = db.session.scalars(
        select(User).where(User.is_active, User.role.in_(kind.approvers)).order_by(User.full_name)
    ).all()
    return [u for u in candidates if sign_refusal(record, u, kind) is None]


def request_signature(record: Record, *, requester: User, signer: User) -> None:
    """Ask `signer` to sign this draft: an event, and a notification (by e-mail if they want)."""
    order = db.session.get(Order, record.order_id)
    kind = record_kind(order, record.kind)
    if requester.role == "auditor":
        raise RecordError(_l("auditors read records; they do not write them"))
    if (refusal := sign_refusal(record, signer, kind)) is not None:
        raise RecordError(
            _l("%(name)s cannot sign this revision: %(why)s", name=signer.full_name, why=refusal)
        )
    record_event(
        actor=requester,
        action="record.signature_requested",
        entity_type="record",
        entity_id=record.id,
        order_id=record.order_id,
        changes={"signer": signer.username, "revision": record.revision},
    )
    notify(
        signer,
        "signature_requested",
        subject_type="record",
        subject_id=record.id,
        params={"record": record.title, "order": order.number},
        actor=requester,
    )


def send_back(record: Record, *, approver: User, reason: str) -> None:
    """An approver declines to sign this draft as it is, and says why: its contributors hear."""
    order = db.session.get(Order, record.order_id)
    kind = record_kind(order, record.kind)
    if (refusal := sign_refusal(record, approver, kind)) is not None:
        raise RecordError(refusal)
    if not reason or not reason.strip():
        raise RecordError(_l("say what must change before you would sign"))
    record_event(
        actor=approver,
        action="record.sent_back",
        entity_type="record",
        entity_id=record.id,
        order_id=record.order_id,
        changes={"revision": record.revision},
        reason=reason.strip(),
    )
    _tell_contributors(record, order, "record_sent_back", approver, reason=reason.strip())


def _tell_contributors(record: Record, order: Order, kind: str, actor: User, **params) -> None:
    for user in {c.user_id: c.user for c in record.contributions}.values():
        notify(
            user,
            kind,
            subject_type="record",
            subject_id=record.id,
            params={"record": record.title, "order": order.number, **params},
            actor=actor,
        )
