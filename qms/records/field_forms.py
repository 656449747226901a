"""The record form of a kind, built from the fields its workflow declares.

Every page works without JavaScript: a table field offers a few empty rows, and the
"add rows" button posts the form back to show more (saving nothing). Values are checked
by the same rules as the services (qms.workflow.record_fields), and each problem is shown
next to the field, or the cell, it concerns.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from qms.web.choices import options
from qms.workflow.definition import RecordKind
from qms.workflow.record_fields import ANSWERS, CURRENCIES, FieldProblem, clean_value
from qms.workflow.types import RecordField

EMPTY_ROWS = 2  # offered below a table's rows
MORE_ROWS = 3  # added by the "add rows" button


class RecordForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    body = TextAreaField(_l("Text"), validators=[Optional(), Length(max=100_000)])


def _scalar(field: RecordField, lang: str, label: str | None = None):
    label = field.title.get(lang) if label is None else label
    if field.type == "choice":
        choices = {"": "—"} | {k: t.get(lang) for k, t in (field.choices or {}).items()}
        return SelectField(label, choices=options(choices), validators=[Optional()])
    if field.type == "date":
        return DateField(label, validators=[Optional()])
    if field.type == "multiline":
        return TextAreaField(label, validators=[Optional()])
    return StringField(label, validators=[Optional()])


def _money_form(lang: str) -> type[Form]:
    class MoneyForm(Form):
        amount = StringField(_l("Amount"), validators=[Optional(), Length(max=32)])
        currency = SelectField(
            _l("Currency"), choices=options({c: c for c in CURRENCIES}), default="RUB"
        )

    return MoneyForm


def _answer_form(lang: str) -> type[Form]:
    class AnswerForm(Form):
        answer = RadioField(
            _l("Answer"),
            choices=options({k: t.get(lang) for k, t in ANSWERS.items()}),
            validators=[Optional()],
        )
        comment = StringField(_l("Comment"), validators=[Optional(), Length(max=2000)])

    return AnswerForm


def _row_form(field: RecordField, lang: str) -> type[Form]:
    class RowForm(Form):
        pass

    for column in field.columns:
        setattr(RowForm, column.name, _scalar(column, lang))
    return RowForm


def _form_field(field: RecordField, lang: str):
    label = field.title.get(lang)
    if field.type == "money":
        return FormField(_money_form(lang), label)
    if field.type == "answer":
        return FormField(_answer_form(lang), label)
    if field.type == "table":
        return FieldList(FormField(_row_form(field, lang)), label)
    return _scalar(field, lang)


def record_form_for(
    kind: RecordKind, lang: str, *, fields: dict | None = None, free_text: bool = False, **kwargs
):
    """A RecordForm with the kind's own fields, filled from stored `fields` if given.

    Its required fields must be filled in, unless the record is `free_text` (written with
    no fields, as older orders' records are) and stays so: then, as in the services, they
    are required once any field is filled in.
    """

    class KindForm(RecordForm):
        def validate(self, extra_validators=None):
            valid = super().validate(extra_validators)
            return self.check_fields(kind) and valid

        def check_fields(self, kind: RecordKind) -> bool:
            """The services' rules, every required field asked for, each problem placed."""
            ok = True
            raw = kind_fields(self, kind)
            values = {}
            for field in kind.fields:
                try:
                    values[field.name] = clean_value(field, raw.get(field.name))
                except FieldProblem as problem:
                    place_problem(self, problem.path, problem.message)
                    ok = False
            if free_text and ok and not any(v is not None for v in values.values()):
                return True
            for field in kind.fields:
                if field.name in values and values[field.name] is None and not field.optional:
                    required = _l("This field is required.")
                    place_problem(self, (field.name,), required)
                    ok = False
            return ok

    for field in kind.fields:
        setattr(KindForm, f"field_{field.name}", _form_field(field, lang))
    data = {f"field_{k}": v for k, v in form_values(kind, fields or {}).items()}
    form = KindForm(**data, **kwargs)
    for field in kind.fields:
        if field.type == "table":
            entries = getattr(form, f"field_{field.name}")
            while len(entries) < len((fields or {}).get(field.name) or []) + EMPTY_ROWS:
                entries.append_entry()
    return form


def add_rows(form: RecordForm, name: str) -> bool:
    """More empty rows for table field `name` (the no-JavaScript "add rows" button)."""
    entries = getattr(form, f"field_{name}", None)
    if not isinstance(entries, FieldList):
        return False
    for _ in range(MORE_ROWS):
        entries.append_entry()
    return True


def place_problem(form: RecordForm, path: tuple, message) -> None:
    """Put `message` next to the form field that `path` names (a field, row and column)."""
    target: Any = getattr(form, f"field_{path[0]}", None) or form.title
    for step in path[1:]:
        if isinstance(target, FieldList) and isinstance(step, int) and step < len(target):
            target = target.entries[step]
        elif isinstance(target, FormField) and isinstance(step, str):
            target = target.form[step]
    if isinstance(target, FormField):  # an answer or an amount: next to its first part
        target = next(iter(target.form))
    if isinstance(target, FieldList):
        target.problems = [*getattr(target, "problems", []), message]
    else:
        target.errors = [*target.errors, message]
    form._errors = None  # recomputed with the problem in it


def kind_fields(form: RecordForm, kind: RecordKind) -> dict[str, Any]:
    """The raw values the form holds, in the shape the services take."""
    return {f.name: _raw(f, getattr(form, f"field_{f.name}").data) for f in kind.fields}


def _raw(field: RecordField, data: Any) -> Any:
    if isinstance(data, date):
        return data.isoformat()
    if field.type == "table":
        return [{c.name: _raw(c, row.get(c.name)) for c in field.columns} for row in data or []]
    if field.type in ("money", "answer"):
        return {k: (v or "") for k, v in (data or {}).items()}
    return data or ""


def form_values(kind: RecordKind, fields: dict[str, Any]) -> dict[str, Any]:
    """Stored values in the shape the form fields take (dates as dates)."""

    def value(field: RecordField, stored: Any) -> Any:
        if field.type == "date" and stored:
            return date.fromisoformat(stored)
        if field.type == "table":
            return [{c.name: value(c, row.get(c.name)) for c in field.columns} for row in stored]
        return stored

    return {f.name: value(f, fields[f.name]) for f in kind.fields if fields.get(f.name)}


def has_problems(form: RecordForm) -> bool:
    if form.errors:
        return True
    return any(
        getattr(f, "problems", None)
        or (isinstance(f, FieldList) and any(getattr(e, "problems", None) for e in f.entries))
        for f in form
    )
