"""login hardening: atomic throttle counters per account and address, device tokens

Revision ID: 0003_login_hardening
Revises: 37d99fe4d0b4
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_login_hardening'
down_revision = '37d99fe4d0b4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The counters are short-lived state: the new shape replaces the old table outright.
    op.drop_table('login_throttle')
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    op.create_table('device_token',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_device_token_user_id_app_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_device_token'))
    )
    with op.batch_alter_table('device_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_token_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('device_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_token_user_id'))
    op.drop_table('device_token')
    op.drop_table('login_throttle')
    op.create_table('login_throttle',
    sa.Column('username_key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('username_key', name=op.f('pk_login_throttle'))
    )
