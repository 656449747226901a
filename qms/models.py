"""Every model, imported in one place so the metadata is complete."""

from qms.audit.models import AuditChainHead, AuditEvent
from qms.auth.models import User
from qms.customers.models import Contact, Customer
from qms.orders.models import Order
from qms.records.models import Attachment, Blob, Record, Signature
from qms.workflow.models import WorkflowVersion

__all__ = [
    "Attachment",
    "AuditChainHead",
    "AuditEvent",
    "Blob",
    "Contact",
    "Customer",
    "Order",
    "Record",
    "Signature",
    "User",
    "WorkflowVersion",
]
