"""Least privilege on PostgreSQL: an owner role for migrations, an application role for the rest.

A table's owner can always disable or drop its triggers, truncate it and hand it to
someone else, so the guards that keep the evidence append-only hold only against roles
that own nothing. With `QMS_DATABASE_OWNER_URL` set, migrations run as that owner role
(which owns every table), and after every migration the application role (the user of
`QMS_DATABASE_URL`) is given exactly what GRANTS says, and nothing else. Without it
(SQLite, or one PostgreSQL role for everything) nothing here runs.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

SELECT, INSERT, UPDATE, DELETE = "SELECT", "INSERT", "UPDATE", "DELETE"
EVERY_TABLE_PRIVILEGE = (SELECT, INSERT, UPDATE, DELETE, "TRUNCATE", "REFERENCES", "TRIGGER")

# What the application role may do to each table, and why. Never TRUNCATE, TRIGGER,
# REFERENCES or ownership. Every table needs an entry (tests/test_database_roles.py
# holds it against the models' metadata), and a table without one gets no privilege.
GRANTS: dict[str, tuple[str, ...]] = {
    # Evidence, append-only: the triggers refuse changes from anyone, the missing
    # UPDATE and DELETE refuse them before a trigger is even asked.
    "audit_events": (SELECT, INSERT),  # the hash-chained trail
    "audit_checkpoints": (SELECT, INSERT),  # signed heads of the trail
    "signatures": (SELECT, INSERT),  # an approval, kept as signed
    "record_contributions": (SELECT, INSERT),  # who shaped a revision (independent approval)
    "contract_packs": (SELECT, INSERT),  # an issued pack is never re-rendered or withdrawn
    "blobs": (SELECT, INSERT),  # contents stored by SHA-256: another content is another blob
    # Controlled documents: a signature, a reading, the revisions in force at a step and a
    # withdrawal are evidence, written once.
    "document_signatures": (SELECT, INSERT),
    "document_acknowledgements": (SELECT, INSERT),
    "governing_revisions": (SELECT, INSERT),
    "document_withdrawals": (SELECT, INSERT),
    "document_reviews": (SELECT, INSERT),  # a periodic review that changed nothing
    # A draft revision is approved in place (the triggers refuse changing an approved
    # one's content); a new revision is a new row, never deleted.
    "document_revisions": (SELECT, INSERT, UPDATE),
    # The chain's single head row, made by the migration and moved on by each event.
    "audit_chain_head": (SELECT, UPDATE),
    # /healthz compares the schema with the migrations' head; only migrations write it.
    "alembic_version": (SELECT,),
    # Accounts change (language, ...) but are never deleted: the trail names them.
    "users": (SELECT, INSERT, UPDATE),
    # Sign-in throttling: one row per key, reserved by an upsert, cleared on success.
    "login_throttle": (SELECT, INSERT, UPDATE, DELETE),
    # Notifications are marked read; the outbox marks each message claimed, sent or failed;
    # a user's e-mail choices change.
    "notifications": (SELECT, INSERT, UPDATE),
    "outbox_messages": (SELECT, INSERT, UPDATE),
    "notification_settings": (SELECT, INSERT, UPDATE),
    # API tokens are revoked and their last use noted, never deleted (the trail names them).
    "api_tokens": (SELECT, INSERT, UPDATE),
    # Subscriptions are switched off, deliveries claimed and marked; attempts are a log.
    "webhook_subscriptions": (SELECT, INSERT, UPDATE),
    "webhook_deliveries": (SELECT, INSERT, UPDATE),
    "webhook_attempts": (SELECT, INSERT),
    # Each change of the letterhead is a new row; the pack prints the latest.
    "letterheads": (SELECT, INSERT),
    "customers": (SELECT, INSERT, UPDATE),  # the customer card is edited
    "contacts": (SELECT, INSERT, UPDATE),  # added and edited on the card, not deleted
    # States move by version-checked UPDATEs; orders and work items are never deleted.
    "orders": (SELECT, INSERT, UPDATE),
    "work_items": (SELECT, INSERT, UPDATE),
    "sales_stages": (SELECT, INSERT),  # a stage is marked done once
    # Pinned once; an order keeps the version it started under.
    "workflow_versions": (SELECT, INSERT),
    # Drafts are edited and approved in place (the triggers refuse changing an approved
    # one); a revision is a new row, so nothing is ever deleted.
    "records": (SELECT, INSERT, UPDATE),
    # A file can be taken off a draft (a 'removed_file' contribution); the triggers
    # refuse it once the record is approved. The stored content (blobs) stays.
    "attachments": (SELECT, INSERT, DELETE),
    "audit_notes": (SELECT, INSERT),  # an auditor's note is written once
    # The administrator's extra working / non-working days: added, and taken off again.
    "calendar_days": (SELECT, INSERT, DELETE),
    # A support request's clocks move with its transitions; hours logged are a log.
    "support_requests": (SELECT, INSERT, UPDATE),
    "support_time_entries": (SELECT, INSERT),
    # Meetings, their linked records, and objections are logged once.
    "communications": (SELECT, INSERT),
    "communication_records": (SELECT, INSERT),
    "objections": (SELECT, INSERT),
}


class RoleSetupError(RuntimeError):
    """The two roles are configured in a way that would not give least privilege."""


def owner_url() -> str | None:
    """The owner role's URL (QMS_DATABASE_OWNER_URL), checked against the application's."""
    url = current_app.config.get("QMS_DATABASE_OWNER_URL")
    if not url:
        return None
    app_url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    owner = make_url(url)
    if not (app_url.get_backend_name() == owner.get_backend_name() == "postgresql"):
        raise RoleSetupError(
            "QMS_DATABASE_OWNER_URL is for PostgreSQL: both it and QMS_DATABASE_URL must be "
            "postgresql:// URLs"
        )
    if _where(owner) != _where(app_url):
        raise RoleSetupError(
            "QMS_DATABASE_OWNER_URL and QMS_DATABASE_URL must name the same database "
            f"(they name {_describe(owner)} and {_describe(app_url)})"
        )
    return url


def migration_engine(application_engine: Engine) -> Engine:
    """The engine migrations run on: the owner's when configured, else the application's."""
    url = owner_url()
    # NullPool: the connection is closed when the migration ends, so nothing of the
    # owner's lingers in the application's processes.
    return create_engine(url, poolclass=NullPool) if url else application_engine


def application_role() -> str:
    role = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).username
    if not role:
        raise RoleSetupError(
            "QMS_DATABASE_URL names no user: the owner grants privileges to that role by name"
        )
    return role


def grant_application_role(connection: Connection) -> None:
    """Give the application role exactly GRANTS on every table of the schema, and USAGE
    and SELECT on its sequences; then check it cannot get around them. Idempotent: run
    as the owner after every migration, so tables made by later migrations are covered.
    Does nothing unless QMS_DATABASE_OWNER_URL is set."""
    if owner_url() is None:
        return
    role = application_role()
    owner = connection.scalar(text("SELECT current_user"))
    if role == owner:
        raise RoleSetupError(
            f"QMS_DATABASE_URL and QMS_DATABASE_OWNER_URL both connect as '{role}': the "
            "application must connect as a role that owns nothing"
        )
    schema = connection.scalar(text("SELECT current_schema()"))
    _check_role(connection, role, owner, schema)
    quote = connection.dialect.identifier_preparer.quote
    grantee = quote(role)
    tables = connection.scalars(
        text("SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY tablename"),
        {"schema": schema},
    ).all()
    for table in tables:
        name = f"{quote(schema)}.{quote(table)}"
        connection.execute(text(f"REVOKE ALL ON TABLE {name} FROM {grantee}"))
        if privileges := GRANTS.get(table):
            connection.execute(text(f"GRANT {', '.join(privileges)} ON TABLE {name} TO {grantee}"))
    # USAGE for nextval() when inserting; SELECT so pg_dump can read where they stand.
    connection.execute(
        text(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {quote(schema)} FROM {grantee}")
    )
    connection.execute(
        text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {quote(schema)} TO {grantee}")
    )
    _check_no_other_grants(connection, role, schema)


def _check_role(connection: Connection, role: str, owner: str, schema: str) -> None:
    """Refuse a setup where the application role could switch the guards off anyway."""
    found = connection.execute(
        text(
            "SELECT rolsuper OR rolcreaterole OR rolbypassrls AS powerful, "
            "pg_has_role(rolname, :owner, 'MEMBER') AS member_of_owner, "
            "has_schema_privilege(rolname, :schema, 'CREATE') AS creates "
            "FROM pg_roles WHERE rolname = :role"
        ),
        {"role": role, "owner": owner, "schema": schema},
    ).one_or_none()
    if found is None:
        raise RoleSetupError(f"the application role '{role}' does not exist; create it first")
    if found.powerful:
        raise RoleSetupError(
            f"the application role '{role}' is a superuser or may create roles or bypass "
            "row security: it must be a plain LOGIN role"
        )
    if found.member_of_owner:
        raise RoleSetupError(
            f"the application role '{role}' is a member of the owner role '{owner}' and so "
            "may do whatever the owner does; revoke that membership"
        )
    if found.creates:
        raise RoleSetupError(
            f"the application role '{role}' may create tables in schema {schema}; as the "
            f"schema's owner run: REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC, {role}"
        )
    owned = connection.scalars(
        text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND pg_get_userbyid(c.relowner) = :role ORDER BY 1"
        ),
        {"schema": schema, "role": role},
    ).all()
    if owned:
        raise RoleSetupError(
            f"the application role '{role}' owns {', '.join(owned)}; as a superuser run "
            f"REASSIGN OWNED BY {role} TO {owner}"
        )


def _check_no_other_grants(connection: Connection, role: str, schema: str) -> None:
    """Our REVOKE takes back only what the owner granted: refuse privileges that another
    role granted, or that every role holds through PUBLIC."""
    held = connection.execute(
        text(
            "SELECT t.tablename, p.privilege "
            "FROM pg_tables t, unnest(CAST(:every AS text[])) AS p(privilege) "
            "WHERE t.schemaname = :schema AND has_table_privilege("
            ":role, format('%I.%I', t.schemaname, t.tablename), p.privilege)"
        ),
        {"every": list(EVERY_TABLE_PRIVILEGE), "schema": schema, "role": role},
    ).all()
    if extra := sorted(f"{p} on {t}" for t, p in held if p not in GRANTS.get(t, ())):
        raise RoleSetupError(
            f"the application role '{role}' still holds {', '.join(extra)} (granted by "
            "another role, or to PUBLIC); revoke it"
        )


def _where(url: URL) -> tuple:
    return (url.host or "localhost", url.port or 5432, url.database)


def _describe(url: URL) -> str:
    host, port, database = _where(url)
    return f"{database} on {host}:{port}"
