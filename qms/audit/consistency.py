"""The data against the trail: what the database holds now must be what the trail says.

A jumped order state, a record approved or changed by hand, a stored file rewritten, a
role granted in SQL, a deleted note or signature: each leaves the data disagreeing with
the signed events, and each disagreement is named (what, which row, what the trail says).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from qms.audit.approvals import approval_findings, approvals_in_trail
from qms.audit.models import AuditEvent
from qms.audit.titles import state_title
from qms.auth.models import User
from qms.auth.roles import ROLE_TITLES
from qms.extensions import db
from qms.i18n import current_language, role_title
from qms.orders.models import Order
from qms.records.meanings import MEANING_TITLES
from qms.records.models import Blob, Record, Signature
from qms.trace.models import AuditNote
from qms.workflow.registry import registry
from qms.workitems.models import WorkItem

SHOWN = 20  # findings per check; the rest are counted
USER_FACTS = {"role": _l("role"), "is_active": _l("active")}


def _fact(name: str, value) -> str:
    if name == "role":
        return role_title(value) if value in ROLE_TITLES else str(value)
    return str(_l("yes") if value else _l("no"))


def check_data_against_trail() -> tuple[list[str], dict[str, int]]:
    findings: list[str] = []
    checked = {
        "orders": _states(
            findings, Order, lambda o: "order", lambda o: _l("order %(n)s", n=o.number)
        ),
        "work items": _states(findings, WorkItem, lambda i: i.workflow, lambda i: i.number),
        "approved records": _approved_records(findings),
        "signatures": _signatures(findings),
        "stored files": _files(findings),
        "users": _users(findings),
        "notes": _notes(findings),
    }
    from qms.documents.consistency import approved_revision_findings  # documents use audit

    messages, checked["document revisions"] = approved_revision_findings(db.session)
    _add(findings, messages)
    return findings, checked


def _add(findings: list[str], messages: list[str]) -> None:
    findings += messages[:SHOWN]
    if len(messages) > SHOWN:
        findings.append(_l("… and %(n)s more like these", n=len(messages) - SHOWN))


def _last_states(entity_types) -> dict[tuple[str, int], tuple[str, int]]:
    """(entity type, id) -> (state, seq) of the last event that moved it."""
    last = (
        select(AuditEvent.entity_type, AuditEvent.entity_id, func.max(AuditEvent.seq).label("seq"))
        .where(AuditEvent.entity_type.in_(entity_types), AuditEvent.to_state.is_not(None))
        .group_by(AuditEvent.entity_type, AuditEvent.entity_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            AuditEvent.entity_type, AuditEvent.entity_id, AuditEvent.to_state, AuditEvent.seq
        ).join(last, and_(last.c.seq == AuditEvent.seq))
    )
    return {(t, i): (state, seq) for t, i, state, seq in rows}


def _states(findings, model, entity_type_of, label_of) -> int:
    items = db.session.scalars(select(model).order_by(model.id)).all()
    if not items:  # nothing to compare: the trail's states would be read for nothing
        return 0
    trail = _last_states({entity_type_of(item) for item in items})
    messages = []
    for item in items:
        entity = entity_type_of(item)
        said = trail.get((entity, item.id))
        state = state_title(entity, item.state)
        if said is None:
            messages.append(
                _l(
                    "%(what)s (id %(id)s) is at '%(state)s' but has no event in the trail: "
                    "it was written into the database by hand",
                    what=label_of(item),
                    id=item.id,
                    state=state,
                )
            )
        elif said[0] != item.state:
            messages.append(
                _l(
                    "%(what)s (id %(id)s) is at '%(state)s', but the trail's last transition "
                    "(event #%(seq)s) took it to '%(said)s'",
                    what=label_of(item),
                    id=item.id,
                    state=state,
                    seq=said[1],
                    said=state_title(entity, said[0]),
                )
            )
    _add(findings, messages)
    return len(items)


def _approved_records(findings) -> int:
    approvals = approvals_in_trail(db.session, "record.approved")
    records = db.session.scalars(
        select(Record).options(selectinload(Record.attachments)).order_by(Record.id)
    ).all()
    kinds = registry().latest("customer-order").records
    messages = []
    for record in records:
        label = _l(
            "record %(id)s (%(kind)s, rev. %(n)s)",
            id=record.id,
            kind=kinds[record.kind].title.get(current_language()) if record.kind in kinds else "",
            n=record.revision,
        )
        now = record.content_hash() if record.is_approved else None
        found = approval_findings(label, approvals.get(record.id), now)
        messages += found
        if record.is_approved and not found and record.content_sha256 != now:
            messages.append(
                _l(
                    "%(record)s: its stored content hash no longer matches its content",
                    record=label,
                )
            )
    _add(findings, messages)
    return sum(1 for r in records if r.is_approved)


def _signatures(findings) -> int:
    names = dict(db.session.execute(select(User.id, User.username)).all())
    rows = Counter(
        tuple(row)
        for row in db.session.execute(
            select(
                Signature.record_id,
                Signature.signer_id,
                Signature.meaning,
                Signature.content_sha256,
            )
        )
    )
    events = Counter()
    for entity_id, actor_id, changes in db.session.execute(
        select(AuditEvent.entity_id, AuditEvent.actor_id, AuditEvent.changes).where(
            AuditEvent.action.in_(("record.approved", "record.signed"))
        )
    ):
        events[(entity_id, actor_id, changes.get("meaning"), changes.get("content_sha256"))] += 1

    def describe(key) -> str:
        record_id, signer_id, meaning, content = key
        return _l(
            "%(who)s's '%(meaning)s' signature on record %(id)s (%(hash)s…)",
            who=names.get(signer_id, signer_id),
            meaning=MEANING_TITLES.get(meaning, meaning),
            id=record_id,
            hash=str(content)[:16],
        )

    messages = [
        _l("%(signature)s has no event in the trail: it was added by hand", signature=describe(k))
        for k in rows - events
    ] + [
        _l("%(signature)s is in the trail but its row is gone", signature=describe(k))
        for k in events - rows
    ]
    _add(findings, messages)
    return sum(rows.values())


def _files(findings) -> int:
    messages, count = [], 0
    for sha256, content in db.session.execute(select(Blob.sha256, Blob.content)).yield_per(20):
        count += 1
        if hashlib.sha256(content).hexdigest() != sha256:
            messages.append(
                _l("the stored file %(hash)s… no longer holds what was uploaded", hash=sha256[:16])
            )
    _add(findings, messages)
    return count


def _users(findings) -> int:
    given: dict[int, dict[str, tuple[object, int]]] = defaultdict(dict)
    for entity_id, changes, seq in db.session.execute(
        select(AuditEvent.entity_id, AuditEvent.changes, AuditEvent.seq)
        .where(AuditEvent.entity_type == "user")
        .order_by(AuditEvent.seq)
    ):
        for name in ("role", "is_active"):
            if name in (changes or {}):
                value = changes[name]
                given[entity_id][name] = (value[-1] if isinstance(value, list) else value, seq)
    users = db.session.scalars(select(User).order_by(User.id)).all()
    messages = []
    for user in users:
        for name in ("role", "is_active"):
            now = getattr(user, name)
            said = given[user.id].get(name)
            what = USER_FACTS[name]
            if said is None:
                messages.append(
                    _l(
                        "user %(name)s (id %(id)s) has %(what)s '%(now)s', which the trail never "
                        "gave: the user was written into the database by hand",
                        name=user.username,
                        id=user.id,
                        what=what,
                        now=_fact(name, now),
                    )
                )
            elif said[0] != now:
                messages.append(
                    _l(
                        "user %(name)s (id %(id)s) has %(what)s '%(now)s', but the trail's last "
                        "word (event #%(seq)s) was '%(said)s'",
                        name=user.username,
                        id=user.id,
                        what=what,
                        now=_fact(name, now),
                        seq=said[1],
                        said=_fact(name, said[0]),
                    )
                )
    _add(findings, messages)
    return len(users)


def _notes(findings) -> int:
    rows = Counter(
        tuple(r)
        for r in db.session.execute(select(AuditNote.order_id, AuditNote.author_id, AuditNote.body))
    )
    events = Counter(
        (order_id, actor_id, (changes or {}).get("note"))
        for order_id, actor_id, changes in db.session.execute(
            select(AuditEvent.order_id, AuditEvent.actor_id, AuditEvent.changes).where(
                AuditEvent.action == "audit.note"
            )
        )
    )
    messages = [
        _l(
            "an audit note on order id %(id)s ('%(text)s') has no event in the trail",
            id=order_id,
            text=body[:40],
        )
        for order_id, _, body in rows - events
    ] + [
        _l(
            "the trail's audit note on order id %(id)s ('%(text)s') was deleted",
            id=order_id,
            text=str(body)[:40],
        )
        for order_id, _, body in events - rows
    ]
    _add(findings, messages)
    return sum(rows.values())
