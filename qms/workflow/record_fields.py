"""Structured fields of record kinds: their types, how the YAML declares them, and the
values a record may hold for them.

A record keeps its values in `Record.fields` (JSON), so its content hash covers them:

    text, multiline, choice, date   a string ("2026-05-01" for a date, the key for a choice)
    money                           {"amount": "1250000.00", "currency": "RUB"}
    answer                          {"answer": "yes" | "no" | "na", "comment": "..."}
    table                           [{column: value, ...}, ...] (columns are text, date or choice)

Values are cleaned here, once, for the services and the forms alike: an error names the
field (and the row) so a form can show it next to that field.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import lazy_gettext as _l

from qms.catalogue import Text
from qms.i18n import lazy_text
from qms.workflow.types import RecordField

FIELD_TYPES = ("text", "multiline", "choice", "date", "money", "answer", "table")
COLUMN_TYPES = ("text", "date", "choice")
CURRENCIES = ("RUB", "EUR", "USD", "GBP", "CNY")
ANSWERS = {
    "yes": Text(en="Yes", ru="Да"),
    "no": Text(en="No", ru="Нет"),
    "na": Text(en="Not applicable", ru="Неприменимо"),
}
TEXT_LIMITS = {"text": 500, "multiline": 20_000}
FIELD_KEYS = {"title", "choices", "optional", "type", "columns", "hint", "required_when"}


class FieldProblem(ValueError):
    """A value that cannot be stored: `path` names the field ("stages", 2, "start")."""

    def __init__(self, path: tuple, message):
        super().__init__(message)
        self.path = path
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def parse_record_field(
    name: str,
    spec: Any,
    entry: str,
    *,
    mapping: Callable[..., dict],
    text: Callable[[Any, str], Text],
    fail: Callable[[str, str], Exception],
    column: bool = False,
) -> RecordField:
    """One field declaration of a record kind (or one column of a table field).

    `mapping`, `text` and `fail` are the workflow parser's, so errors name file and entry.
    """
    spec = mapping(spec, entry, FIELD_KEYS)
    kind = spec.get("type", "choice" if "choices" in spec else "text")
    allowed = COLUMN_TYPES if column else FIELD_TYPES
    if kind not in allowed:
        raise fail(entry, f"type must be one of {', '.join(allowed)}")
    choices = None
    if kind == "choice":
        if not spec.get("choices"):
            raise fail(entry, "a choice field needs 'choices'")
        choices = {
            str(key): text(title, f"{entry} choice '{key}'")
            for key, title in mapping(spec["choices"], entry).items()
        }
    elif "choices" in spec:
        raise fail(entry, f"only a choice field has 'choices' (this one is {kind})")
    columns: tuple[RecordField, ...] = ()
    if kind == "table":
        if not spec.get("columns"):
            raise fail(entry, "a table field needs 'columns'")
        columns = tuple(
            parse_record_field(
                str(col),
                col_spec,
                f"{entry} column '{col}'",
                mapping=mapping,
                text=text,
                fail=fail,
                column=True,
            )
            for col, col_spec in mapping(spec["columns"], entry).items()
        )
    elif "columns" in spec:
        raise fail(entry, f"only a table field has 'columns' (this one is {kind})")
    return RecordField(
        name=name,
        title=text(spec.get("title"), entry),
        choices=choices,
        optional=bool(spec.get("optional", False)),
        type=kind,
        columns=columns,
        hint=text(spec["hint"], f"{entry} hint") if "hint" in spec else None,
        required_when=tuple(
            (str(other), str(value))
            for other, value in mapping(spec.get("required_when") or {}, entry).items()
        ),
    )


def check_required_when(fields, entry: str, fail) -> None:
    """Each `required_when` names another field of the record and one of its choices."""
    by_name = {f.name: f for f in fields}
    for field in fields:
        for other, value in field.required_when:
            choices = by_name[other].choices if other in by_name else None
            if choices is None or value not in choices:
                raise fail(
                    f"{entry} field '{field.name}'",
                    f"required_when names '{other}: {value}', not a choice of this record",
                )


def _required(field: RecordField, path: tuple) -> FieldProblem:
    return FieldProblem(path, _l("'%(field)s' is required", field=lazy_text(field.title)))


def _clean_scalar(field: RecordField, raw: Any, path: tuple) -> str:
    if isinstance(raw, dict | list):
        raise FieldProblem(path, _l("'%(field)s' must be text", field=lazy_text(field.title)))
    value = "" if raw is None else str(raw)
    value = value.strip() if field.type != "multiline" else value.strip("\n").rstrip()
    if not value:
        return ""
    if field.type == "choice":
        if value not in (field.choices or {}):
            titles = "; ".join(str(lazy_text(t)) for t in (field.choices or {}).values())
            raise FieldProblem(
                path,
                _l(
                    "'%(field)s' must be one of: %(titles)s",
                    field=lazy_text(field.title),
                    titles=titles,
                ),
            )
    elif field.type == "date":
        try:
            value = date.fromisoformat(value).isoformat()
        except ValueError:
            raise FieldProblem(
                path,
                _l("'%(field)s' must be a date (YYYY-MM-DD)", field=lazy_text(field.title)),
            ) from None
    elif len(value) > TEXT_LIMITS.get(field.type, 500):
        raise FieldProblem(
            path,
            _l(
                "'%(field)s' is longer than %(n)s characters",
                field=lazy_text(field.title),
                n=TEXT_LIMITS.get(field.type, 500),
            ),
        )
    return value


def _parts(raw: Any, field: RecordField, path: tuple, keys: tuple[str, ...]) -> dict:
    if raw is None or raw == "":
        return {}
    if not isinstance(raw, dict) or set(raw) - set(keys):
        raise FieldProblem(path, _l("'%(field)s' is malformed", field=lazy_text(field.title)))
    return raw


def _clean_money(field: RecordField, raw: Any, path: tuple) -> dict | None:
    parts = _parts(raw, field, path, ("amount", "currency"))
    amount = str(parts.get("amount") or "").strip()
    currency = str(parts.get("currency") or "").strip() or "RUB"
    if not amount:
        return None
    try:
        value = Decimal(amount.replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        raise FieldProblem(
            (*path, "amount"),
            _l(
                "'%(field)s' must be an amount of money, such as 1 250 000,50",
                field=lazy_text(field.title),
            ),
        )
    if currency not in CURRENCIES:
        raise FieldProblem(
            (*path, "currency"),
            _l("'%(field)s': unknown currency", field=lazy_text(field.title)),
        )
    return {"amount": str(value.quantize(Decimal("0.01"))), "currency": currency}


def _clean_answer(field: RecordField, raw: Any, path: tuple) -> dict | None:
    parts = _parts(raw, field, path, ("answer", "comment"))
    answer = str(parts.get("answer") or "").strip()
    comment = str(parts.get("comment") or "").strip()
    if not answer and not comment:
        return None
    if answer not in ANSWERS:
        raise FieldProblem(
            (*path, "answer"),
            _l(
                "'%(field)s': answer yes, no or not applicable",
                field=lazy_text(field.title),
            ),
        )
    if len(comment) > TEXT_LIMITS["multiline"]:
        raise FieldProblem((*path, "comment"), _l("the comment is too long"))
    return {"answer": answer, "comment": comment}


def _clean_table(field: RecordField, raw: Any, path: tuple) -> list[dict] | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, list) or not all(isinstance(row, dict) for row in raw):
        raise FieldProblem(path, _l("'%(field)s' is malformed", field=lazy_text(field.title)))
    rows = []
    for number, row in enumerate(raw):
        if unknown := set(row) - {c.name for c in field.columns}:
            raise FieldProblem(
                path,
                _l(
                    "'%(field)s': unknown column(s) %(names)s",
                    field=lazy_text(field.title),
                    names=", ".join(sorted(unknown)),
                ),
            )
        clean = {
            c.name: _clean_scalar(c, row.get(c.name), (*path, number, c.name))
            for c in field.columns
        }
        if not any(clean.values()):  # an empty row of the form: not a row
            continue
        for column in field.columns:
            if not clean[column.name] and not column.optional:
                raise _required(column, (*path, number, column.name))
        rows.append({k: v for k, v in clean.items() if v})
    return rows or None


def clean_value(field: RecordField, raw: Any) -> Any:
    """The value to store for `field` (None when empty), or FieldProblem."""
    path = (field.name,)
    if field.type == "money":
        return _clean_money(field, raw, path)
    if field.type == "answer":
        return _clean_answer(field, raw, path)
    if field.type == "table":
        return _clean_table(field, raw, path)
    return _clean_scalar(field, raw, path) or None


def clean_values(
    fields: tuple[RecordField, ...], raw: dict[str, Any], *, complete: bool = False
) -> dict[str, Any]:
    """Every field's clean value, the empty ones left out.

    Required fields are required once anything is filled in (or always, with `complete`,
    as the form asks): a record written through the services with no fields at all is a
    free-text record (the body and its files), as older orders' records are.
    """
    clean = {}
    for field in fields:
        value = clean_value(field, raw.get(field.name))
        if value is not None:
            clean[field.name] = value
    if clean or complete:
        for field in fields:
            if field.name not in clean and not field.optional:
                raise _required(field, (field.name,))
    for field in fields:  # "a partner, when the client was referred to one"
        conditions = field.required_when
        if conditions and field.name not in clean and all(clean.get(o) == v for o, v in conditions):
            raise _required(field, (field.name,))
    return clean
