"""Moving work items through their workflow, built on `transitions`.

One Machine per workflow definition version, built once and cached, with no models
attached: a stand-in carrying the item's state is passed to `event.trigger(...)`, and the
new state is then written with one version-checked UPDATE. Guards are evaluated by us
first, so a refusal can say what is missing; the same guard is the machine's condition,
so nothing fires around it.
"""

from __future__ import annotations

from functools import cache
from threading import Lock
from types import SimpleNamespace
from typing import Protocol

from flask_babel import LazyString, format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value
from transitions import Machine, MachineError

from qms.audit.models import AuditEvent
from qms.audit.trail import RecordedEvent, record_event
from qms.auth.models import User
from qms.database.driver import placeholder, run, stored_time
from qms.documents import acknowledgements, governing
from qms.extensions import db
from qms.i18n import lazy_text, role_title, role_titles
from qms.timeutil import utcnow
from qms.workflow.definition import TransitionDef, WorkflowDefinition
from qms.workflow.fields import InputError, clean_input
from qms.workflow.registry import definition_for
from qms.workflow.requirements import RequirementStatus, requirement_statuses


class WorkItem(Protocol):
    id: int
    state: str
    version: int
    workflow_version: object


class TransitionRefused(Exception):
    """The transition may not fire; `problems` say why, each in words a person can act on.

    `action` and `problems` are lazy texts: they are rendered in the language of whoever
    reads them (the web page, the command line, the API), not where they were raised.
    """

    def __init__(self, action, problems: list):
        self.action = action
        self.problems = problems
        super().__init__(action, problems)

    def __str__(self) -> str:
        return str(
            _l(
                "cannot %(action)s: %(problems)s",
                action=self.action,
                problems="; ".join(str(p) for p in self.problems),
            )
        )


class ConcurrentChange(Exception):
    """Someone else changed the item between reading and writing it (HTTP 409)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


_machines: dict[tuple[str, int, str], Machine] = {}
_machines_lock = Lock()


def machine_for(definition: WorkflowDefinition) -> Machine:
    key = (definition.name, definition.version, definition.sha256)
    machine = _machines.get(key)
    if machine is None:
        with _machines_lock:
            machine = _machines.get(key) or _build_machine(definition)
            _machines[key] = machine
    return machine


def _build_machine(definition: WorkflowDefinition) -> Machine:
    machine = Machine(
        model=None,
        states=list(definition.states),
        initial=definition.initial,
        auto_transitions=False,
        send_event=True,
    )
    for t in definition.transitions:
        machine.add_transition(
            t.trigger, list(t.sources), t.dest, conditions=[_guard_for(definition, t)]
        )
    return machine


def _guard_for(definition: WorkflowDefinition, transition: TransitionDef):
    def requirements_met(event) -> bool:
        # `fire` passes the statuses it has just checked in this transaction; anyone
        # triggering the machine otherwise gets them evaluated here.
        statuses = event.kwargs.get("statuses")
        if statuses is None:
            statuses = requirement_statuses(event.model, definition, transition)
        return all(s.satisfied for s in statuses)

    return requirements_met


def refusals(
    item: WorkItem,
    definition: WorkflowDefinition,
    trigger: str,
    actor: User,
    reason: str | None = None,
    noun: str = "order",
    values: dict | None = None,
    statuses: list[RequirementStatus] | None = None,
    input_problems: list[str] | None = None,
) -> list[str]:
    """Everything that stands between `actor` and firing `trigger` now; empty if nothing.

    `statuses` and `input_problems`, when the caller has them already, save a second
    evaluation of the guard and of the inputs.
    """
    transition = definition.transition(trigger)
    state = definition.states[item.state]
    state_title = lazy_text(state.title)
    if transition is None:
        possible = ", ".join(t.trigger for t in definition.transitions_from(item.state)) or "—"
        return [
            _l(
                "there is no action '%(trigger)s' (possible from '%(state)s': %(possible)s)",
                trigger=trigger,
                state=state_title,
                possible=possible,
            )
        ]
    if item.state not in transition.sources:
        what = lazy_text(definition.title)
        if state.final:
            return [
                _l(
                    "the %(what)s is at '%(state)s'; nothing can move it on",
                    what=what,
                    state=state_title,
                )
            ]
        titles = [lazy_text(definition.states[s].title) for s in transition.sources]
        sources = LazyString(lambda: ", ".join(str(_l("'%(name)s'", name=t)) for t in titles))
        return [
            _l(
                "the %(what)s is at '%(state)s'; this is possible only from %(sources)s",
                what=what,
                state=state_title,
                sources=sources,
            )
        ]
    problems = []
    if actor.role not in transition.roles:
        problems.append(
            _l(
                "only a %(roles)s may do this (you are: %(role)s)",
                roles=role_titles(transition.roles),
                role=LazyString(role_title, actor.role),
            )
        )
    if transition.reason_required and not (reason and reason.strip()):
        problems.append(_l("a reason is required"))
    if statuses is None:
        statuses = requirement_statuses(item, definition, transition)
    problems.extend(s.problem for s in statuses if s.problem)
    if transition.inputs:
        if input_problems is None:
            input_problems = clean_inputs(definition, transition, values or {})[1]
        problems.extend(input_problems)
    if transition.requires_acknowledgement:
        problems.extend(
            acknowledgements.unread_problems(
                actor, governing.state_documents(definition, item.state)
            )
        )
    for other in transition.not_by:
        if _last_actor(item, noun, other) == actor.id:
            problems.append(
                _l(
                    "you did '%(step)s' on it yourself; someone else must do this",
                    step=lazy_text(definition.transition(other).title),
                )
            )
    return problems


def clean_inputs(
    definition: WorkflowDefinition, transition: TransitionDef, values: dict
) -> tuple[dict, list[str]]:
    """The transition's inputs, checked: (clean values, problems)."""
    from qms.auth.models import User
    from qms.workflow.registry import registry

    usernames = set(db.session.scalars(select(User.username).where(User.is_active)))
    kinds = set(registry().latest("customer-order").records)
    clean, problems = {}, []
    for name in transition.inputs:
        try:
            clean[name] = clean_input(
                definition.fields[name], values.get(name), usernames=usernames, kinds=kinds
            )
        except InputError as exc:
            problems.append(str(exc))
    return clean, problems


def _last_actor(item: WorkItem, entity_type: str, trigger: str) -> int | None:
    return db.session.scalar(
        select(AuditEvent.actor_id)
        .where(
            AuditEvent.entity_type == entity_type,
            AuditEvent.entity_id == item.id,
            AuditEvent.action == f"{entity_type}.{trigger}",
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )


def fire(
    item: WorkItem,
    trigger: str,
    actor: User,
    *,
    entity_type: str,
    order_id: int | None,
    reason: str | None = None,
    expected_version: int | None = None,
    values: dict | None = None,
) -> RecordedEvent:
    """Fire `trigger` on `item` as `actor` and write the audit event; the caller commits.

    `values` answers the transition's inputs (work items); they are stored on the
    item's `data` and recorded in the event.

    Raises TransitionRefused (nothing changed) or ConcurrentChange (someone else moved
    the item first; the session has been rolled back).
    """
    # Our reads below go to the connection, past autoflush: flush what the caller added
    # (a record approved in this transaction counts for the guard).
    db.session.flush()
    definition = definition_for(item)
    transition = definition.transition(trigger)
    action = action_title(transition) if transition else trigger
    if expected_version is not None and expected_version != item.version:
        raise _concurrent(item, entity_type)
    statuses = requirement_statuses(item, definition, transition) if transition else []
    inputs, input_problems = (
        clean_inputs(definition, transition, values or {})
        if transition and transition.inputs
        else ({}, [])
    )
    if problems := refusals(
        item,
        definition,
        trigger,
        actor,
        reason,
        noun=entity_type,
        values=values,
        statuses=statuses,
        input_problems=input_problems,
    ):
        raise TransitionRefused(action, problems)

    from_state = item.state
    # The machine moves a stand-in, so the ORM instance stays clean until _write_move.
    moving = SimpleNamespace(id=item.id, state=from_state)
    try:
        fired = machine_for(definition).events[trigger].trigger(moving, statuses=statuses)
    except MachineError as exc:  # the definition and our checks disagree: refuse, say why
        raise TransitionRefused(action, [str(exc.value)]) from None
    if not fired:
        raise TransitionRefused(action, [_l("its required records are not all approved")])
    moved = {"state": moving.state, "state_changed_at": utcnow(), "version": item.version + 1}
    if inputs:
        moved["data"] = {**(item.data or {}), **inputs}
    if not _write_move(item, moved):
        db.session.rollback()
        raise _concurrent(item, entity_type) from None
    event = record_event(
        actor=actor,
        action=f"{entity_type}.{trigger}",
        entity_type=entity_type,
        entity_id=item.id,
        order_id=order_id,
        from_state=from_state,
        to_state=item.state,
        changes=inputs,
        reason=reason.strip() if reason else None,
    )
    # The revisions of the documents governing the work just done, as they stood now.
    governing.capture(event, governing.state_documents(definition, from_state))
    return event


def action_title(transition: TransitionDef) -> LazyString:
    """ "accept the enquiry": the transition's title, lower-cased, in the reader's language."""

    def render() -> str:
        title = str(lazy_text(transition.title))
        return title[:1].lower() + title[1:]

    return LazyString(render)


def _write_move(item: WorkItem, moved: dict) -> bool:
    """Write the new state with one UPDATE checked against the version we read.

    The ORM's unit of work would do the same (version_id_col) at several times the cost, on
    the hottest path there is: a plain move goes to the driver (qms.database.driver); one
    that also stores a work item's inputs (JSON) goes through Core, which adapts them per
    database. Returns False if someone else moved the item first.
    """
    connection = db.session.connection()
    table = type(item).__table__
    if "data" in moved:
        written = connection.execute(
            _move_statement(table, tuple(moved)),
            {**moved, "item_id": item.id, "read_version": item.version},
        ).rowcount
    else:
        dialect = connection.dialect
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            parameters = (
                moved["state"],
                stored_time(dialect, moved["state_changed_at"]),
                moved["version"],
                item.id,
                item.version,
            )
            written = run(cursor, dialect, _move_sql(table.name, dialect), parameters).rowcount
        finally:
            cursor.close()
    if written != 1:
        return False
    for key, value in moved.items():  # the row and the instance agree: nothing to flush
        set_committed_value(item, key, value)
    return True


@cache
def _move_sql(table_name: str, dialect) -> str:
    mark = placeholder(dialect)
    return (
        f"UPDATE {table_name} SET state = {mark}, state_changed_at = {mark}, version = {mark} "
        f"WHERE id = {mark} AND version = {mark}"
    )


@cache
def _move_statement(table, columns: tuple[str, ...]):
    return (
        update(table)
        .where(table.c.id == bindparam("item_id"), table.c.version == bindparam("read_version"))
        .values({name: bindparam(name) for name in columns})
    )


def _concurrent(item: WorkItem, entity_type: str) -> ConcurrentChange:
    last = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == item.id)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    if last is None:
        return ConcurrentChange(_l("this was changed while you were working; reload and try again"))
    return ConcurrentChange(
        _l(
            "this was changed by %(who)s at %(when)s while you were working; reload and try again",
            who=last.actor_name,
            when=LazyString(format_datetime, last.occurred_at, "medium"),
        )
    )
