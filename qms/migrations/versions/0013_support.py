"""support requests, the working calendar's extra days, meetings, objections, loyalty

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24

Customers gain their support terms and orders the customer who recommended them (plain
nullable columns).
"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_calendar_days_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_days')),
    sa.UniqueConstraint('day', name=op.f('uq_calendar_days_day'))
    )
    op.create_table('communications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('our_participants', sa.Text(), nullable=False),
    sa.Column('their_participants', sa.Text(), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('decisions', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('meeting', 'call', 'letter')", name=op.f('ck_communications_kind_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_communications_created_by_id_users')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_communications_customer_id_customers')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_communications_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communications'))
    )
    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_communications_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_communications_order_id'), ['order_id'], unique=False)

    op.create_table('objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('said', sa.Text(), nullable=False),
    sa.Column('listened', sa.Boolean(), nullable=False),
    sa.Column('emotion_neutralised', sa.Boolean(), nullable=False),
    sa.Column('clarified', sa.Boolean(), nullable=False),
    sa.Column('solution_offered', sa.Boolean(), nullable=False),
    sa.Column('handling', sa.Text(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('change', 'price', 'experience', 'decision')", name=op.f('ck_objections_kind_known')),
    sa.CheckConstraint("outcome IN ('overcome', 'alternative', 'open', 'lost')", name=op.f('ck_objections_outcome_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_objections_created_by_id_users')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_objections_order_id_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections'))
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objections_order_id'), ['order_id'], unique=False)

    op.create_table('communication_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('communication_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('act', sa.String(length=16), nullable=False),
    sa.CheckConstraint("act IN ('handed_over', 'received', 'approved')", name=op.f('ck_communication_records_act_known')),
    sa.ForeignKeyConstraint(['communication_id'], ['communications.id'], name=op.f('fk_communication_records_communication_id_communications')),
    sa.ForeignKeyConstraint(['record_id'], ['records.id'], name=op.f('fk_communication_records_record_id_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_communication_records'))
    )
    with op.batch_alter_table('communication_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_communication_records_communication_id'), ['communication_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_communication_records_record_id'), ['record_id'], unique=False)

    op.create_table('support_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('response_due_at', sa.DateTime(), nullable=False),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolve_target_hours', sa.Numeric(precision=8, scale=2), nullable=False),
    sa.Column('clock_used_hours', sa.Numeric(precision=10, scale=4), nullable=False),
    sa.Column('clock_running_since', sa.DateTime(), nullable=True),
    sa.Column('resolve_due_at', sa.DateTime(), nullable=True),
    sa.Column('response_hours', sa.Numeric(precision=10, scale=4), nullable=True),
    sa.Column('start_hours', sa.Numeric(precision=10, scale=4), nullable=True),
    sa.Column('resolution_breached', sa.Boolean(), nullable=False),
    sa.CheckConstraint("priority IN ('critical', 'high', 'normal', 'low')", name=op.f('ck_support_requests_priority_known')),
    sa.CheckConstraint('line BETWEEN 1 AND 3', name=op.f('ck_support_requests_line_known')),
    sa.ForeignKeyConstraint(['item_id'], ['work_items.id'], name=op.f('fk_support_requests_item_id_work_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_requests')),
    sa.UniqueConstraint('item_id', name=op.f('uq_support_requests_item_id'))
    )
    op.create_table('support_time_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('worked_on', sa.Date(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('hours > 0 AND hours <= 24', name=op.f('ck_support_time_entries_hours_in_day')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_support_time_entries_created_by_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['work_items.id'], name=op.f('fk_support_time_entries_item_id_work_items')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_support_time_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_time_entries'))
    )
    with op.batch_alter_table('support_time_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_time_entries_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_time_entries_worked_on'), ['worked_on'], unique=False)

    # Plain ADD COLUMNs: the customers and orders tables are not rebuilt.
    op.add_column('customers', sa.Column('support_hourly_rate', sa.Numeric(precision=12, scale=2), nullable=True))
    op.add_column('customers', sa.Column('support_rounding_minutes', sa.Integer(), nullable=True))
    op.add_column('customers', sa.Column('support_minimum_hours', sa.Numeric(precision=8, scale=2), nullable=True))
    if op.get_bind().dialect.name == 'sqlite':  # SQLite adds a column with its reference
        op.execute('ALTER TABLE orders ADD COLUMN recommended_by_id INTEGER '
                   'CONSTRAINT fk_orders_recommended_by_id_customers REFERENCES customers (id)')
    else:
        op.add_column('orders', sa.Column('recommended_by_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_orders_recommended_by_id_customers'), 'orders',
                              'customers', ['recommended_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('recommended_by_id')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('support_minimum_hours')
        batch_op.drop_column('support_rounding_minutes')
        batch_op.drop_column('support_hourly_rate')
    with op.batch_alter_table('support_time_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_time_entries_worked_on'))
        batch_op.drop_index(batch_op.f('ix_support_time_entries_item_id'))

    op.drop_table('support_time_entries')
    op.drop_table('support_requests')
    with op.batch_alter_table('communication_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_communication_records_record_id'))
        batch_op.drop_index(batch_op.f('ix_communication_records_communication_id'))

    op.drop_table('communication_records')
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objections_order_id'))

    op.drop_table('objections')
    with op.batch_alter_table('communications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_communications_order_id'))
        batch_op.drop_index(batch_op.f('ix_communications_customer_id'))

    op.drop_table('communications')
    op.drop_table('calendar_days')
