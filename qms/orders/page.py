"""Everything the order page shows, assembled from a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_login import current_user

from qms.audit.models import AuditEvent
from qms.catalogue import Clause2000, Clause2015, Document, Step
from qms.documents import governing
from qms.orders.models import Order, SalesStage
from qms.orders.queries import order_page_data
from qms.orders.sales import PRE_CONTRACT_STATES, STAGES
from qms.records.models import Record
from qms.workflow.definition import RecordKind, StateDef, TransitionDef, WorkflowDefinition
from qms.workflow.registry import catalogue, definition_of
from qms.workflow.requirements import RequirementStatus, requirement_statuses


@dataclass
class StepView:
    step: Step
    documents: list[Document]
    clauses_2000: list[Clause2000]
    clauses_2015: list[Clause2015]


@dataclass
class TransitionView:
    transition: TransitionDef
    statuses: list[RequirementStatus]
    may_fire: bool  # the user's role is allowed; the guard may still refuse

    @property
    def ready(self) -> bool:
        return all(s.satisfied for s in self.statuses)


@dataclass
class Lineage:
    kind: RecordKind
    revisions: list[Record]  # oldest first

    @property
    def current(self) -> Record:
        return self.revisions[-1]


@dataclass
class OrderView:
    order: Order
    definition: WorkflowDefinition
    state: StateDef
    steps: list[StepView]
    transitions: list[TransitionView]
    lineages: list[Lineage]
    kinds_here: list[RecordKind]  # record kinds the next transitions need
    other_kinds: list[RecordKind]
    sales: list[tuple[str, object, object, SalesStage | None]] = field(default_factory=list)
    show_sales: bool = False
    events: list[AuditEvent] = field(default_factory=list)
    packs: list = field(default_factory=list)
    items: list = field(default_factory=list)
    progress: list[tuple[StateDef, str]] = field(default_factory=list)  # done/current/ahead
    has_contract: bool = False  # an approved contract: changes and complaints make sense
    # Per event, the revisions of the governing documents in force when it happened.
    governed: dict[int, list] = field(default_factory=dict)

    @property
    def cancel_triggers(self) -> set[str]:
        """Steps that end the order without its result (any final state but the first, the
        normal end): shown as the destructive acts they are."""
        finals = [s.name for s in self.definition.states.values() if s.final]
        return {t.trigger for t in self.definition.transitions if t.dest in finals[1:]}


def order_view(number: str) -> OrderView | None:
    data = order_page_data(number)
    if data is None:
        return None
    order, records, stages, events, packs, items = data
    definition = definition_of(order.workflow_version)
    state = definition.states[order.state]
    cat = catalogue()
    steps = [
        StepView(
            step=cat.steps[n],
            documents=cat.step_documents(cat.steps[n]),
            clauses_2000=cat.step_clauses(cat.steps[n]),
            clauses_2015=cat.step_clauses_2015(cat.steps[n]),
        )
        for n in state.steps
    ]
    lang = current_user.language
    transitions = [
        TransitionView(
            t,
            requirement_statuses(order, definition, t, lang, records=records),
            current_user.role in t.roles,
        )
        for t in definition.transitions_from(order.state)
    ]
    lineages: dict[str, Lineage] = {}
    for record in records:
        kind = definition.records.get(record.kind)
        if kind is not None:
            lineages.setdefault(record.lineage, Lineage(kind, [])).revisions.append(record)
    needed = {k for t in transitions for k in t.transition.requires}
    done = {s.stage: s for s in stages}
    visited = {e.to_state for e in events if e.to_state}
    return OrderView(
        order=order,
        definition=definition,
        state=state,
        steps=steps,
        transitions=transitions,
        lineages=sorted(lineages.values(), key=lambda ln: (ln.kind.kind, ln.current.id)),
        kinds_here=[k for k in definition.records.values() if k.kind in needed],
        other_kinds=[k for k in definition.records.values() if k.kind not in needed],
        sales=[(key, title, goal, done.get(key)) for key, (title, goal) in STAGES.items()],
        show_sales=order.state in PRE_CONTRACT_STATES,
        events=events,
        packs=packs,
        items=items,
        progress=_progress(definition, order.state, visited),
        has_contract=any(r.kind == "contract" and r.is_approved for r in records),
        governed=governing.labelled_for_order(order.id),
    )


def _progress(definition: WorkflowDefinition, current: str, visited: set[str]):
    """The main path's stages at a glance (the final states other than the last aside)."""
    finals = [s for s in definition.states.values() if s.final]
    path = [s for s in definition.states.values() if not s.final] + finals[:1]
    if definition.states[current].final and definition.states[current] not in path:
        path = [s for s in path if s.name in visited] + [definition.states[current]]
    return [
        (
            state,
            "current" if state.name == current else "done" if state.name in visited else "ahead",
        )
        for state in path
    ]
