"""The workflow export contract: what `qms workflow show NAME --format json` prints."""

from __future__ import annotations

from typing import Any

from qms.catalogue import Catalogue
from qms.catalogue.model import ISO_2015
from qms.workflow.definition import WorkflowDefinition


def clause_entries(catalogue: Catalogue, step_number: str) -> list[dict[str, Any]]:
    """A step's ISO 9001:2000 requirements (with their 2015 mapping), then those 2015 clauses."""
    step = catalogue.steps[step_number]
    entries: list[dict[str, Any]] = [
        {
            "standard": clause.standard,
            "number": clause.number,
            "title": clause.title.as_dict(),
            "maps_to": [{"standard": ISO_2015, "number": n} for n in clause.maps_to],
        }
        for clause in catalogue.step_clauses(step)
    ]
    entries.extend(
        {"standard": clause.standard, "number": clause.number, "title": clause.title.as_dict()}
        for clause in catalogue.step_clauses_2015(step)
    )
    return entries


def export_workflow(definition: WorkflowDefinition, catalogue: Catalogue) -> dict[str, Any]:
    steps_in_use = {step for state in definition.states.values() for step in state.steps}
    steps = []
    for number, step in catalogue.steps.items():
        if number not in steps_in_use:
            continue
        steps.append(
            {
                "number": number,
                "group": step.group,
                "title": step.title.as_dict(),
                "documents": [
                    {"register": d.register, "code": d.code, "title": d.title.as_dict()}
                    for d in catalogue.step_documents(step)
                ],
                "register_only": step.register_only,
                "clauses": clause_entries(catalogue, number),
                "states": definition.states_for_step(number),
            }
        )
    return {
        "name": definition.name,
        "version": definition.version,
        "title": definition.title.as_dict(),
        "initial": definition.initial,
        "states": [
            {"name": s.name, "title": s.title.as_dict(), "steps": list(s.steps), "final": s.final}
            for s in definition.states.values()
        ],
        "transitions": [
            {
                "trigger": t.trigger,
                "title": t.title.as_dict(),
                "source": list(t.sources),
                "dest": t.dest,
                "roles": list(t.roles),
                "requires": list(t.requires),
                "reason_required": t.reason_required,
            }
            for t in definition.transitions
        ],
        "records": [
            {
                "kind": r.kind,
                "title": r.title.as_dict(),
                "steps": list(r.steps),
                "approvers": list(r.approvers),
                "approve_as": r.approve_as,
            }
            for r in definition.records.values()
        ],
        "steps": steps,
    }


def workflow_text(definition: WorkflowDefinition, catalogue: Catalogue) -> str:
    data = export_workflow(definition, catalogue)
    lines = [
        f"{definition.name} v{definition.version}: {definition.title.en} / {definition.title.ru}",
        "",
        "States:",
    ]
    for state in data["states"]:
        steps = ", ".join(state["steps"]) or "-"
        final = " (final)" if state["final"] else ""
        lines.append(f"  {state['name']}{final}: {state['title']['en']} · steps {steps}")
    lines += ["", "Transitions:"]
    for t in data["transitions"]:
        needs = ", ".join(t["requires"]) or "nothing"
        reason = "; reason required" if t["reason_required"] else ""
        lines.append(
            f"  {t['trigger']}: {' | '.join(t['source'])} -> {t['dest']} "
            f"[{', '.join(t['roles'])}] needs {needs}{reason}"
        )
    lines += ["", "Process-map steps:"]
    for step in data["steps"]:
        lines.append(f"  {step['number']} {step['title']['en']} / {step['title']['ru']}")
        docs = "; ".join(
            f"{d['register']} {d['code'] or ''}".strip() for d in step["documents"]
        ) or ("the СТП register (no document named)" if step["register_only"] else "-")
        lines.append(f"      documents: {docs}")
        old = [c for c in step["clauses"] if "maps_to" in c]
        lines.append(
            "      ISO 9001:2000: "
            + (
                ", ".join(
                    f"{c['number']} -> {'/'.join(m['number'] for m in c['maps_to'])}" for c in old
                )
                or "-"
            )
        )
        lines.append(f"      carried out in: {', '.join(step['states'])}")
    return "\n".join(lines)
