"""What a transition's guard checks: is the latest revision of each required record approved?"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import NamedTuple, Protocol

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from qms.database.driver import fetch_all, placeholder
from qms.extensions import db
from qms.i18n import lazy_text
from qms.records.models import Record
from qms.workflow.definition import TransitionDef, WorkflowDefinition


class _Identified(Protocol):
    id: int


@dataclass(frozen=True)
class RequirementStatus:
    kind: str
    title: str
    satisfied: bool
    problem: object | None  # a lazy text, rendered in the reader's language
    drafts: tuple[str, ...] = ()  # "'title' rev. n" of each unapproved revision


class _RecordFacts(NamedTuple):
    kind: str
    lineage: str
    revision: int
    title: str
    is_approved: bool


# Built once: on the hot path, building a statement costs more than running it.
@cache
def _record_facts_sql(dialect, kind_count: int) -> str:
    """Only the columns the check reads: no entities, no JSON to decode."""
    mark = placeholder(dialect)
    return (
        "SELECT kind, lineage, revision, title, status FROM records "
        f"WHERE order_id = {mark} AND kind IN ({', '.join([mark] * kind_count)})"
    )


def requirement_statuses(
    item: _Identified,
    definition: WorkflowDefinition,
    transition: TransitionDef,
    lang: str = "en",
    records: list[Record] | None = None,
) -> list[RequirementStatus]:
    """For each record kind a transition requires: is its latest revision approved?

    Pass the item's `records` when they are already loaded (a page showing several
    transitions) to avoid a query per transition.
    """
    if not transition.requires:
        return []
    if records is None:
        # Run by every transition's guard: sent to the driver (qms.database.driver).
        connection = db.session.connection()
        kinds = tuple(transition.requires)
        rows = fetch_all(
            connection, _record_facts_sql(connection.dialect, len(kinds)), (item.id, *kinds)
        )
        records = [
            _RecordFacts(kind, lineage, revision, title, status == "approved")
            for kind, lineage, revision, title, status in rows
        ]
    latest: dict[str, Record] = {}
    for record in sorted(records, key=lambda r: r.revision):
        latest[record.lineage] = record  # the highest revision wins
    statuses = []
    for kind in transition.requires:
        title = definition.records[kind].title.get(lang)
        current = [r for r in latest.values() if r.kind == kind]
        drafts = [r for r in current if not r.is_approved]
        problem = None
        if not current:  # lazy texts: said in the reader's language wherever they are shown
            problem = _l(
                "%(kind)s: missing (create it and have it approved)",
                kind=lazy_text(definition.records[kind].title),
            )
        elif drafts:
            problem = _l(
                "%(kind)s: %(names)s is a draft (approve it first)",
                kind=lazy_text(definition.records[kind].title),
                names=_draft_names(drafts),
            )
        draft_names = tuple(f"'{r.title}' rev. {r.revision}" for r in drafts)
        statuses.append(RequirementStatus(kind, title, problem is None, problem, draft_names))
    return statuses


def _draft_names(drafts) -> LazyString:
    def render() -> str:
        return ", ".join(
            str(_l("'%(title)s' rev. %(n)s", title=r.title, n=r.revision)) for r in drafts
        )

    return LazyString(render)
