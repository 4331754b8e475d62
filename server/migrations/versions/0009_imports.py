"""core-banking import: batches, their rejects; customers carry the core id and their batch

Revision ID: 0009_imports
Revises: 0008_search_keys_v2
Create Date: 2026-12-02

On SQLite the customer table is copied to add the columns, and dropping the old copy
would cascade to the search keys that point at it: they are kept aside meanwhile.
"""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = '0009_imports'
down_revision = '0008_search_keys_v2'
branch_labels = None
depends_on = None


def _keeping_search_keys(alter: Callable[[], None]) -> None:
    """Run `alter` (which copies the customer table on SQLite) without losing the keys."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        op.execute('CREATE TEMP TABLE keep_search_keys AS SELECT * FROM customer_search_key')
    alter()
    if sqlite:
        op.execute('INSERT INTO customer_search_key SELECT * FROM keep_search_keys')
        op.execute('DROP TABLE keep_search_keys')


def _add_customer_columns() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('core_customer_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('import_batch_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_customer_core_customer_id'), ['core_customer_id'])
        batch_op.create_index(batch_op.f('ix_customer_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_customer_import_batch_id_import_batch'), 'import_batch',
                                    ['import_batch_id'], ['id'])


def _drop_customer_columns() -> None:
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_customer_import_batch_id_import_batch'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_customer_import_batch_id'))
        batch_op.drop_constraint(batch_op.f('uq_customer_core_customer_id'), type_='unique')
        batch_op.drop_column('import_batch_id')
        batch_op.drop_column('core_customer_id')


def upgrade() -> None:
    op.create_table('import_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('business_date', sa.Date(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error_code', sa.String(length=60), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('read', sa.BigInteger(), nullable=False),
    sa.Column('applied', sa.BigInteger(), nullable=False),
    sa.Column('duplicate', sa.BigInteger(), nullable=False),
    sa.Column('rejected', sa.BigInteger(), nullable=False),
    sa.Column('control_rows', sa.BigInteger(), nullable=True),
    sa.Column('control_amount', sa.String(length=40), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_import_batch_created_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batch')),
    sa.UniqueConstraint('kind', 'business_date', 'sequence', name='uq_import_batch_identity')
    )
    op.create_table('import_reject',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=True),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'], name=op.f('fk_import_reject_batch_id_import_batch'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_reject'))
    )
    with op.batch_alter_table('import_reject', schema=None) as batch_op:
        batch_op.create_index('ix_import_reject_batch_line', ['batch_id', 'line'], unique=False)
    _keeping_search_keys(_add_customer_columns)


def downgrade() -> None:
    _keeping_search_keys(_drop_customer_columns)
    with op.batch_alter_table('import_reject', schema=None) as batch_op:
        batch_op.drop_index('ix_import_reject_batch_line')
    op.drop_table('import_reject')
    op.drop_table('import_batch')
