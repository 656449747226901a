"""The data against the trail: what the database holds now must be what the trail says.

A jumped order state, a record approved or changed by hand, a stored file rewritten, a
role granted in SQL, a deleted note or signature: each leaves the data disagreeing with
the signed events, and each disagreement is named (what, which row, what the trail says).
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from qms.audit.models import AuditEvent
from qms.auth.models import User
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Blob, Record, Signature
from qms.trace.models import AuditNote
from qms.workitems.models import WorkItem

SHOWN = 20  # findings per check; the rest are counted


def check_data_against_trail() -> tuple[list[str], dict[str, int]]:
    findings: list[str] = []
    checked = {
        "orders": _states(findings, Order, lambda o: "order", lambda o: f"order {o.number}"),
        "work items": _states(
            findings, WorkItem, lambda i: i.workflow, lambda i: f"{i.workflow} {i.number}"
        ),
        "approved records": _approved_records(findings),
        "signatures": _signatures(findings),
        "stored files": _files(findings),
        "users": _users(findings),
        "notes": _notes(findings),
    }
    return findings, checked


def _add(findings: list[str], messages: list[str]) -> None:
    findings += messages[:SHOWN]
    if len(messages) > SHOWN:
        findings.append(f"… and {len(messages) - SHOWN} more like these")


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
    trail = _last_states({entity_type_of(item) for item in items} or {"order"})
    messages = []
    for item in items:
        said = trail.get((entity_type_of(item), item.id))
        if said is None:
            messages.append(
                f"{label_of(item)} (id {item.id}) is at '{item.state}' but has no event in the "
                "trail: it was written into the database by hand"
            )
        elif said[0] != item.state:
            messages.append(
                f"{label_of(item)} (id {item.id}) is at '{item.state}', but the trail's last "
                f"transition (event #{said[1]}) took it to '{said[0]}'"
            )
    _add(findings, messages)
    return len(items)


def _approved_records(findings) -> int:
    approvals = {
        entity_id: (changes.get("content_sha256"), seq)
        for entity_id, changes, seq in db.session.execute(
            select(AuditEvent.entity_id, AuditEvent.changes, AuditEvent.seq).where(
                AuditEvent.action == "record.approved"
            )
        )
    }
    records = db.session.scalars(
        select(Record).options(selectinload(Record.attachments)).order_by(Record.id)
    ).all()
    messages = []
    for record in records:
        label = f"record {record.id} ({record.kind}, rev. {record.revision})"
        approval = approvals.get(record.id)
        if not record.is_approved:
            if approval is not None:
                messages.append(f"{label} was approved (event #{approval[1]}) but is now a draft")
            continue
        now = record.content_hash()
        if approval is None:
            messages.append(f"{label} is approved but the trail holds no approval of it")
        elif approval[0] != now:
            messages.append(
                f"{label} now hashes {now[:16]}…, but it was approved (event #{approval[1]}) "
                f"as {str(approval[0])[:16]}…: its content or files changed after approval"
            )
        elif record.content_sha256 != now:
            messages.append(f"{label}: its stored content hash no longer matches its content")
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
        who = names.get(signer_id, f"user {signer_id}")
        return f"{who}'s '{meaning}' signature on record {record_id} ({str(content)[:16]}…)"

    messages = [
        f"{describe(k)} has no event in the trail: it was added by hand" for k in rows - events
    ] + [f"{describe(k)} is in the trail but its row is gone" for k in events - rows]
    _add(findings, messages)
    return sum(rows.values())


def _files(findings) -> int:
    messages, count = [], 0
    for sha256, content in db.session.execute(select(Blob.sha256, Blob.content)).yield_per(20):
        count += 1
        if hashlib.sha256(content).hexdigest() != sha256:
            messages.append(f"the stored file {sha256[:16]}… no longer holds what was uploaded")
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
            if said is None:
                messages.append(
                    f"user {user.username} (id {user.id}) has {name} {now!r}, which the trail "
                    "never gave: the user was written into the database by hand"
                )
            elif said[0] != now:
                messages.append(
                    f"user {user.username} (id {user.id}) has {name} {now!r}, but the trail's "
                    f"last word (event #{said[1]}) was {said[0]!r}"
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
        f"an audit note on order id {order_id} ('{body[:40]}') has no event in the trail"
        for order_id, _, body in rows - events
    ] + [
        f"the trail's audit note on order id {order_id} ('{str(body)[:40]}') was deleted"
        for order_id, _, body in events - rows
    ]
    _add(findings, messages)
    return sum(rows.values())
