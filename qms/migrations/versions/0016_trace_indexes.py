"""indexes for the traceability matrix: each order's transitions and approved records

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    # Covering indexes: the matrix reads an order's transitions and approved record kinds
    # from the index alone, never visiting the (wide) rows. Plain CREATE INDEX, no batch
    # mode: the audit trail's triggers must stay as they are.
    op.create_index(
        'ix_audit_events_order_trace',
        'audit_events',
        ['order_id', 'entity_type', 'to_state', 'action'],
        unique=False,
    )
    op.create_index(
        'ix_records_order_trace', 'records', ['order_id', 'status', 'kind'], unique=False
    )


def downgrade():
    op.drop_index('ix_records_order_trace', table_name='records')
    op.drop_index('ix_audit_events_order_trace', table_name='audit_events')
