"""Read and understood: who must acknowledge a revision, who has, and who has not.

The people who must read a revision are those whose roles perform the steps its document
governs: the roles that may fire a transition out of a state carrying such a step, and
the approvers of the records that are evidence for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import LazyString, format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.documents import governing
from qms.documents.models import DocumentAcknowledgement, DocumentRevision
from qms.documents.queries import document_statuses
from qms.extensions import db
from qms.notify.services import notify
from qms.timeutil import utcnow
from qms.workflow.registry import catalogue, registry


class AcknowledgementError(ValueError):
    """An acknowledgement refused, in words a person can act on."""


def audience_roles() -> dict[str, set[str]]:
    """Per register number, the roles that perform the steps it governs (every workflow)."""
    roles: dict[str, set[str]] = {}
    reg = registry()
    for name in sorted(reg.names()):
        definition = reg.latest(name)
        for transition in definition.transitions:
            for state in transition.sources:
                for register in governing.state_documents(definition, state):
                    roles.setdefault(register, set()).update(transition.roles)
        for kind in definition.records.values():
            for register in governing.kind_documents(kind):
                roles.setdefault(register, set()).update(kind.approvers)
    return roles


def acknowledged_ids(user: User) -> set[int]:
    return set(
        db.session.scalars(
            select(DocumentAcknowledgement.revision_id).where(
                DocumentAcknowledgement.user_id == user.id
            )
        )
    )


def acknowledge(revision: DocumentRevision, *, user: User, password: str) -> None:
    """Record that `user` has read and understood this revision (the password re-entered)."""
    if not revision.is_approved:
        raise AcknowledgementError(
            _l("this revision is not approved yet; there is nothing to read")
        )
    if revision.id in acknowledged_ids(user):
        raise AcknowledgementError(_l("you have already acknowledged this revision"))
    if not user.check_password(password or ""):
        raise AcknowledgementError(
            _l("the password is not correct; the acknowledgement was not recorded")
        )
    db.session.add(
        DocumentAcknowledgement(
            revision_id=revision.id, user_id=user.id, content_sha256=revision.content_sha256
        )
    )
    db.session.flush()
    record_event(
        actor=user,
        action="document.acknowledged",
        entity_type="document",
        entity_id=revision.id,
        changes={
            "document": catalogue().documents[revision.register].label,
            "revision": revision.revision,
            "content_sha256": revision.content_sha256,
        },
    )


@dataclass
class Unread:
    user: User
    document: object  # the register's Document
    revision: DocumentRevision
    since: date  # in force (or approved) from

    def days(self, today: date) -> int:
        return max(0, (today - self.since).days)


def unread(user: User | None = None, today: date | None = None) -> list[Unread]:
    """The revisions in force that someone who must read has not acknowledged, the oldest
    first; only `user`'s when given. A handful of queries whatever the numbers."""
    today = today or utcnow().date()
    roles = audience_roles()
    users_query = select(User).where(User.is_active).order_by(User.full_name)
    if user is not None:
        users_query = users_query.where(User.id == user.id)
    people = list(db.session.scalars(users_query))
    done = set(
        tuple(row)
        for row in db.session.execute(
            select(DocumentAcknowledgement.user_id, DocumentAcknowledgement.revision_id)
        )
    )
    result = []
    for register, status in document_statuses(today).items():
        revision = status.in_force
        if revision is None:
            continue
        for person in people:
            if person.role in roles.get(register, ()) and (person.id, revision.id) not in done:
                result.append(Unread(person, status.document, revision, revision.effective_from))
    return sorted(result, key=lambda u: (u.since, u.document.register, u.user.full_name))


def unread_problems(actor: User, registers) -> list:
    """For a transition that requires it: each governing revision in force the actor has
    not acknowledged, said in words."""
    found = governing.in_force(registers)
    if not found:
        return []
    read = acknowledged_ids(actor)
    documents = catalogue().documents
    return [
        _l(
            "you have not acknowledged %(document)s rev. %(revision)s (in force from %(date)s); "
            "read it and acknowledge it first",
            document=documents[r.register].label,
            revision=r.revision,
            date=LazyString(format_date, r.effective_from),
        )
        for r in found.values()
        if r.id not in read
    ]


def tell_readers(revision: DocumentRevision, actor: User) -> int:
    """Notify everyone who must read a newly approved revision; returns how many."""
    roles = audience_roles().get(revision.register, set())
    if not roles:
        return 0
    document = catalogue().documents[revision.register]
    told = 0
    for user in db.session.scalars(select(User).where(User.is_active, User.role.in_(roles))):
        told += (
            notify(
                user,
                "document_to_read",
                subject_type="document",
                subject_id=revision.id,
                params={
                    "document": document.label,
                    "register": document.register,
                    "revision": revision.revision,
                    "date": {"date": revision.effective_from.isoformat()},
                },
                actor=actor,
            )
            is not None
        )
    return told
