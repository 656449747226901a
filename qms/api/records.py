"""/api/v1 records: an order's records, one record with its content hash and signatures,
writing and editing drafts. Signing stays interactive (password and meaning, on the web):
the API never signs."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from qms.api.blueprint import blp, permission, register_refusals
from qms.api.orders import order_or_404
from qms.api.schemas import StrictSchema, UserRefSchema
from qms.extensions import db
from qms.i18n import current_language
from qms.records.models import Record, RecordContribution, Signature
from qms.records.services import RecordChanged, RecordError, create_record, update_draft
from qms.workflow.engine import ConcurrentChange
from qms.workflow.registry import definition_of

register_refusals(RecordChanged, 409, "record-changed")
register_refusals(RecordError, 422, "record-refused")


class SignatureSchema(ma.Schema):
    signer = ma.fields.Nested(UserRefSchema, required=True)
    meaning = ma.fields.String(required=True)
    signed_at = ma.fields.DateTime(required=True)
    content_sha256 = ma.fields.String(
        required=True, metadata={"description": "The content hash the signer approved"}
    )


class AttachmentSchema(ma.Schema):
    filename = ma.fields.String(required=True)
    sha256 = ma.fields.String(required=True, attribute="blob_sha256")
    uploaded_at = ma.fields.DateTime(required=True)


class RecordSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    order = ma.fields.String(required=True, metadata={"description": "The order's number"})
    kind = ma.fields.String(required=True)
    kind_title = ma.fields.String(required=True)
    lineage = ma.fields.String(required=True)
    revision = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["draft", "approved"]})
    author = ma.fields.Nested(UserRefSchema, required=True)
    created_at = ma.fields.DateTime(required=True)
    approved_at = ma.fields.DateTime(allow_none=True)
    revision_reason = ma.fields.String(allow_none=True)
    content_sha256 = ma.fields.String(
        required=True,
        metadata={"description": "SHA-256 of the content a signer sees (kind, title, text…)"},
    )
    version = ma.fields.Integer(required=True)
    signatures = ma.fields.List(ma.fields.Nested(SignatureSchema), required=True)
    attachments = ma.fields.List(ma.fields.Nested(AttachmentSchema), required=True)


class RecordDetailSchema(RecordSchema):
    contributors = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "Who shaped this revision (and so may not sign it)"},
    )


class RecordCreateSchema(StrictSchema):
    kind = ma.fields.String(required=True)
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=300))
    body = ma.fields.String(load_default="")
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(allow_none=True))


class RecordEditSchema(StrictSchema):
    title = ma.fields.String(validate=ma.validate.Length(min=1, max=300))
    body = ma.fields.String()
    fields = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(allow_none=True))
    version = ma.fields.Integer(
        metadata={"description": "The version you read; refused (409) if it changed since"}
    )


def record_json(record: Record, order_number: str, definition) -> dict:
    kind = definition.records.get(record.kind)
    return {
        "id": record.id,
        "order": order_number,
        "kind": record.kind,
        "kind_title": kind.title.get(current_language()) if kind else record.kind,
        "lineage": record.lineage,
        "revision": record.revision,
        "title": record.title,
        "body": record.body,
        "fields": record.fields or {},
        "status": record.status,
        "author": record.author,
        "created_at": record.created_at,
        "approved_at": record.approved_at,
        "revision_reason": record.revision_reason,
        "content_sha256": record.content_hash(),
        "version": record.version,
        "signatures": record.signatures,
        "attachments": record.attachments,
    }


def _loaded():
    return (
        joinedload(Record.author),
        selectinload(Record.signatures).joinedload(Signature.signer),
        selectinload(Record.attachments),
    )


def record_or_404(record_id: int) -> Record:
    record = db.session.scalars(
        select(Record)
        .where(Record.id == record_id)
        .options(
            *_loaded(),
            selectinload(Record.contributions).joinedload(RecordContribution.user),
        )
    ).first()
    if record is None:
        abort(404)
    return record


def _detail(record: Record) -> dict:
    from qms.orders.models import Order

    order = db.session.get(Order, record.order_id)
    return record_json(record, order.number, definition_of(order.workflow_version)) | {
        "contributors": sorted({c.user.username for c in record.contributions})
    }


@blp.route("/orders/<number>/records", tags=["records"])
@blp.response(200, RecordSchema(many=True))
@permission("view")
def list_records(number):
    """Every revision of every record of the order, by kind and lineage, oldest first."""
    order = order_or_404(number)
    definition = definition_of(order.workflow_version)
    records = db.session.scalars(
        select(Record)
        .where(Record.order_id == order.id)
        .options(*_loaded())
        .order_by(Record.kind, Record.lineage, Record.revision)
    ).all()
    return [record_json(r, order.number, definition) for r in records]


@blp.route("/orders/<number>/records", methods=["POST"], tags=["records"])
@blp.arguments(RecordCreateSchema)
@blp.response(201, RecordDetailSchema)
@permission("write_record")
def write_record(body, number):
    """A new draft record (revision 1) of a kind the order's workflow knows."""
    order = order_or_404(number)
    record = create_record(
        order,
        body["kind"],
        author=current_user,
        title=body["title"],
        body=body["body"],
        fields=body.get("fields"),
    )
    db.session.commit()
    return _detail(record_or_404(record.id)), 201, {"Location": f"/api/v1/records/{record.id}"}


@blp.route("/records/<int:record_id>", tags=["records"])
@blp.response(200, RecordDetailSchema)
@permission("view")
def get_record(record_id):
    """One revision: its content hash, signatures (each with the hash it signed), files and
    contributors."""
    return _detail(record_or_404(record_id))


@blp.route("/records/<int:record_id>", methods=["PATCH"], tags=["records"])
@blp.arguments(RecordEditSchema)
@blp.response(200, RecordDetailSchema)
@permission("write_record")
def edit_record(body, record_id):
    """Edit a draft (its author, a manager or an administrator); approved records are
    revised on the web, with a reason, never edited."""
    record = record_or_404(record_id)
    if "version" in body and body["version"] != record.version:
        raise ConcurrentChange("the record was changed meanwhile; read it again")
    update_draft(
        record,
        editor=current_user,
        title=body.get("title"),
        body=body.get("body"),
        fields=body.get("fields"),
    )
    db.session.commit()
    return _detail(record_or_404(record.id))
