"""How work items' codes read to people: channels, sources, record kinds by their titles."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CHANNEL_TITLES = {
    "email": _l("e-mail"),
    "phone": _l("phone"),
    "letter": _l("letter"),
    "meeting": _l("meeting"),
    "portal": _l("customer portal"),
}
SOURCE_TITLES = {
    "complaint": _l("a complaint"),
    "design_review": _l("a design review"),
    "audit_finding": _l("an audit finding"),
    "other": _l("other"),
}
PRIORITY_TITLES = {
    "critical": _l("critical"),
    "high": _l("high"),
    "normal": _l("normal"),
    "low": _l("low"),
}
