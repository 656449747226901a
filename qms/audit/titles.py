"""Events and states by their titles, never their codes, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qms.i18n import current_language

ACTION_TITLES = {
    "order.created": _l("Order opened"),
    "order.edited": _l("Order changed"),
    "order.sales_stage": _l("Sales stage done"),
    "record.created": _l("Record written"),
    "record.edited": _l("Draft edited"),
    "record.attached": _l("File attached"),
    "record.file_removed": _l("File removed"),
    "record.approved": _l("Record approved"),
    "record.signed": _l("Record signed"),
    "record.revised": _l("New revision opened"),
    "record.signature_requested": _l("Signature requested"),
    "record.sent_back": _l("Sent back for changes"),
    "pack.issued": _l("Contract pack issued"),
    "document.prepared": _l("Document revision prepared"),
    "document.edited": _l("Document draft edited"),
    "document.approved": _l("Document revision approved"),
    "document.withdrawn": _l("Document withdrawn"),
    "document.reviewed": _l("Document reviewed, kept in force"),
    "document.acknowledged": _l("Document read and understood"),
    "audit.note": _l("Auditor's note"),
    "audit.rollback_accepted": _l("Rollback of the trail accepted"),
    "customer.created": _l("Customer card created"),
    "customer.edited": _l("Customer card changed"),
    "customer.contact_added": _l("Contact added"),
    "user.created": _l("User created"),
    "user.registered": _l("User's role recorded"),
    "user.role_changed": _l("Role changed"),
    "user.deactivated": _l("User deactivated"),
    "user.reactivated": _l("User reactivated"),
    "user.password_reset": _l("Password reset"),
    "user.password_changed": _l("Password changed"),
    "user.email_changed": _l("E-mail changed"),
    "user.language": _l("Language changed"),
    "user.sso_linked": _l("Linked to single sign-on"),
    "token.created": _l("API token made"),
    "token.revoked": _l("API token revoked"),
    "webhook.subscribed": _l("Webhook subscribed"),
    "webhook.switched_on": _l("Webhook switched on"),
    "webhook.switched_off": _l("Webhook switched off"),
    "calendar.day_set": _l("Extra day set in the working calendar"),
    "calendar.day_removed": _l("Extra day taken off the working calendar"),
    "support-request.escalated": _l("Passed to the next line of support"),
    "support-request.time_logged": _l("Hours logged"),
    "meeting.logged": _l("Meeting or communication logged"),
    "objection.logged": _l("Objection logged"),
}
OPENED = _l("%(what)s opened")
SYSTEM = _l("system")
ENTITY_WORKFLOWS = {"order": "customer-order"}


def _definition(entity_type: str):
    from qms.workflow.registry import registry

    name = ENTITY_WORKFLOWS.get(entity_type, entity_type)
    try:
        return registry().latest(name)
    except (KeyError, LookupError):
        return None


def event_title(event) -> str:
    """ "Accept the enquiry", "Complaint opened", "Record approved" ... for any event."""
    if event.action in ACTION_TITLES:
        return str(ACTION_TITLES[event.action])
    entity, _, trigger = event.action.partition(".")
    definition = _definition(entity)
    if definition is None:
        return event.action
    if trigger == "opened":
        return str(OPENED % {"what": definition.title.get(current_language())})
    transition = definition.transition(trigger)
    return transition.title.get(current_language()) if transition else event.action


def state_title(entity_type: str, state: str | None) -> str:
    if not state:
        return ""
    definition = _definition(entity_type)
    if definition is None or state not in definition.states:
        return state
    return definition.states[state].title.get(current_language())


def workflow_title(entity_type: str) -> str:
    """ "Complaint", "Corrective action", "Customer order" ... in the reader's language."""
    definition = _definition(entity_type)
    return definition.title.get(current_language()) if definition else entity_type


def actor_name(event) -> str:
    """Who did it: a user's name as recorded, or qms itself in the reader's language."""
    if event.actor_id is None and event.actor_name == "system":
        return str(SYSTEM)
    return event.actor_name
