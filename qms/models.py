"""Every model, imported in one place so the metadata is complete."""

from qms.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from qms.auth.models import LoginThrottle, User
from qms.customers.models import Contact, Customer
from qms.documents.models import (
    DocumentAcknowledgement,
    DocumentReview,
    DocumentRevision,
    DocumentSignature,
    DocumentWithdrawal,
    GoverningRevision,
)
from qms.letterhead.models import Letterhead
from qms.meetings.models import Communication, CommunicationRecord
from qms.notify.models import Notification, NotificationSetting, OutboxMessage
from qms.objections.models import Objection
from qms.orders.models import Order, SalesStage
from qms.packs.models import ContractPack
from qms.records.models import Attachment, Blob, Record, RecordContribution, Signature
from qms.support.models import SupportRequest, SupportTimeEntry
from qms.tokens.models import ApiToken
from qms.trace.models import AuditNote
from qms.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from qms.workcalendar.models import CalendarDay
from qms.workflow.models import WorkflowVersion
from qms.workitems.models import WorkItem

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditChainHead",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditNote",
    "Blob",
    "CalendarDay",
    "Communication",
    "CommunicationRecord",
    "Contact",
    "ContractPack",
    "Customer",
    "DocumentAcknowledgement",
    "DocumentReview",
    "DocumentRevision",
    "DocumentSignature",
    "DocumentWithdrawal",
    "GoverningRevision",
    "Letterhead",
    "LoginThrottle",
    "Notification",
    "NotificationSetting",
    "Objection",
    "Order",
    "OutboxMessage",
    "Record",
    "RecordContribution",
    "SalesStage",
    "Signature",
    "SupportRequest",
    "SupportTimeEntry",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "WorkItem",
    "WorkflowVersion",
]
