"""Workflow definitions: YAML files read into frozen objects and checked against the catalogue."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from qms.auth.roles import ROLES, SIGNATURE_MEANINGS
from qms.catalogue import Catalogue, Text
from qms.catalogue.loader import safe_load, yaml_problem
from qms.workflow.fields import FIELD_TYPES, FieldDef
from qms.workflow.record_fields import check_required_when, parse_record_field
from qms.workflow.types import (
    RecordField,
    RecordKind,
    StateDef,
    TransitionDef,
    WorkflowDefinition,
    WorkflowError,
)

# The objects are defined in qms.workflow.types; importing them from here keeps working.
__all__ = [
    "RecordField",
    "RecordKind",
    "StateDef",
    "TransitionDef",
    "WorkflowDefinition",
    "WorkflowError",
    "load_definition_file",
    "parse_definition",
]


_TOP_KEYS = {
    "name",
    "version",
    "title",
    "initial",
    "roles",
    "records",
    "states",
    "transitions",
    "covers_process_map",
    "fields",
    "number_prefix",
    "governance",
}
_RECORD_KEYS = {"title", "steps", "approvers", "approve_as", "fields"}
_STATE_KEYS = {"title", "steps", "final"}
_TRANSITION_KEYS = {
    "trigger",
    "title",
    "source",
    "dest",
    "roles",
    "requires",
    "reason_required",
    "inputs",
    "not_by",
    "requires_acknowledgement",
}


def canonical_sha256(document: dict[str, Any]) -> str:
    text = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def load_definition_file(path: Path, catalogue: Catalogue) -> WorkflowDefinition:
    try:
        document = safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise WorkflowError(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
    return parse_definition(document, str(path), catalogue)


def parse_definition(document: Any, source: str, catalogue: Catalogue) -> WorkflowDefinition:
    """Check a parsed workflow document and build its definition.

    Raises WorkflowError naming `source` and the entry at fault.
    """
    parser = _Parser(source, catalogue)
    return parser.parse(document)


class _Parser:
    def __init__(self, source: str, catalogue: Catalogue):
        self.source = source
        self.catalogue = catalogue

    def fail(self, entry: str, message: str) -> WorkflowError:
        return WorkflowError(f"{self.source}: {entry}: {message}")

    def mapping(self, value: Any, entry: str, allowed: set[str] | None = None) -> dict:
        if not isinstance(value, dict):
            raise self.fail(entry, "expected a mapping")
        if allowed is not None and (unknown := set(value) - allowed):
            raise self.fail(entry, f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
        return value

    def names(self, value: Any, entry: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(entry, "expected a name or a list of names")
        return tuple(value)

    def text(self, value: Any, entry: str) -> Text:
        value = self.mapping(value, entry)
        if not isinstance(value.get("en"), str) or not isinstance(value.get("ru"), str):
            raise self.fail(entry, "title needs 'en' and 'ru'")
        return Text(en=value["en"], ru=value["ru"])

    def steps(self, value: Any, entry: str) -> tuple[str, ...]:
        steps = tuple(str(s) for s in (value or []))
        for step in steps:
            if step not in self.catalogue.steps:
                raise self.fail(entry, f"unknown process-map step '{step}'")
        return steps

    def parse(self, document: Any) -> WorkflowDefinition:
        # "x-..." keys hold YAML anchors that entries refer to (shared field shapes).
        shared = (
            {k for k in document if str(k).startswith("x-")}
            if isinstance(document, dict)
            else set()
        )
        doc = self.mapping(document, "top level", _TOP_KEYS | shared)
        for key in ("name", "version", "initial", "states", "transitions"):
            if key not in doc:
                raise self.fail("top level", f"missing '{key}'")
        if not isinstance(doc["version"], int) or doc["version"] < 1:
            raise self.fail("version", "must be a positive whole number")
        roles = self.names(doc.get("roles", list(ROLES)), "roles")
        for role in roles:
            if role not in ROLES:
                raise self.fail("roles", f"unknown role '{role}' (known: {', '.join(ROLES)})")

        records = {}
        for kind, spec in self.mapping(doc.get("records") or {}, "records").items():
            records[kind] = self.record_kind(kind, spec, roles)

        states = {}
        for name, spec in self.mapping(doc["states"], "states").items():
            entry = f"state '{name}'"
            spec = self.mapping(spec, entry, _STATE_KEYS)
            states[name] = StateDef(
                name=name,
                title=self.text(spec.get("title"), entry),
                steps=self.steps(spec.get("steps"), entry),
                final=bool(spec.get("final", False)),
            )
        if doc["initial"] not in states:
            raise self.fail("initial", f"unknown state '{doc['initial']}'")

        fields = self.fields(doc.get("fields"))
        transitions = []
        if not isinstance(doc["transitions"], list):
            raise self.fail("transitions", "expected a list")
        for i, spec in enumerate(doc["transitions"]):
            transitions.append(self.transition(i, spec, states, roles, records, fields))
        triggers = [t.trigger for t in transitions]
        if len(set(triggers)) != len(triggers):
            twice = sorted({t for t in triggers if triggers.count(t) > 1})
            raise self.fail("transitions", f"trigger(s) listed twice: {', '.join(twice)}")

        for t in transitions:
            for other in t.not_by:
                if other not in triggers:
                    raise self.fail(
                        f"transition '{t.trigger}'", f"not_by: unknown trigger '{other}'"
                    )
        documents, clauses_2015 = self.governance(doc.get("governance") or {})

        covers = bool(doc.get("covers_process_map", False))
        if covers:
            carried = {step for state in states.values() for step in state.steps}
            if missing := [s for s in self.catalogue.steps if s not in carried]:
                raise self.fail("states", f"no state carries out step(s) {', '.join(missing)}")
        return WorkflowDefinition(
            name=str(doc["name"]),
            version=doc["version"],
            title=self.text(doc.get("title", {"en": doc["name"], "ru": doc["name"]}), "title"),
            initial=doc["initial"],
            roles=roles,
            records=records,
            states=states,
            transitions=tuple(transitions),
            covers_process_map=covers,
            source=self.source,
            document=doc,
            sha256=canonical_sha256(doc),
            fields=fields,
            number_prefix=doc.get("number_prefix"),
            documents=documents,
            clauses_2015=clauses_2015,
        )

    def fields(self, spec: Any) -> dict[str, FieldDef]:
        fields = {}
        for name, field_spec in self.mapping(spec or {}, "fields").items():
            entry = f"field '{name}'"
            field_spec = self.mapping(field_spec, entry, {"title", "type", "choices"})
            kind = field_spec.get("type", "text")
            if kind not in FIELD_TYPES:
                raise self.fail(entry, f"type must be one of {', '.join(FIELD_TYPES)}")
            choices = None
            if kind == "choice":
                choices = {
                    str(k): self.text(v, f"{entry} choice '{k}'")
                    for k, v in self.mapping(field_spec.get("choices"), entry).items()
                }
            fields[name] = FieldDef(name, self.text(field_spec.get("title"), entry), kind, choices)
        return fields

    def governance(self, spec: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
        spec = self.mapping(spec, "governance", {"documents", "clauses_2015"})
        documents = tuple(str(d) for d in spec.get("documents") or [])
        for register in documents:
            if register not in self.catalogue.documents:
                raise self.fail("governance", f"unknown document '{register}'")
        clauses = tuple(str(c) for c in spec.get("clauses_2015") or [])
        for clause in clauses:
            if clause not in self.catalogue.clauses_2015:
                raise self.fail("governance", f"unknown ISO 9001:2015 clause '{clause}'")
        return documents, clauses

    def record_kind(self, kind: str, spec: Any, roles: tuple[str, ...]) -> RecordKind:
        entry = f"record kind '{kind}'"
        spec = self.mapping(spec, entry, _RECORD_KEYS)
        approvers = self.names(spec.get("approvers", ["manager"]), entry)
        for role in approvers:
            if role not in roles:
                raise self.fail(entry, f"unknown role '{role}'")
        approve_as = spec.get("approve_as", "approved")
        if approve_as not in SIGNATURE_MEANINGS:
            raise self.fail(entry, f"approve_as must be one of {', '.join(SIGNATURE_MEANINGS)}")
        fields = [
            parse_record_field(
                str(name),
                field_spec,
                f"{entry} field '{name}'",
                mapping=self.mapping,
                text=self.text,
                fail=self.fail,
            )
            for name, field_spec in self.mapping(spec.get("fields") or {}, entry).items()
        ]
        check_required_when(fields, entry, self.fail)
        return RecordKind(
            kind=kind,
            title=self.text(spec.get("title"), entry),
            steps=self.steps(spec.get("steps"), entry),
            approvers=approvers,
            approve_as=approve_as,
            fields=tuple(fields),
        )

    def transition(self, i, spec, states, roles, records, fields) -> TransitionDef:
        spec = self.mapping(spec, f"transition #{i + 1}")
        trigger = spec.get("trigger")
        if not isinstance(trigger, str) or not trigger.isidentifier():
            raise self.fail(f"transition #{i + 1}", "needs a 'trigger' that is a plain name")
        entry = f"transition '{trigger}'"
        self.mapping(spec, entry, _TRANSITION_KEYS)
        sources = self.names(spec.get("source"), entry)
        if not sources:
            raise self.fail(entry, "needs a 'source' state")
        for state in (*sources, spec.get("dest")):
            if state not in states:
                raise self.fail(entry, f"unknown state '{state}'")
        allowed = self.names(spec.get("roles"), entry)
        if not allowed:
            raise self.fail(entry, "needs the 'roles' allowed to fire it")
        for role in allowed:
            if role not in roles:
                raise self.fail(entry, f"unknown role '{role}' (known: {', '.join(roles)})")
        requires = self.names(spec.get("requires"), entry)
        for kind in requires:
            if kind not in records:
                raise self.fail(entry, f"unknown record kind '{kind}'")
        inputs = self.names(spec.get("inputs"), entry)
        for name in inputs:
            if name not in fields:
                raise self.fail(entry, f"unknown input field '{name}'")
        return TransitionDef(
            inputs=inputs,
            not_by=self.names(spec.get("not_by"), entry),
            trigger=trigger,
            title=self.text(spec.get("title", {"en": trigger, "ru": trigger}), entry),
            sources=sources,
            dest=spec["dest"],
            roles=allowed,
            requires=requires,
            reason_required=bool(spec.get("reason_required", False)),
            requires_acknowledgement=bool(spec.get("requires_acknowledgement", False)),
        )
