"""system parameters: one row per version, kept forever

Revision ID: 0004_parameters
Revises: 0003_login_hardening
Create Date: 2026-11-25
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_parameters'
down_revision = '0003_login_hardening'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('system_parameter',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['changed_by'], ['app_user.id'], name=op.f('fk_system_parameter_changed_by_app_user')),
    sa.PrimaryKeyConstraint('name', 'version', name=op.f('pk_system_parameter'))
    )


def downgrade() -> None:
    op.drop_table('system_parameter')
