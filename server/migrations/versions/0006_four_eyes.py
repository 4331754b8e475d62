"""four eyes without loopholes: approvals name their object; who last set a password

Revision ID: 0006_four_eyes
Revises: 0005_jobs
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_four_eyes'
down_revision = '0005_jobs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('approval_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('object_type', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('object_id', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('details', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('escalated', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_approval_request_org_id'), ['org_id'], unique=False)
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('credentials_set_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('credentials_set_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_app_user_credentials_set_by_app_user'), 'app_user',
                                    ['credentials_set_by'], ['id'])
    # The contract's name for granting a privileged role; both old kinds did exactly that
    # (the executor reads either payload shape).
    op.execute("UPDATE approval_request SET kind = 'user.grant_privileged', object_type = 'user' "
               "WHERE kind IN ('user.create', 'user.grant_role')")


def downgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_app_user_credentials_set_by_app_user'), type_='foreignkey')
        batch_op.drop_column('credentials_set_at')
        batch_op.drop_column('credentials_set_by')
    with op.batch_alter_table('approval_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_request_org_id'))
        batch_op.drop_column('escalated')
        batch_op.drop_column('details')
        batch_op.drop_column('object_id')
        batch_op.drop_column('object_type')
