"""An event's changes as people read them: each field by its title, before → after."""

from __future__ import annotations

import json
from typing import Any

from flask_babel import lazy_gettext as _l

from qms.i18n import current_language

FIELD_TITLES = {
    "number": _l("number"),
    "title": _l("title"),
    "customer": _l("customer"),
    "manager": _l("project manager"),
    "value": _l("value"),
    "currency": _l("currency"),
    "language": _l("language"),
    "starts_on": _l("starts on"),
    "due_on": _l("due on"),
    "workflow": _l("workflow"),
    "document": _l("document"),
    "effective_from": _l("effective from"),
    "review_due": _l("next review"),
    "kind": _l("kind"),
    "revision": _l("revision"),
    "fields": _l("fields"),
    "body": _l("text"),
    "meaning": _l("meaning"),
    "content_sha256": _l("content SHA-256"),
    "file": _l("file"),
    "sha256": _l("SHA-256"),
    "size": _l("size, bytes"),
    "signer": _l("signer"),
    "note": _l("note"),
    "note_id": _l("note"),
    "clause": _l("clause"),
    "username": _l("user name"),
    "full_name": _l("full name"),
    "email": _l("e-mail"),
    "role": _l("role"),
    "is_active": _l("active"),
    "channel": _l("channel"),
    "source": _l("source"),
    "parent": _l("opened from"),
    "stage": _l("stage"),
    "pages": _l("pages"),
    "pdf_sha256": _l("file SHA-256"),
    "trail_head": _l("trail head"),
    "restored_head": _l("restored head"),
    "scope": _l("scope"),
    "url": _l("address"),
    "is_demo": _l("demo user"),
    "must_change_password": _l("must change the password"),
    "expires_at": _l("expires"),
    "matched_by": _l("matched by"),
    "signed_by": _l("signed by"),
    "details": _l("details"),
    "hint": _l("hint"),
    "kinds": _l("record kinds"),
    "name": _l("name"),
    "order": _l("order"),
    "record": _l("record"),
    "user": _l("user"),
    "sso_subject": _l("single sign-on subject"),
    "findings": _l("findings"),
    "held_on": _l("date"),
    "subject": _l("subject"),
    "records": _l("records"),
    "said": _l("what the customer said"),
    "steps": _l("how it was handled"),
    "outcome": _l("outcome"),
    "priority": _l("priority"),
    "recommended_by": _l("recommended by"),
    "line": _l("line of support"),
    "worked_on": _l("worked on"),
    "hours": _l("hours"),
    "day": _l("day"),
    "working": _l("working day"),
}
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}
LONGEST = 160
LISTS = ("kinds", "trail_head", "steps", "records")  # lists of values, not old -> new


def field_title(name: str) -> str:
    """A change's field by its title: the common ones here, a workflow input by its own."""
    if name in FIELD_TITLES:
        return str(FIELD_TITLES[name])
    from qms.workflow.registry import registry

    known = registry()
    for workflow in sorted(known.names()):
        fields = known.latest(workflow).fields
        if name in fields:
            return fields[name].title.get(current_language())
    return name.replace("_", " ")


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= LONGEST else text[: LONGEST - 1] + "…"


def change_lines(changes: dict[str, Any] | None) -> list[tuple[str, str]]:
    """[(field title, "old → new" or the value)] for an event's changes."""
    lines = []
    for name, value in (changes or {}).items():
        if name == "fields" and isinstance(value, dict | list):
            lines.append((field_title(name), _fields_changed(value)))
            continue
        shown = _value_shower(name)
        if isinstance(value, list) and len(value) == 2 and name not in LISTS:
            lines.append((field_title(name), f"{shown(value[0])} → {shown(value[1])}"))
        else:
            lines.append((field_title(name), shown(value)))
    return lines


def _value_shower(name: str):
    """Values that are codes, shown by their titles: languages, roles, meanings, kinds."""
    from qms.i18n import role_title
    from qms.records.meanings import MEANING_TITLES

    if name == "language":
        return lambda v: LANGUAGE_NAMES.get(v, _shown(v))
    if name == "role":
        return lambda v: role_title(v) if isinstance(v, str) and v else _shown(v)
    if name == "meaning":
        return lambda v: str(MEANING_TITLES.get(v, _shown(v)))
    if name == "kind":
        return lambda v: _kind_title(v) if isinstance(v, str) else _shown(v)
    if name in ("steps", "outcome", "priority", "records"):
        return _titled(name)
    return _shown


def _titled(name: str):
    """Support priorities, objection steps and outcomes, a meeting's records by title."""
    from qms.meetings.titles import ACT_TITLES
    from qms.objections.titles import OUTCOME_TITLES, STEP_TITLES
    from qms.workitems.titles import PRIORITY_TITLES

    if name == "records":
        return lambda v: (
            "; ".join(
                f"{r.get('title')} ({_l('rev.')} {r.get('revision')}): "
                f"{ACT_TITLES.get(r.get('act'), r.get('act'))}"
                for r in (v if isinstance(v, list) else [])
                if isinstance(r, dict)
            )
            or _shown(v)
        )
    titles = {"steps": STEP_TITLES, "outcome": OUTCOME_TITLES, "priority": PRIORITY_TITLES}[name]
    if name == "steps":
        return lambda v: (
            ", ".join(str(titles.get(s, s)) for s in v) if isinstance(v, list) else _shown(v)
        )
    return lambda v: str(titles.get(v, _shown(v))) if isinstance(v, str) else _shown(v)


def _kind_title(kind: str) -> str:
    from qms.meetings.titles import KIND_TITLES as MEETING_KINDS
    from qms.objections.titles import KIND_TITLES as OBJECTION_KINDS
    from qms.workflow.registry import registry

    kinds = registry().latest("customer-order").records
    if kind in kinds:
        return kinds[kind].title.get(current_language())
    return str(MEETING_KINDS.get(kind) or OBJECTION_KINDS.get(kind) or kind)


def changes_json(changes: dict[str, Any] | None) -> str:
    """As an export carries them: JSON, as stored (not Python's repr)."""
    return json.dumps(changes or {}, ensure_ascii=False, sort_keys=True)


def _fields_changed(value) -> str:
    """A record's structured fields in a change: which ones, by title (their values are on
    the record page, which compares revisions)."""
    if isinstance(value, list) and len(value) == 2:
        old, new = (v or {} for v in value)
        names = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]
    else:
        names = list(value or {})
    return ", ".join(_record_field_title(n) for n in names) or "—"


def _record_field_title(name: str) -> str:
    from qms.workflow.registry import registry

    for kind in registry().latest("customer-order").records.values():
        for field in kind.fields:
            if field.name == name:
                return field.title.get(current_language())
    return name.replace("_", " ")
