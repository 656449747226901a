"""The kinds of event a URL may subscribe to, mapped from the audit trail's actions in this
one place: whatever writes an audit event needs to know nothing about webhooks."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Work-item workflows as they appear in kinds: "contract-change" -> "contract_change".
ITEM_WORKFLOWS = {
    "complaint": "complaint",
    "contract-change": "contract_change",
    "corrective-action": "corrective_action",
}

KINDS = {
    "order.created": _l("Order opened"),
    "order.edited": _l("Order details changed"),
    "order.advanced": _l("Order moved to another stage"),
    "record.created": _l("Record written"),
    "record.edited": _l("Draft edited"),
    "record.approved": _l("Record approved"),
    "record.revised": _l("New revision opened"),
    "complaint.opened": _l("Complaint opened"),
    "complaint.advanced": _l("Complaint moved to another stage"),
    "contract_change.opened": _l("Contract change opened"),
    "contract_change.advanced": _l("Contract change moved to another stage"),
    "corrective_action.opened": _l("Corrective action opened"),
    "corrective_action.advanced": _l("Corrective action moved to another stage"),
    "customer.created": _l("Customer card created"),
    "customer.edited": _l("Customer card changed"),
}

_DIRECT = {
    "order.created",
    "order.edited",
    "record.created",
    "record.edited",
    "record.approved",
    "record.revised",
    "customer.created",
    "customer.edited",
}


def kind_of(action: str, entity_type: str, to_state: str | None) -> str | None:
    """The webhook kind of an audit event, or None when no subscriber can ask for it."""
    if action in _DIRECT:
        return action
    entity, _, verb = action.partition(".")
    if entity == "order" and entity_type == "order" and to_state:
        return "order.advanced"  # every transition is "order.<trigger>" with a new state
    if entity in ITEM_WORKFLOWS and entity_type == entity:
        prefix = ITEM_WORKFLOWS[entity]
        if verb == "opened":
            return f"{prefix}.opened"
        if to_state:
            return f"{prefix}.advanced"
    return None
