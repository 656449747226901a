"""anchored evidence: event MACs and origin, checkpoints, record contributions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24

Events get an HMAC made with a key the database never holds, and the edge they came
from; checkpoints of the head are kept in a table (and in a file outside the database);
each record revision keeps the people who shaped it. Existing events are sealed with the
installation's key, existing users get an event recording the role they hold, and
existing records get their contributors from the trail.
"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa
from flask import current_app

from qms.audit.trail import append_event, event_mac

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

APPROVED = "(SELECT status FROM records WHERE id = NEW.record_id) = 'approved'"
APPROVED_OLD = "(SELECT status FROM records WHERE id = OLD.record_id) = 'approved'"

# (table, operation, condition, message): what the database refuses from anyone.
GUARDS = [
    ("audit_checkpoints", "UPDATE", None, "checkpoints are append-only"),
    ("audit_checkpoints", "DELETE", None, "checkpoints are append-only"),
    ("record_contributions", "UPDATE", None, "contributions cannot be changed or removed"),
    ("record_contributions", "DELETE", None, "contributions cannot be changed or removed"),
    ("record_contributions", "INSERT", APPROVED, "an approved record takes no contributions"),
    ("attachments", "INSERT", APPROVED, "approved records take no new files; revise them"),
    ("attachments", "UPDATE", APPROVED_OLD, "the files of approved records cannot change"),
    ("attachments", "DELETE", APPROVED_OLD, "the files of approved records cannot change"),
    ("blobs", "UPDATE", None, "stored files cannot be changed"),
    ("blobs", "DELETE", None, "stored files cannot be removed"),
]


def _guard_name(table, operation):
    return f"{table}_no_{operation.lower()}"


def create_guards(dialect):
    for table, operation, condition, message in GUARDS:
        name = _guard_name(table, operation)
        if dialect == "sqlite":
            when = f" WHEN {condition}" if condition else ""
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {operation} ON {table} FOR EACH ROW{when} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
        else:
            when = f" WHEN ({condition})" if condition else ""
            if condition:  # PostgreSQL's WHEN may not hold a subquery: test it in the body
                body = f"IF {condition} THEN RAISE EXCEPTION '{message}'; END IF; "
                body += "RETURN COALESCE(NEW, OLD);"
                when = ""
            else:
                body = f"RAISE EXCEPTION '{message}';"
            op.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN {body} END $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {operation} ON {table} FOR EACH ROW{when} "
                f"EXECUTE FUNCTION {name}()"
            )


def drop_guards(dialect):
    for table, operation, _, _ in GUARDS:
        name = _guard_name(table, operation)
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def upgrade():
    dialect = op.get_bind().dialect.name
    op.add_column('audit_events', sa.Column('origin', sa.String(length=16), nullable=True))
    op.add_column('audit_events', sa.Column('origin_detail', sa.String(length=200), nullable=True))
    op.add_column('audit_events', sa.Column('mac', sa.String(length=64), nullable=True))
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('made_at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints'))
    )
    op.create_index(op.f('ix_audit_checkpoints_seq'), 'audit_checkpoints', ['seq'], unique=False)
    op.create_table('record_contributions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('contribution', sa.String(length=16), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("contribution IN ('created', 'edited', 'attached', 'removed_file', 'revised', 'earlier_revision')", name=op.f('ck_record_contributions_contribution_known')),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_record_contributions_record_id_records')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_record_contributions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_contributions')),
    sa.UniqueConstraint('record_id', 'user_id', 'contribution', name=op.f('uq_record_contributions_record_id'))
    )
    op.create_index(op.f('ix_record_contributions_record_id'), 'record_contributions', ['record_id'], unique=False)

    key = current_app.config["QMS_AUDIT_KEY"].encode()
    _seal_existing_events(dialect, key)
    _record_existing_contributions()
    _record_existing_roles(key)
    create_guards(dialect)


def _seal_existing_events(dialect, key):
    """Events written before this migration get their MAC now: from here on, the key
    vouches for the trail as it stood at the upgrade."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, hash FROM audit_events WHERE mac IS NULL")).all()
    if not rows:
        return
    if dialect == "sqlite":
        op.execute("DROP TRIGGER audit_events_no_update")
    else:
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update")
    bind.execute(
        sa.text("UPDATE audit_events SET mac = :mac WHERE id = :id"),
        [{"id": r.id, "mac": event_mac(key, r.hash)} for r in rows],
    )
    if dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events FOR EACH ROW "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
        )
    else:
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update")


def _record_existing_contributions():
    """Contributors of existing revisions, read from the trail: who created, edited and
    attached to each, who opened it, and everyone who shaped the revision before it."""
    bind = op.get_bind()
    records = bind.execute(
        sa.text("SELECT id, lineage, revision, author_id, created_at FROM records ORDER BY lineage, revision")
    ).all()
    if not records:
        return
    shaped = defaultdict(set)
    for row in bind.execute(
        sa.text(
            "SELECT entity_id, actor_id, action FROM audit_events WHERE entity_type = 'record' "
            "AND action IN ('record.edited', 'record.attached') AND actor_id IS NOT NULL"
        )
    ):
        kind = "edited" if row.action == "record.edited" else "attached"
        shaped[row.entity_id].add((row.actor_id, kind))
    previous = {}
    rows = []
    for record in records:
        own = {(record.author_id, "created" if record.revision == 1 else "revised")}
        own |= shaped[record.id]
        inherited = {(user, "earlier_revision") for user, _ in previous.get(record.lineage, ())}
        contributions = own | inherited
        previous[record.lineage] = contributions
        rows += [
            {"record_id": record.id, "user_id": user, "contribution": kind, "at": record.created_at}
            for user, kind in sorted(contributions)
        ]
    bind.execute(
        sa.text(
            "INSERT INTO record_contributions (record_id, user_id, contribution, at) "
            "VALUES (:record_id, :user_id, :contribution, :at)"
        ),
        rows,
    )


def _record_existing_roles(key):
    """Verification compares each user's role with the last one the trail gave them; users
    made before roles were recorded get one event saying what they hold now."""
    bind = op.get_bind()
    users = bind.execute(
        sa.text("SELECT id, username, role, is_active FROM users ORDER BY id")
    ).all()
    for user in users:
        append_event(
            bind,
            key,
            actor_id=None,
            actor_name="system",
            action="user.registered",
            entity_type="user",
            entity_id=user.id,
            order_id=None,
            from_state=None,
            to_state=None,
            changes={"username": user.username, "role": user.role, "is_active": bool(user.is_active)},
            reason="role recorded when the trail was anchored (migration 0007)",
            origin="system",
            origin_detail="migration 0007",
        )


def downgrade():
    dialect = op.get_bind().dialect.name
    drop_guards(dialect)
    op.drop_index(op.f('ix_record_contributions_record_id'), table_name='record_contributions')
    op.drop_table('record_contributions')
    op.drop_index(op.f('ix_audit_checkpoints_seq'), table_name='audit_checkpoints')
    op.drop_table('audit_checkpoints')
    # Plain ALTER TABLE (SQLite >= 3.35): a batch rebuild would drop the table's triggers.
    for column in ('mac', 'origin_detail', 'origin'):
        op.execute(f"ALTER TABLE audit_events DROP COLUMN {column}")
