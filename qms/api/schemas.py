"""Schemas shared by the API's resources: paging, people, titles in the reader's language."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app

from qms.i18n import current_language

MAX_PER_PAGE = 100


class PageArgs(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": "Default: the web's page size (25)"},
    )


def per_page(args: dict) -> int:
    return args.get("per_page") or current_app.config["QMS_PAGE_SIZE"]


class PageSchema(ma.Schema):
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)
    pages = ma.fields.Integer(required=True)


def page_of(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """A page of `item_schema` objects, with the page's place in the whole list."""
    return type(name, (PageSchema,), {"items": ma.fields.List(ma.fields.Nested(item_schema))})


def paged(pagination) -> dict:
    """A Flask-SQLAlchemy page as the page schemas expect it."""
    return {
        "items": pagination.items,
        "page": pagination.page,
        "per_page": pagination.per_page,
        "total": pagination.total,
        "pages": pagination.pages,
    }


class UserRefSchema(ma.Schema):
    username = ma.fields.String(required=True)
    full_name = ma.fields.String(required=True)


class TitleSchema(ma.Schema):
    en = ma.fields.String(required=True)
    ru = ma.fields.String(required=True)


class Titled(ma.fields.String):
    """A catalogue Text (both languages) as the title in the reader's language."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.get(current_language())


class StrictSchema(ma.Schema):
    """Request bodies: an unknown field is an error naming it, not silently dropped."""

    class Meta:
        unknown = ma.RAISE
