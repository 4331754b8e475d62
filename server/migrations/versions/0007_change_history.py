"""one change history for every audited resource; no sensitive value in plain text

Revision ID: 0007_change_history
Revises: 0006_four_eyes
Create Date: 2026-12-01

customer_change copied full resident IDs, phones and birth dates into plain text. Its
rows move to change_history with those values masked (the migration has no access to
the key file, so earlier full values are not kept; from now on they are sealed), and
the old table goes.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_change_history'
down_revision = '0006_four_eyes'
branch_labels = None
depends_on = None


def _masked(column: str) -> str:
    """SQL for the mask of `column` by field, as shared.masking does it."""
    return (f"CASE field "
            f"WHEN 'id_number' THEN CASE WHEN length({column}) > 10 THEN substr({column}, 1, 6) || '********' || "
            f"substr({column}, length({column}) - 3) ELSE '**********' END "
            f"WHEN 'phone' THEN CASE WHEN length({column}) > 7 THEN substr({column}, 1, 3) || '****' || "
            f"substr({column}, length({column}) - 3) ELSE '*******' END "
            f"WHEN 'birth_date' THEN '****-**-**' "
            f"ELSE {column} END")


def upgrade() -> None:
    op.create_table('change_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource', sa.String(length=30), nullable=False),
    sa.Column('resource_id', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=True),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.Column('old_sealed', sa.Text(), nullable=True),
    sa.Column('new_sealed', sa.Text(), nullable=True),
    sa.Column('approval_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_change_history_actor_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_history'))
    )
    with op.batch_alter_table('change_history', schema=None) as batch_op:
        batch_op.create_index('ix_change_history_resource', ['resource', 'resource_id', 'id'], unique=False)
    op.execute("INSERT INTO change_history (resource, resource_id, at, actor_id, action, field, old, new) "
               f"SELECT 'customer', CAST(customer_id AS VARCHAR(40)), at, actor_id, action, field, "
               f"{_masked('old')}, {_masked('new')} FROM customer_change ORDER BY id")
    with op.batch_alter_table('customer_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_change_customer_id'))
    op.drop_table('customer_change')


def downgrade() -> None:
    op.create_table('customer_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=True),
    sa.Column('old', sa.Text(), nullable=True),
    sa.Column('new', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['app_user.id'], name=op.f('fk_customer_change_actor_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_change'))
    )
    with op.batch_alter_table('customer_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_change_customer_id'), ['customer_id'], unique=False)
    with op.batch_alter_table('change_history', schema=None) as batch_op:
        batch_op.drop_index('ix_change_history_resource')
    op.drop_table('change_history')
