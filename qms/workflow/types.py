"""The frozen objects a workflow definition is made of."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qms.catalogue import Text
from qms.workflow.fields import FieldDef


class WorkflowError(ValueError):
    """A workflow file is malformed or refers to something unknown; names file and entry."""


@dataclass(frozen=True)
class RecordField:
    """One structured field of a record kind (see qms.workflow.record_fields for the types).

    A `table` field has `columns` (fields of their own, one row each); the others have none.
    """

    name: str
    title: Text
    choices: dict[str, Text] | None
    optional: bool
    type: str = "text"
    columns: tuple[RecordField, ...] = ()
    hint: Text | None = None
    # Required (though optional otherwise) when these other fields hold these values.
    required_when: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RecordKind:
    kind: str
    title: Text
    steps: tuple[str, ...]
    approvers: tuple[str, ...]
    approve_as: str
    fields: tuple[RecordField, ...]


@dataclass(frozen=True)
class StateDef:
    name: str
    title: Text
    steps: tuple[str, ...]
    final: bool


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    title: Text
    sources: tuple[str, ...]
    dest: str
    roles: tuple[str, ...]
    requires: tuple[str, ...]
    reason_required: bool
    inputs: tuple[str, ...] = ()  # work-item fields the actor must fill in
    not_by: tuple[str, ...] = ()  # triggers whose actor may not fire this one
    # The actor must have acknowledged the revisions in force of the governing documents.
    requires_acknowledgement: bool = False


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    version: int
    title: Text
    initial: str
    roles: tuple[str, ...]
    records: dict[str, RecordKind]
    states: dict[str, StateDef]
    transitions: tuple[TransitionDef, ...]
    covers_process_map: bool
    source: str  # where it was read from, for error messages
    document: dict[str, Any]  # the parsed YAML, kept to store with the orders that use it
    sha256: str
    fields: dict[str, FieldDef] = field(default_factory=dict)
    number_prefix: str | None = None  # work items: "CC" gives CC-2026-0001
    documents: tuple[str, ...] = ()  # governing internal documents (register numbers)
    clauses_2015: tuple[str, ...] = ()  # ISO 9001:2015 clauses the workflow satisfies

    def transitions_from(self, state: str) -> list[TransitionDef]:
        return [t for t in self.transitions if state in t.sources]

    def transition(self, trigger: str) -> TransitionDef | None:
        return next((t for t in self.transitions if t.trigger == trigger), None)

    def states_for_step(self, step: str) -> list[str]:
        return [s.name for s in self.states.values() if step in s.steps]
