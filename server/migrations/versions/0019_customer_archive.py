"""the archive of deleted customers: one sealed snapshot per deletion (R-204)

Revision ID: 0019_customer_archive
Revises: 0018_second_factor
Create Date: 2026-12-05

A new table only (services/archive.py). The snapshot (the customer, its household,
balance sheets, income tables and change history) is sealed with the key file's data
key; the plain columns find and scope it, `identifier_index` is the keyed hash of the
resident ID or credit code. At most one archive per customer is open (not restored):
a partial unique index on both databases.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019_customer_archive'
down_revision = '0018_second_factor'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'customer_archive',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('customer_no', sa.String(length=20).with_variant(sa.String(length=20, collation='C'), 'postgresql'),
                  nullable=False),
        sa.Column('type', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('manager_id', sa.Integer(), nullable=True),
        sa.Column('identifier_index', sa.String(length=64), nullable=True),
        sa.Column('snapshot', sa.Text(), nullable=True),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('approval_id', sa.Integer(), nullable=True),
        sa.Column('requested_by', sa.Integer(), nullable=True),
        sa.Column('archived_by', sa.Integer(), nullable=True),
        sa.Column('archived_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('restored_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('restored_by', sa.Integer(), nullable=True),
        sa.Column('restore_reason', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_customer_archive_org_id_org')),
        sa.ForeignKeyConstraint(['manager_id'], ['app_user.id'], name=op.f('fk_customer_archive_manager_id_app_user')),
        sa.ForeignKeyConstraint(['approval_id'], ['approval_request.id'],
                                name=op.f('fk_customer_archive_approval_id_approval_request')),
        sa.ForeignKeyConstraint(['requested_by'], ['app_user.id'],
                                name=op.f('fk_customer_archive_requested_by_app_user')),
        sa.ForeignKeyConstraint(['archived_by'], ['app_user.id'],
                                name=op.f('fk_customer_archive_archived_by_app_user')),
        sa.ForeignKeyConstraint(['restored_by'], ['app_user.id'],
                                name=op.f('fk_customer_archive_restored_by_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_archive')),
    )
    with op.batch_alter_table('customer_archive', schema=None) as batch_op:
        batch_op.create_index('ix_customer_archive_customer_id', ['customer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_archive_customer_no'), ['customer_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_archive_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_customer_archive_identifier_index'), ['identifier_index'], unique=False)
        batch_op.create_index('uq_customer_archive_customer_open', ['customer_id'], unique=True,
                              postgresql_where=sa.text('restored_at IS NULL'),
                              sqlite_where=sa.text('restored_at IS NULL'))
    # The application's role gets the table from `init` (server/db.py grants on all
    # tables), which a database runs again after an upgrade.


def downgrade() -> None:
    with op.batch_alter_table('customer_archive', schema=None) as batch_op:
        batch_op.drop_index('uq_customer_archive_customer_open')
        batch_op.drop_index(batch_op.f('ix_customer_archive_identifier_index'))
        batch_op.drop_index(batch_op.f('ix_customer_archive_org_id'))
        batch_op.drop_index(batch_op.f('ix_customer_archive_customer_no'))
        batch_op.drop_index('ix_customer_archive_customer_id')
    op.drop_table('customer_archive')
