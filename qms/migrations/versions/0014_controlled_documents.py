"""controlled documents: revisions of the register's documents, their approvals and
acknowledgements, withdrawals, and the revisions in force at each step

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-24

Nothing of it is deleted, and what is written as evidence is not changed: the database
refuses it (triggers, as for records in 0007).
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

APPROVED_OLD = "OLD.status = 'approved'"
# (table, operation, condition, message): what the database refuses from anyone.
GUARDS = [
    ("document_revisions", "DELETE", None, "document revisions are never removed"),
    ("document_revisions", "UPDATE", APPROVED_OLD, "an approved revision cannot change"),
    ("document_signatures", "UPDATE", None, "signatures cannot be changed or removed"),
    ("document_signatures", "DELETE", None, "signatures cannot be changed or removed"),
    ("document_acknowledgements", "UPDATE", None, "acknowledgements cannot be changed"),
    ("document_acknowledgements", "DELETE", None, "acknowledgements cannot be changed"),
    ("governing_revisions", "UPDATE", None, "the revisions in force at a step are kept"),
    ("governing_revisions", "DELETE", None, "the revisions in force at a step are kept"),
    ("document_withdrawals", "UPDATE", None, "a withdrawal is kept as written"),
    ("document_withdrawals", "DELETE", None, "a withdrawal is kept as written"),
    ("document_reviews", "UPDATE", None, "a review is kept as written"),
    ("document_reviews", "DELETE", None, "a review is kept as written"),
]


def create_guards(dialect):
    for table, operation, condition, message in GUARDS:
        name = f"{table}_no_{operation.lower()}"
        if dialect == "sqlite":
            when = f" WHEN {condition}" if condition else ""
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {operation} ON {table} FOR EACH ROW{when} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
            continue
        body = f"RAISE EXCEPTION '{message}';"
        if condition:
            body = f"IF {condition} THEN {body} END IF; RETURN NEW;"
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {body} END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {operation} ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION {name}()"
        )


def drop_guards(dialect):
    for table, operation, _, _ in GUARDS:
        name = f"{table}_no_{operation.lower()}"
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def upgrade():
    op.create_table('document_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register', sa.String(length=32), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('blob_sha256', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('prepared_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('review_months', sa.Integer(), nullable=False),
    sa.Column('review_due', sa.Date(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('content_sha256', sa.String(length=64), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'approved')", name=op.f('ck_document_revisions_status_known')),
    sa.CheckConstraint('review_months >= 1', name=op.f('ck_document_revisions_review_months_positive')),
    sa.CheckConstraint('revision >= 1', name=op.f('ck_document_revisions_revision_positive')),
    sa.ForeignKeyConstraint(['blob_sha256'], ['blobs.sha256'], name=op.f('fk_document_revisions_blob_sha256_blobs')),
    sa.ForeignKeyConstraint(['prepared_by_id'], ['users.id'], name=op.f('fk_document_revisions_prepared_by_id_users')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['document_revisions.id'], name=op.f('fk_document_revisions_supersedes_id_document_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_revisions')),
    sa.UniqueConstraint('register', 'revision', name=op.f('uq_document_revisions_register'))
    )
    with op.batch_alter_table('document_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_revisions_register'), ['register'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_revisions_review_due'), ['review_due'], unique=False)

    op.create_table('document_withdrawals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('register', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_document_withdrawals_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_withdrawals')),
    sa.UniqueConstraint('register', name=op.f('uq_document_withdrawals_register'))
    )
    op.create_table('document_acknowledgements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['revision_id'], ['document_revisions.id'], name=op.f('fk_document_acknowledgements_revision_id_document_revisions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_document_acknowledgements_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_acknowledgements')),
    sa.UniqueConstraint('revision_id', 'user_id', name=op.f('uq_document_acknowledgements_revision_id'))
    )
    with op.batch_alter_table('document_acknowledgements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_acknowledgements_revision_id'), ['revision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_acknowledgements_user_id'), ['user_id'], unique=False)

    op.create_table('document_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('meaning', sa.String(length=16), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['revision_id'], ['document_revisions.id'], name=op.f('fk_document_signatures_revision_id_document_revisions')),
    sa.ForeignKeyConstraint(['signer_id'], ['users.id'], name=op.f('fk_document_signatures_signer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_signatures')),
    sa.UniqueConstraint('revision_id', 'signer_id', 'meaning', name=op.f('uq_document_signatures_revision_id'))
    )
    with op.batch_alter_table('document_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_signatures_revision_id'), ['revision_id'], unique=False)

    op.create_table('governing_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['audit_events.id'], name=op.f('fk_governing_revisions_event_id_audit_events')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_governing_revisions_order_id_orders')),
    sa.ForeignKeyConstraint(['revision_id'], ['document_revisions.id'], name=op.f('fk_governing_revisions_revision_id_document_revisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_governing_revisions')),
    sa.UniqueConstraint('event_id', 'revision_id', name=op.f('uq_governing_revisions_event_id'))
    )
    with op.batch_alter_table('governing_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_governing_revisions_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_governing_revisions_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_governing_revisions_revision_id'), ['revision_id'], unique=False)

    op.create_table('document_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(), nullable=False),
    sa.Column('next_review_due', sa.Date(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['revision_id'], ['document_revisions.id'], name=op.f('fk_document_reviews_revision_id_document_revisions')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_document_reviews_reviewed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_reviews'))
    )
    with op.batch_alter_table('document_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_reviews_revision_id'), ['revision_id'], unique=False)

    create_guards(op.get_bind().dialect.name)


def downgrade():
    drop_guards(op.get_bind().dialect.name)
    with op.batch_alter_table('document_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_reviews_revision_id'))

    op.drop_table('document_reviews')
    with op.batch_alter_table('governing_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_governing_revisions_revision_id'))
        batch_op.drop_index(batch_op.f('ix_governing_revisions_order_id'))
        batch_op.drop_index(batch_op.f('ix_governing_revisions_event_id'))

    op.drop_table('governing_revisions')
    with op.batch_alter_table('document_signatures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_signatures_revision_id'))

    op.drop_table('document_signatures')
    with op.batch_alter_table('document_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_acknowledgements_user_id'))
        batch_op.drop_index(batch_op.f('ix_document_acknowledgements_revision_id'))

    op.drop_table('document_acknowledgements')
    op.drop_table('document_withdrawals')
    with op.batch_alter_table('document_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_revisions_review_due'))
        batch_op.drop_index(batch_op.f('ix_document_revisions_register'))

    op.drop_table('document_revisions')
