"""/api/v1/customers: the customer cards (business data only) with their contacts."""

from __future__ import annotations

import marshmallow as ma
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qms.api.blueprint import blp, permission, register_refusals
from qms.api.schemas import PageArgs, StrictSchema, page_of, paged, per_page
from qms.customers.models import Customer
from qms.customers.services import CARD_FIELDS, CustomerError, create_customer, update_customer
from qms.database.search import contains_ignoring_case
from qms.extensions import db
from qms.workflow.engine import ConcurrentChange

register_refusals(CustomerError, 422, "customer-refused")

SIZES = ["small", "medium", "large"]


class ContactSchema(ma.Schema):
    name = ma.fields.String(required=True)
    position = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    email = ma.fields.String(allow_none=True)
    role_in_decision = ma.fields.String(allow_none=True)
    influence = ma.fields.String(required=True)
    is_decision_maker = ma.fields.Boolean(required=True)


def _card_fields(required_name: bool) -> dict[str, ma.fields.Field]:
    fields = {
        name: ma.fields.String(allow_none=True, validate=ma.validate.Length(max=2000))
        for name in CARD_FIELDS
    }
    fields["name"] = ma.fields.String(
        required=required_name, validate=ma.validate.Length(min=1, max=200)
    )
    fields["size"] = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(SIZES))
    return fields


CustomerSchema = ma.Schema.from_dict(
    {
        "id": ma.fields.Integer(required=True),
        **_card_fields(True),
        "created_at": ma.fields.DateTime(required=True),
        "version": ma.fields.Integer(required=True),
        "contacts": ma.fields.List(ma.fields.Nested(ContactSchema), required=True),
    },
    name="Customer",
)
CustomerCreateSchema = StrictSchema.from_dict(_card_fields(True), name="CustomerCreate")
CustomerEditSchema = StrictSchema.from_dict(
    {**_card_fields(False), "version": ma.fields.Integer()}, name="CustomerEdit"
)
CustomerPageSchema = page_of(CustomerSchema, "CustomerPage")


class CustomerListArgs(PageArgs):
    q = ma.fields.String(validate=ma.validate.Length(max=100), metadata={"description": "Name"})


def customer_or_404(customer_id: int) -> Customer:
    customer = db.session.scalars(
        select(Customer).where(Customer.id == customer_id).options(selectinload(Customer.contacts))
    ).first()
    if customer is None:
        abort(404)
    return customer


@blp.route("/customers", tags=["customers"])
@blp.arguments(CustomerListArgs, location="query")
@blp.response(200, CustomerPageSchema)
@permission("view")
def list_customers(args):
    """The customer cards by name."""
    query = select(Customer).options(selectinload(Customer.contacts)).order_by(Customer.name)
    if q := (args.get("q") or "").strip():
        query = query.where(contains_ignoring_case(Customer.name, q))
    return paged(db.paginate(query, page=args["page"], per_page=per_page(args), error_out=False))


@blp.route("/customers", methods=["POST"], tags=["customers"])
@blp.arguments(CustomerCreateSchema)
@blp.response(201, CustomerSchema)
@permission("edit_customer")
def new_customer(body):
    """A new customer card."""
    customer = create_customer(current_user, body)
    db.session.commit()
    return customer_or_404(customer.id), 201, {"Location": f"/api/v1/customers/{customer.id}"}


@blp.route("/customers/<int:customer_id>", tags=["customers"])
@blp.response(200, CustomerSchema)
@permission("view")
def get_customer(customer_id):
    """One customer card with its contacts and decision makers."""
    return customer_or_404(customer_id)


@blp.route("/customers/<int:customer_id>", methods=["PATCH"], tags=["customers"])
@blp.arguments(CustomerEditSchema)
@blp.response(200, CustomerSchema)
@permission("edit_customer")
def edit_customer(body, customer_id):
    """Change the fields sent; the others stay as they are."""
    customer = customer_or_404(customer_id)
    version = body.pop("version", None)
    if version is not None and version != customer.version:
        raise ConcurrentChange("the customer card was changed meanwhile; read it again")
    values = {name: getattr(customer, name) for name in CARD_FIELDS} | body
    update_customer(customer, current_user, values)
    db.session.commit()
    return customer
