"""/api/v1 standards and process map: the quality system as data (read only)."""

from __future__ import annotations

import marshmallow as ma

from qms.api.blueprint import blp, permission
from qms.api.schemas import TitleSchema
from qms.workflow.registry import catalogue, registry

ORDER_WORKFLOW = "customer-order"


class Clause2015Schema(ma.Schema):
    number = ma.fields.String(required=True)
    title = ma.fields.Nested(TitleSchema, required=True)


class Clause2000Schema(ma.Schema):
    number = ma.fields.String(required=True)
    title = ma.fields.Nested(TitleSchema, required=True)
    heading = ma.fields.String(required=True)
    maps_to = ma.fields.List(ma.fields.String(), required=True)


class DocumentSchema(ma.Schema):
    register = ma.fields.String(required=True)
    code = ma.fields.String(allow_none=True)
    label = ma.fields.String(required=True)
    title = ma.fields.Nested(TitleSchema, required=True)
    parent = ma.fields.String(allow_none=True)


class StandardsSchema(ma.Schema):
    iso_9001_2015 = ma.fields.List(ma.fields.Nested(Clause2015Schema), required=True)
    iso_9001_2000 = ma.fields.List(ma.fields.Nested(Clause2000Schema), required=True)
    documents = ma.fields.List(ma.fields.Nested(DocumentSchema), required=True)


class StepSchema(ma.Schema):
    number = ma.fields.String(required=True)
    title = ma.fields.Nested(TitleSchema, required=True)
    documents = ma.fields.List(ma.fields.String(), required=True)
    iso_9001_2000 = ma.fields.List(ma.fields.String(), required=True)
    iso_9001_2015 = ma.fields.List(ma.fields.String(), required=True)
    order_states = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "States of the customer-order workflow that carry it out"},
    )


class StepGroupSchema(ma.Schema):
    number = ma.fields.String(required=True)
    title = ma.fields.Nested(TitleSchema, required=True)
    steps = ma.fields.List(ma.fields.Nested(StepSchema), required=True)


class ProcessMapSchema(ma.Schema):
    groups = ma.fields.List(ma.fields.Nested(StepGroupSchema), required=True)


def _title(text) -> dict:
    return text.as_dict()


@blp.route("/standards", tags=["standards"])
@blp.response(200, StandardsSchema)
@permission("view")
def standards():
    """The ISO 9001:2015 clauses, the ISO 9001:2000 requirements of the process map (with
    their 2015 counterparts) and the register of internal documents (СТП)."""
    cat = catalogue()
    return {
        "iso_9001_2015": [
            {"number": c.number, "title": _title(c.title)} for c in cat.clauses_2015.values()
        ],
        "iso_9001_2000": [
            {
                "number": c.number,
                "title": _title(c.title),
                "heading": c.heading,
                "maps_to": list(c.maps_to),
            }
            for c in cat.clauses_2000.values()
        ],
        "documents": [
            {
                "register": d.register,
                "code": d.code,
                "label": d.label,
                "title": _title(d.title),
                "parent": d.parent,
            }
            for d in cat.documents.values()
        ],
    }


@blp.route("/process-map", tags=["standards"])
@blp.response(200, ProcessMapSchema)
@permission("view")
def process_map():
    """The process map: groups of steps, each with its governing documents, its ISO 9001
    clauses (2000 as cited, 2015 through the crosswalk) and the order states doing it."""
    cat = catalogue()
    definition = registry().latest(ORDER_WORKFLOW)
    groups = []
    for group in cat.groups.values():
        steps = []
        for number in group.steps:
            step = cat.steps[number]
            steps.append(
                {
                    "number": step.number,
                    "title": _title(step.title),
                    "documents": [d.label for d in cat.step_documents(step)],
                    "iso_9001_2000": list(step.clauses),
                    "iso_9001_2015": [c.number for c in cat.step_clauses_2015(step)],
                    "order_states": definition.states_for_step(step.number),
                }
            )
        groups.append({"number": group.number, "title": _title(group.title), "steps": steps})
    return {"groups": groups}
