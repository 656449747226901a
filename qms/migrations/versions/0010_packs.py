"""packs: the letterhead, and the certificate that signed each pack

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-24

Letterheads are added, never changed (the latest is current). Each issued pack records
the SHA-256 and subject of the certificate that signed it. contract_packs has triggers,
so its columns are added with plain ALTER TABLE (a batch rebuild would drop them).
"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('letterheads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('logo_sha256', sa.String(length=64), nullable=True),
    sa.Column('set_by_id', sa.Integer(), nullable=True),
    sa.Column('set_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['logo_sha256'], ['blobs.sha256'], name=op.f('fk_letterheads_logo_sha256_blobs')),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_letterheads_set_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letterheads'))
    )
    op.add_column('contract_packs', sa.Column('certificate_sha256', sa.String(length=64), nullable=True))
    op.add_column('contract_packs', sa.Column('signed_by', sa.String(length=300), nullable=True))


def downgrade():
    # Plain ALTER TABLE (SQLite >= 3.35): a batch rebuild would drop the table's triggers.
    for column in ('signed_by', 'certificate_sha256'):
        op.execute(f"ALTER TABLE contract_packs DROP COLUMN {column}")
    op.drop_table('letterheads')
