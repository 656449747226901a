"""The table of `qms` commands: where each is defined, and its line in `qms --help`, read
without importing any of them (qms.cli imports a command when it runs)."""

from __future__ import annotations

from typing import NamedTuple


class Entry(NamedTuple):
    """A command of the group: where it is defined, and its line in `qms --help` (the first
    paragraph of its docstring; tests/test_cli_start.py checks the two agree)."""

    target: str  # "module:attribute"; "" for the commands the (web) app adds itself
    summary: str
    web: bool = False  # needs the whole app: blueprints, the API, migrations


COMMANDS = {
    "advance": Entry(
        "qms.orders.cli:advance", "Fire workflow TRIGGER on order NUMBER as a user (for scripts)."
    ),
    "audit": Entry("qms.audit.cli:audit", "The audit trail."),
    "backup": Entry(
        "qms.backup.cli:backup_command", "Back up the whole database, online and consistent."
    ),
    "db": Entry("", "Perform database migrations.", web=True),
    "demo": Entry("qms.demo:demo", "Load demo users, customers and orders (safe to run again)."),
    "documents": Entry(
        "qms.documents.cli:documents",
        "Controlled documents: the register's revisions, approvals and readings.",
    ),
    "init": Entry(
        "qms.auth.cli:init",
        "A real installation: create the schema and one administrator, and no demo data.",
        web=True,  # runs the migrations
    ),
    "keys": Entry("qms.packs.cli:keys", "The key and certificate that sign contract packs."),
    "notify": Entry(
        "qms.notify.cli:notify", "Notifications: the calendar's notices and the e-mail outbox."
    ),
    "openapi": Entry("", "OpenAPI commands.", web=True),
    "orders": Entry("qms.orders.cli:orders", "List every order with its customer and state."),
    "overdue": Entry(
        "qms.workitems.cli:overdue",
        "What is overdue: work items past their due date, and orders past theirs (for cron).",
    ),
    "pack": Entry(
        "qms.packs.cli:pack",
        "Issue an order's contract pack (`qms pack NUMBER -o FILE.pdf`), or verify one.",
    ),
    "restore": Entry(
        "qms.backup.cli:restore_command",
        "Replace the whole database with a backup made by `qms backup`.",
    ),
    "tokens": Entry("qms.tokens.cli:tokens", "API tokens: make, list and revoke."),
    "trace": Entry("qms.trace.cli:trace", "The traceability matrix: ISO 9001:2015 clause x order."),
    "users": Entry(
        "qms.auth.cli:users", "User administration: list, create, roles, deactivation, passwords."
    ),
    "webhooks": Entry(
        "qms.webhooks.cli:webhooks",
        "Webhook subscriptions and their deliveries (sent by `qms notify send`).",
    ),
    "workflow": Entry("qms.workflow.cli:workflow", "Workflow definitions (workflows/*.yaml)."),
}
# Flask's own commands (FlaskGroup adds them): they serve or inspect the web app.
WEB_COMMANDS = {"run", "shell", "routes"}
