"""indexes at scale: open orders by due date, an order's events in order, drafts by age,
a user's notifications newest first, someone's work items by due date

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

# As qms.orders.models.OPEN_SQL says it (written out: a migration keeps its own copy).
OPEN = sa.text("state NOT IN ('closed', 'declined', 'cancelled')")


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_manager_due')
        batch_op.create_index('ix_orders_open_due', ['due_on'], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_orders_open_manager_due', ['manager_id', 'due_on'],
                              unique=False, sqlite_where=OPEN, postgresql_where=OPEN)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_order_id')
        batch_op.create_index('ix_audit_events_order_seq', ['order_id', 'seq'], unique=False)

    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.create_index('ix_records_status_created', ['status', 'created_at'],
                              unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_id', ['user_id'], unique=False)

    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.drop_index('ix_work_items_owner_id')
        batch_op.create_index('ix_work_items_owner_due', ['owner_id', 'due_on'], unique=False)


def downgrade():
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.drop_index('ix_work_items_owner_due')
        batch_op.create_index('ix_work_items_owner_id', ['owner_id'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_id')

    with op.batch_alter_table('records', schema=None) as batch_op:
        batch_op.drop_index('ix_records_status_created')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_order_seq')
        batch_op.create_index('ix_audit_events_order_id', ['order_id'], unique=False)

    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_open_manager_due')
        batch_op.drop_index('ix_orders_open_due')
        batch_op.create_index('ix_orders_manager_due', ['manager_id', 'due_on'], unique=False)
