"""The demo's controlled documents: a first revision of each СТП, a second revision of
СТП-2-01 that takes effect part way through the demo orders, one review overdue, and an
engineer who has not yet read the latest revision. Made through the services."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from qms.auth.models import User
from qms.documents import acknowledgements
from qms.documents.models import DocumentRevision
from qms.documents.services import add_revision, approve_revision, find_document
from qms.extensions import db
from qms.timeutil import utcnow

SECOND = "2.2.1.2.2"  # СТП-2-01: the specification and contract review steps
OVERDUE = "2.2.1.2.4"  # СТП-4-01: its yearly review is past due
TEXTS = {
    "2.2.1.2.1": "Запрос заказчика регистрируется в день поступления. Руководитель проекта "
    "оценивает запрос и решает, принять его в работу или отказать; отказ оформляется "
    "записью с причиной и предложенной альтернативой.",
    "2.2.1.2.2": "Техническое задание проходит анализ до заключения договора: требования "
    "заказчика, законодательные требования и возможности исполнителя. Результаты анализа "
    "оформляются записью и утверждаются руководителем.",
    "2.2.1.2.3": "Договор заключается после анализа технического задания. Подписанный договор "
    "и приложения хранятся в деле заказа.",
    "2.2.1.2.3.2": "Изменение договора открывается заявкой на изменение, анализируется и "
    "согласуется с заказчиком до внесения в договорные документы.",
    "2.2.1.2.4": "Корректирующие действия назначаются по результатам анализа несоответствий "
    "и жалоб; результативность каждого действия проверяется.",
    "2.2.1.2.4.1": "Жалоба заказчика регистрируется, анализируется ответственным и закрывается "
    "ответом заказчику.",
    "2.2.1.2.4.2": "Замечания заказчика устраняются в согласованный срок; устранение "
    "подтверждается записью.",
    "2.2.1.2.4.3": "Корректирующее действие включает анализ причины, план действий и проверку "
    "результативности.",
    "2.2.1.2.5": "Программа обеспечения качества проекта составляется руководителем проекта "
    "и утверждается до начала работ.",
    "2.2.1.2.6": "План работ устанавливает этапы, сроки и ответственных; утверждается "
    "руководителем.",
    "2.2.1.2.7": "Работы по проекту проходят этапы: разработка, анализ, верификация, "
    "валидация и приёмка.",
}
SECOND_TEXT = (
    TEXTS[SECOND] + "\nАнализ технического задания проводит инженер, не участвовавший в его "
    "составлении; его заключение прилагается к записи анализа."
)


def _approve(revision: DocumentRevision, signer: User) -> None:
    approve_revision(
        revision,
        signer=signer,
        password=f"{signer.username}-demo",
        meaning="approved",
        seen_sha256=revision.content_hash(),
    )


def _read(revision: DocumentRevision, users: dict[str, User], skip: set[str] = frozenset()):
    roles = acknowledgements.audience_roles().get(revision.register, set())
    for username, user in users.items():
        if user.role in roles and username not in skip:
            acknowledgements.acknowledge(revision, user=user, password=f"{username}-demo")


def first_revisions(users: dict[str, User]) -> bool:
    """Revision 1 of each СТП, approved and read; False when the demo has some already."""
    if db.session.scalar(select(func.count()).select_from(DocumentRevision)):
        return False
    today = utcnow().date()
    for register, text in TEXTS.items():
        late = register == OVERDUE
        revision = add_revision(
            find_document(register),
            author=users["manager"],
            summary="Первая редакция",
            body=text,
            effective_from=today - timedelta(days=400 if late else 200),
            review_months=12 if late else 24,
        )
        _approve(revision, users["admin"])
        _read(revision, users)
    return True


def second_revision(users: dict[str, User]) -> None:
    """Revision 2 of СТП-2-01, in force from today: the orders walked after it run under it.
    The engineer has not read it yet."""
    revision = add_revision(
        find_document(SECOND),
        author=users["manager"],
        summary="Анализ ТЗ проводит независимый инженер",
        body=SECOND_TEXT,
        effective_from=utcnow().date(),
        review_months=24,
    )
    _approve(revision, users["admin"])
    _read(revision, users, skip={"engineer"})
