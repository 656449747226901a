"""Who may do what, in one table. Views ask `can(action)`; the workflow decides transitions."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

WRITERS = ("admin", "manager", "engineer")
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "view": ("admin", "manager", "engineer", "auditor"),
    "open_order": ("admin", "manager"),
    "edit_order": ("admin", "manager"),
    "advance_order": WRITERS,
    "write_record": WRITERS,
    "sign_record": WRITERS,
    "edit_customer": ("admin", "manager"),
    "track_sales": ("admin", "manager"),
    "audit_note": ("admin", "auditor"),
    "verify_chain": ("admin", "auditor"),
    "audit_report": ("admin", "auditor"),
    # Printing issues the pack as the record stands (an event in the trail, nothing else
    # changes): auditors print what they audit.
    "print_pack": ("admin", "manager", "engineer", "auditor"),
    "manage_users": ("admin",),
}


def can(action: str) -> bool:
    return current_user.is_authenticated and current_user.role in PERMISSIONS[action]


def requires(action: str):
    """Log in first, then 403 unless the user's role may do `action`."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not can(action):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
