"""the second factor: TOTP secrets (sealed), one-time recovery codes (hashed) and the
short-lived challenges between a login's password and its code

Revision ID: 0018_second_factor
Revises: 0017_audit_chain
Create Date: 2026-12-04

New tables only (services/mfa.py): `app_user` is untouched, so a code accepted at login
never bumps a user's version under an administrator's edit.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018_second_factor'
down_revision = '0017_audit_chain'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'second_factor',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=True),
        sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('pending_secret', sa.String(length=200), nullable=True),
        sa.Column('pending_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_step', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_second_factor_user_id_app_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_second_factor')),
    )
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_recovery_code_user_id_app_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_recovery_code')),
        sa.UniqueConstraint('user_id', 'code_hash', name=op.f('uq_recovery_code_user_id')),
    )
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recovery_code_user_id'), ['user_id'], unique=False)
    op.create_table(
        'mfa_challenge',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('spent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('secret_ref', sa.String(length=64), nullable=True),
        sa.Column('source', sa.String(length=100), nullable=True),
        sa.Column('device_hash', sa.String(length=64), nullable=True),
        sa.Column('device_token', sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_mfa_challenge_user_id_app_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_mfa_challenge')),
    )
    with op.batch_alter_table('mfa_challenge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mfa_challenge_user_id'), ['user_id'], unique=False)
    # The application's role gets these tables from `init` (server/db.py grants on all
    # tables), which a database runs again after an upgrade.


def downgrade() -> None:
    with op.batch_alter_table('mfa_challenge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mfa_challenge_user_id'))
    op.drop_table('mfa_challenge')
    with op.batch_alter_table('recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recovery_code_user_id'))
    op.drop_table('recovery_code')
    op.drop_table('second_factor')
